with

sleep as (

    select * from {{ ref('stg_oura__sleep') }}

),

heart_rate_items as (

    {{ expand_samples('sleep', 'sleep_id', 'heart_rate_samples', 'bpm') }}

),

hrv_items as (

    {{ expand_samples('sleep', 'sleep_id', 'hrv_samples', 'hrv_ms') }}

),

joined as (

    select
        sleep_id,
        measured_at,
        coalesce(heart_rate_items.sample_index, hrv_items.sample_index) as sample_index,
        heart_rate_items.bpm,
        hrv_items.hrv_ms
    from heart_rate_items
    full outer join hrv_items using (sleep_id, measured_at)

),

final as (

    select
        sleep_id,
        sample_index,
        measured_at,
        bpm,
        hrv_ms
    from joined
    -- null items are gaps in the ring's data: keep a row only when it holds a value
    where bpm is not null or hrv_ms is not null

)

select * from final
