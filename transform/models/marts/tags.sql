with

enhanced_tags as (

    select * from {{ ref('stg_oura__enhanced_tag') }}

),

legacy_tags as (

    select * from {{ ref('stg_oura__tag') }}

),

enhanced as (

    select
        enhanced_tag_id as tag_id,
        'enhanced' as tag_source,
        case when tag_type_code is null then array[]::text[] else array[tag_type_code] end as tag_type_codes,
        custom_name,
        comment,
        start_day,
        end_day,
        started_at,
        started_local,
        started_utc_offset,
        ended_at,
        ended_local,
        ended_utc_offset
    from enhanced_tags

),

legacy as (

    select
        tag_id,
        'legacy' as tag_source,
        coalesce(tag_type_codes, array[]::text[]) as tag_type_codes,
        null::text as custom_name,
        comment,
        day as start_day,
        null::date as end_day,
        tagged_at as started_at,
        tagged_local as started_local,
        tagged_utc_offset as started_utc_offset,
        null::timestamptz as ended_at,
        null::timestamp as ended_local,
        null::text as ended_utc_offset
    from legacy_tags

),

unioned as (

    select * from enhanced
    union all
    select * from legacy

),

final as (

    select
        *,
        ended_local is not null as has_duration,
        -- Instants when both ends carry an offset, else the wall-clock difference.
        coalesce(
            extract(epoch from ended_at - started_at),
            extract(epoch from ended_local - started_local)
        )::integer as duration_seconds
    from unioned

)

select * from final
