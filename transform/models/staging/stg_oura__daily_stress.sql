with

source as (

    select * from {{ source('oura', 'daily_stress') }}

),

renamed as (

    select
        ----------  ids
        id as daily_stress_id,

        ---------- text
        day_summary as stress_day_summary,

        ---------- dates
        day,

        ---------- durations (seconds)
        stress_high as stress_high_seconds,
        recovery_high as recovery_high_seconds

    from source
)

select * from renamed
