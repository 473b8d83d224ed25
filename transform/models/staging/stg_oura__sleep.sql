with

source as (

    select * from {{ source('oura', 'sleep') }}

),

renamed as (

    select
        ----------  ids
        id as sleep_id,
        ring_id,

        ---------- text
        type as sleep_type,
        sleep_algorithm_version,
        sleep_analysis_reason,

        ---------- dates
        day,
        period::integer as period,
        {{ local_datetime('bedtime_start', 'bedtime_start') }},
        {{ local_datetime('bedtime_end', 'bedtime_end') }},

        ---------- durations (seconds)
        time_in_bed as time_in_bed_seconds,
        total_sleep_duration as total_sleep_seconds,
        deep_sleep_duration as deep_sleep_seconds,
        light_sleep_duration as light_sleep_seconds,
        rem_sleep_duration as rem_sleep_seconds,
        awake_time as awake_seconds,
        latency as latency_seconds,

        ---------- numerics
        efficiency::integer as efficiency,
        restless_periods,
        average_breath,
        average_heart_rate,
        lowest_heart_rate,
        average_hrv,

        ---------- scores
        (readiness ->> 'score')::integer as readiness_score,
        readiness_score_delta,
        sleep_score_delta,
        (readiness ->> 'temperature_deviation')::numeric as readiness_temperature_deviation,
        (readiness ->> 'temperature_trend_deviation')::numeric as readiness_temperature_trend_deviation,
        {{ jsonb_fields("readiness -> 'contributors'", [
            'activity_balance', 'body_temperature', 'hrv_balance',
            'previous_day_activity', 'previous_night', 'recovery_index',
            'resting_heart_rate', 'sleep_balance', 'sleep_regularity',
        ], 'integer', prefix='readiness_contributor_') }},

        ---------- booleans
        low_battery_alert as has_low_battery_alert,

        ---------- series (the loader stores a JSON null as jsonb 'null'; nullif makes it SQL null)
        sleep_phase_5_min,
        sleep_phase_30_sec,
        app_sleep_phase_5_min,
        movement_30_sec,
        nullif(heart_rate, 'null'::jsonb) as heart_rate_samples,
        nullif(hrv, 'null'::jsonb) as hrv_samples

    from source
)

select * from renamed
