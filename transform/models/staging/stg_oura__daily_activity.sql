with

source as (

    select * from {{ source('oura', 'daily_activity') }}

),

renamed as (

    select
        ----------  ids
        id as daily_activity_id,

        ---------- dates
        day,
        {{ local_datetime('timestamp', 'period_start') }},

        ---------- scores
        score::integer as activity_score,
        {{ jsonb_fields('contributors', [
            'meet_daily_targets', 'move_every_hour', 'recovery_time',
            'stay_active', 'training_frequency', 'training_volume',
        ], 'integer', prefix='contributor_') }},

        ---------- numerics
        steps,
        active_calories,
        total_calories,
        target_calories,
        equivalent_walking_distance as equivalent_walking_distance_meters,
        target_meters,
        meters_to_target,
        inactivity_alerts,
        average_met_minutes,
        high_activity_met_minutes,
        medium_activity_met_minutes,
        low_activity_met_minutes,
        sedentary_met_minutes,

        ---------- durations (seconds)
        high_activity_time as high_activity_seconds,
        medium_activity_time as medium_activity_seconds,
        low_activity_time as low_activity_seconds,
        sedentary_time as sedentary_seconds,
        resting_time as resting_seconds,
        non_wear_time as non_wear_seconds,

        ---------- series (the loader stores a JSON null as jsonb 'null'; nullif makes it SQL null)
        class_5_min,
        nullif(met, 'null'::jsonb) as met_samples

    from source
)

select * from renamed
