with

sleep as (

    select * from {{ ref('stg_oura__sleep') }}

),

heart_rate_items as (

    -- Item i of a sample was measured at timestamp + i * interval seconds.
    select
        sleep.sleep_id,
        (item.position - 1)::integer as sample_index,
        (sleep.heart_rate_samples ->> 'timestamp')::timestamptz
            + (item.position - 1) * (sleep.heart_rate_samples ->> 'interval')::numeric * interval '1 second'
            as measured_at,
        item.value::numeric as bpm
    from sleep
    cross join lateral jsonb_array_elements_text(
        case when jsonb_typeof(sleep.heart_rate_samples -> 'items') = 'array' then sleep.heart_rate_samples -> 'items' end
    ) with ordinality as item (value, position)

),

hrv_items as (

    select
        sleep.sleep_id,
        (item.position - 1)::integer as sample_index,
        (sleep.hrv_samples ->> 'timestamp')::timestamptz
            + (item.position - 1) * (sleep.hrv_samples ->> 'interval')::numeric * interval '1 second'
            as measured_at,
        item.value::numeric as hrv_ms
    from sleep
    cross join lateral jsonb_array_elements_text(
        case when jsonb_typeof(sleep.hrv_samples -> 'items') = 'array' then sleep.hrv_samples -> 'items' end
    ) with ordinality as item (value, position)

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
