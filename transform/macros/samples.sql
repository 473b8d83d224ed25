{#- Oura's sample series are objects {interval, items, timestamp}: item i was measured at
    timestamp + i * interval seconds. A series may be null (jsonb 'null' too) or lack items. -#}

{% macro sample_items(column) -%}
    case when jsonb_typeof({{ column }} -> 'items') = 'array' then {{ column }} -> 'items' end
{%- endmacro %}

{% macro expand_samples(relation, key, column, value_name) -%}
    select
        {{ relation }}.{{ key }},
        (item.position - 1)::integer as sample_index,
        ({{ relation }}.{{ column }} ->> 'timestamp')::timestamptz
            + (item.position - 1) * ({{ relation }}.{{ column }} ->> 'interval')::numeric
            * interval '1 second' as measured_at,
        item.value::numeric as {{ value_name }}
    from {{ relation }}
    cross join lateral jsonb_array_elements_text({{ sample_items(relation ~ '.' ~ column) }})
        with ordinality as item (value, position)
{%- endmacro %}
