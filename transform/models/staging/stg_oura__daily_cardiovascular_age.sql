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
        pulse_wave_velocity as pulse_wave_velocity_m_per_s,

        ---------- timestamps
        _sdc_extracted_at at time zone 'UTC' as extracted_at

    from source
    where _sdc_deleted_at is null

)

select * from renamed
