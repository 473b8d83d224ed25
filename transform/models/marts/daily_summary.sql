with

readiness as (

    select * from {{ ref('stg_oura__daily_readiness') }}

),

daily_sleep as (

    select * from {{ ref('stg_oura__daily_sleep') }}

),

activity as (

    select * from {{ ref('stg_oura__daily_activity') }}

),

stress as (

    select * from {{ ref('stg_oura__daily_stress') }}

),

spo2 as (

    select * from {{ ref('stg_oura__daily_spo2') }}

),

resilience as (

    select * from {{ ref('stg_oura__daily_resilience') }}

),

cardiovascular_age as (

    select * from {{ ref('stg_oura__daily_cardiovascular_age') }}

),

vo2_max as (

    select * from {{ ref('stg_oura__vo2_max') }}

),

sleep_periods as (

    select * from {{ ref('sleep_periods') }}

),

days as (

    select day from readiness
    union
    select day from daily_sleep
    union
    select day from activity
    union
    select day from stress
    union
    select day from spo2
    union
    select day from resilience
    union
    select day from cardiovascular_age
    union
    select day from vo2_max

),

sleep_totals as (

    select
        day,
        count(*) as sleep_period_count,
        sum(total_sleep_seconds)::bigint as total_sleep_seconds,
        sum(time_in_bed_seconds)::bigint as time_in_bed_seconds
    from sleep_periods
    where counts_toward_totals
    group by day

),

main_sleep as (

    select * from sleep_periods where is_main_sleep

),

final as (

    select
        days.day,
        -- Oura keeps revising the current day.
        days.day >= {{ oura_today() }} as is_provisional,

        ---------- readiness
        readiness.readiness_score,
        readiness.temperature_deviation,
        readiness.temperature_trend_deviation,

        ---------- sleep
        daily_sleep.sleep_score,
        main_sleep.sleep_id as main_sleep_id,
        main_sleep.bedtime_start_local as main_sleep_bedtime_start_local,
        main_sleep.bedtime_end_local as main_sleep_bedtime_end_local,
        main_sleep.total_sleep_seconds as main_sleep_total_sleep_seconds,
        main_sleep.efficiency as main_sleep_efficiency,
        main_sleep.lowest_heart_rate as main_sleep_lowest_heart_rate,
        main_sleep.average_hrv as main_sleep_average_hrv,
        coalesce(sleep_totals.sleep_period_count, 0) as sleep_period_count,
        sleep_totals.total_sleep_seconds,
        sleep_totals.time_in_bed_seconds,

        ---------- activity
        activity.activity_score,
        activity.steps,
        activity.active_calories,
        activity.total_calories,
        activity.equivalent_walking_distance_meters,
        activity.high_activity_seconds,
        activity.medium_activity_seconds,
        activity.low_activity_seconds,
        activity.sedentary_seconds,
        activity.non_wear_seconds,

        ---------- stress and resilience
        stress.stress_high_seconds,
        stress.recovery_high_seconds,
        stress.stress_day_summary,
        resilience.resilience_level,

        ---------- blood oxygen
        spo2.spo2_average_percent,
        spo2.breathing_disturbance_index,

        ---------- heart health
        cardiovascular_age.vascular_age,
        cardiovascular_age.pulse_wave_velocity_m_per_s,
        vo2_max.vo2_max

    from days
    left join readiness on readiness.day = days.day
    left join daily_sleep on daily_sleep.day = days.day
    left join activity on activity.day = days.day
    left join stress on stress.day = days.day
    left join spo2 on spo2.day = days.day
    left join resilience on resilience.day = days.day
    left join cardiovascular_age on cardiovascular_age.day = days.day
    left join vo2_max on vo2_max.day = days.day
    left join sleep_totals on sleep_totals.day = days.day
    left join main_sleep on main_sleep.day = days.day

)

select * from final
