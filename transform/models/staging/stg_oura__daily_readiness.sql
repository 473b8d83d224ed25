with

source as (

    select * from {{ source('oura', 'daily_readiness') }}

),

renamed as (

    select
        ----------  ids
        id as daily_readiness_id,

        ---------- dates
        day,
        {{ local_datetime('timestamp', 'recorded') }},

        ---------- scores
        score::integer as readiness_score,
        {{ jsonb_fields('contributors', [
            'activity_balance', 'body_temperature', 'hrv_balance',
            'previous_day_activity', 'previous_night', 'recovery_index',
            'resting_heart_rate', 'sleep_balance', 'sleep_regularity',
        ], 'integer', prefix='contributor_') }},

        ---------- numerics (degrees Celsius)
        temperature_deviation,
        temperature_trend_deviation

    from source
)

select * from renamed
