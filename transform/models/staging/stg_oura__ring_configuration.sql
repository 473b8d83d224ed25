with

source as (

    select * from {{ source('oura', 'ring_configuration') }}

),

renamed as (

    select
        ----------  ids
        id as ring_configuration_id,

        ---------- text
        color,
        design,
        firmware_version,
        hardware_type,

        ---------- numerics
        size as ring_size,

        ---------- timestamps
        -- Oura sends 1970-01-01T00:00:00+00:00 when it does not know the set-up time.
        case
            when set_up_at > timestamp '1970-01-01 00:00:00' then set_up_at at time zone 'UTC'
        end as set_up_at

    from source
)

select * from renamed
