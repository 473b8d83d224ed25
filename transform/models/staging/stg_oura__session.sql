with

source as (

    select * from {{ source('oura', 'session') }}

),

renamed as (

    select
        ----------  ids
        id as session_id,

        ---------- text
        type as session_type,
        mood,

        ---------- dates
        day,
        {{ local_datetime('start_datetime', 'started') }},
        {{ local_datetime('end_datetime', 'ended') }},

        ---------- series (the loader stores a JSON null as jsonb 'null'; nullif makes it SQL null)
        nullif(heart_rate, 'null'::jsonb) as heart_rate_samples,
        nullif(heart_rate_variability, 'null'::jsonb) as hrv_samples,
        nullif(motion_count, 'null'::jsonb) as motion_count_samples

    from source
)

select * from renamed
