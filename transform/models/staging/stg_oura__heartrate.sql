with

source as (

    select * from {{ source('oura', 'heartrate') }}

),

renamed as (

    select
        ---------- keys
        "timestamp" at time zone 'UTC' as measured_at,
        source.source as heartrate_source,

        ---------- numerics
        bpm::integer as bpm

    from source
)

select * from renamed
