with

source as (

    select * from {{ source('oura', 'daily_sleep') }}

),

renamed as (

    select
        ----------  ids
        id as daily_sleep_id,

        ---------- dates
        day,
        {{ local_datetime('timestamp', 'recorded') }},

        ---------- scores
        score::integer as sleep_score,
        {{ jsonb_fields('contributors', [
            'deep_sleep', 'efficiency', 'latency', 'rem_sleep',
            'restfulness', 'timing', 'total_sleep',
        ], 'integer', prefix='contributor_') }}

    from source
)

select * from renamed
