with

source as (

    select * from {{ source('oura', 'daily_cardiovascular_age') }}

),

renamed as (

    select
        ----------  ids
        id as daily_cardiovascular_age_id,

        ---------- dates
        day,

        ---------- numerics
        vascular_age::integer as vascular_age,
        pulse_wave_velocity as pulse_wave_velocity_m_per_s

    from source
)

select * from renamed
