with

source as (

    select * from {{ source('oura', 'ring_battery_level') }}

),

renamed as (

    select
        ---------- keys
        "timestamp" at time zone 'UTC' as measured_at,

        ---------- numerics
        level::integer as battery_level_percent,

        ---------- booleans
        charging as is_charging,
        in_charger as is_in_charger

    from source
)

select * from renamed
