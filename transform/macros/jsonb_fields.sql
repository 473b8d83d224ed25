{#- One typed column per key of a jsonb object: (contributors ->> 'timing')::integer as contributor_timing -#}
{% macro jsonb_fields(column, keys, data_type, prefix='') -%}
    {%- for key in keys -%}
        ({{ column }} ->> '{{ key }}')::{{ data_type }} as {{ prefix }}{{ key }}
        {%- if not loop.last %},
        {% endif -%}
    {%- endfor -%}
{%- endmacro %}
