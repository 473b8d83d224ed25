with

workouts as (

    select * from {{ ref('stg_oura__workout') }}

),

final as (

    select
        workout_id,
        day,
        activity,
        intensity,
        workout_source,
        label,
        started_at,
        started_local,
        started_utc_offset,
        ended_at,
        ended_local,
        ended_utc_offset,
        extract(epoch from ended_at - started_at)::integer as duration_seconds,
        calories_kcal,
        distance_meters
    from workouts

)

select * from final
