with

sessions as (

    select * from {{ ref('stg_oura__session') }}

),

sample_averages as (

    -- Mean of the non-null items of each 5-second sample series.
    select
        sessions.session_id,
        (
            select avg(item.value::numeric)
            from jsonb_array_elements_text(
                {{ sample_items('sessions.heart_rate_samples') }}
            ) as item (value)
        ) as average_heart_rate,
        (
            select avg(item.value::numeric)
            from jsonb_array_elements_text(
                {{ sample_items('sessions.hrv_samples') }}
            ) as item (value)
        ) as average_hrv
    from sessions

),

final as (

    select
        sessions.session_id,
        sessions.day,
        sessions.session_type,
        sessions.mood,
        sessions.started_at,
        sessions.started_local,
        sessions.started_utc_offset,
        sessions.ended_at,
        sessions.ended_local,
        sessions.ended_utc_offset,
        extract(epoch from sessions.ended_at - sessions.started_at)::integer as duration_seconds,
        round(sample_averages.average_heart_rate, 1) as average_heart_rate,
        round(sample_averages.average_hrv, 1) as average_hrv
    from sessions
    left join sample_averages
        on sample_averages.session_id = sessions.session_id

)

select * from final
