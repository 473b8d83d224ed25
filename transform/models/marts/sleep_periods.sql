with

sleep as (

    select * from {{ ref('stg_oura__sleep') }}

),

long_sleep_ranked as (

    -- A day's main sleep is its long_sleep; with several, the longest in bed.
    select
        sleep_id,
        row_number() over (
            partition by day
            order by time_in_bed_seconds desc nulls last, total_sleep_seconds desc nulls last, sleep_id
        ) as long_sleep_rank
    from sleep
    where sleep_type = 'long_sleep'

),

final as (

    select
        sleep.sleep_id,
        sleep.day,
        sleep.sleep_type,
        sleep.period,

        sleep.bedtime_start_at,
        sleep.bedtime_start_local,
        sleep.bedtime_start_utc_offset,
        sleep.bedtime_end_at,
        sleep.bedtime_end_local,
        sleep.bedtime_end_utc_offset,

        sleep.time_in_bed_seconds,
        sleep.total_sleep_seconds,
        sleep.deep_sleep_seconds,
        sleep.light_sleep_seconds,
        sleep.rem_sleep_seconds,
        sleep.awake_seconds,
        sleep.latency_seconds,
        sleep.efficiency,
        sleep.restless_periods,

        sleep.average_heart_rate,
        sleep.lowest_heart_rate,
        sleep.average_hrv,
        sleep.average_breath,

        sleep.readiness_score,
        sleep.readiness_score_delta,
        sleep.sleep_score_delta,

        coalesce(long_sleep_ranked.long_sleep_rank = 1, false) as is_main_sleep,
        -- rest = a false detection the user rejected, deleted = removed by the user
        coalesce(sleep.sleep_type not in ('rest', 'deleted'), true) as counts_toward_totals,
        sleep.has_low_battery_alert,

        sleep.sleep_algorithm_version,
        sleep.sleep_analysis_reason

    from sleep
    left join long_sleep_ranked
        on long_sleep_ranked.sleep_id = sleep.sleep_id

)

select * from final
