with

sleep as (

    select * from {{ ref('stg_oura__sleep') }}

),

phase_codes as (

    -- One row per character of the 5-minute hypnogram.
    select
        sleep.sleep_id,
        sleep.day,
        sleep.bedtime_start_at,
        sleep.bedtime_start_local,
        sleep.bedtime_end_at,
        sleep.bedtime_end_local,
        code.phase_code,
        (code.position - 1)::integer as phase_index
    from sleep
    cross join lateral unnest(string_to_array(sleep.sleep_phase_5_min, null))
        with ordinality as code (phase_code, position)
    where sleep.sleep_phase_5_min <> ''

),

timed as (

    select
        *,
        bedtime_start_at + phase_index * interval '5 minutes' as starts_at,
        -- The user's zone (var oura_timezone) is trusted for this night when it reproduces the
        -- wall clock at both ends; it then places a DST switch inside the night.
        coalesce(
            bedtime_start_at at time zone '{{ var("oura_timezone") }}' = bedtime_start_local
            and bedtime_end_at at time zone '{{ var("oura_timezone") }}' = bedtime_end_local,
            false
        ) as is_user_timezone_night
    from phase_codes

),

final as (

    select
        sleep_id,
        phase_index,
        day,
        starts_at,
        least(starts_at + interval '5 minutes', bedtime_end_at) as ends_at,
        case
            when is_user_timezone_night then starts_at at time zone '{{ var("oura_timezone") }}'
            -- otherwise the night's starting offset holds for the whole night
            else bedtime_start_local + phase_index * interval '5 minutes'
        end as starts_local,
        -- exact unless a DST switch falls inside the night and the zone could not place it
        is_user_timezone_night
            or (bedtime_start_local - (bedtime_start_at at time zone 'UTC'))
            = (bedtime_end_local - (bedtime_end_at at time zone 'UTC')) as is_starts_local_exact,
        phase_code,
        case phase_code
            when '1' then 'deep'
            when '2' then 'light'
            when '3' then 'rem'
            when '4' then 'awake'
        end as phase
    from timed

)

select * from final
