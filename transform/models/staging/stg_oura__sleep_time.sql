with

source as (

    select * from {{ source('oura', 'sleep_time') }}

),

renamed as (

    select
        ----------  ids
        id as sleep_time_id,

        ---------- text
        recommendation,
        status,

        ---------- dates
        day,

        ---------- optimal bedtime window (seconds from local midnight; negative = the evening before)
        (optimal_bedtime ->> 'start_offset')::integer as optimal_bedtime_start_offset_seconds,
        (optimal_bedtime ->> 'end_offset')::integer as optimal_bedtime_end_offset_seconds,
        (optimal_bedtime ->> 'day_tz')::integer as optimal_bedtime_utc_offset_seconds

    from source
)

select * from renamed
