{#-
    Oura's LocalizedDateTime text ('2026-10-24T23:37:20+02:00') -> three columns:
      <name>_at          timestamptz, the instant; null when the text carries no offset
      <name>_local       timestamp, the wall clock as the ring showed it (fractional seconds kept)
      <name>_utc_offset  text '+02:00' ('Z' -> '+00:00'); null when the text carries no offset
    The offset is read per value, so a night from +02:00 to +01:00 keeps both.
-#}
{% macro local_datetime(column, name) -%}
    case
            when {{ column }} ~ '(Z|[+-]\d\d:?\d\d)$' then ({{ column }})::timestamptz
        end as {{ name }}_at,
        regexp_replace({{ column }}, '(Z|[+-]\d\d:?\d\d)$', '')::timestamp as {{ name }}_local,
        case
            when {{ column }} ~ 'Z$' then '+00:00'
            else regexp_replace(substring({{ column }} from '[+-]\d\d:?\d\d$'), '^([+-]\d\d):?(\d\d)$', '\1:\2')
        end as {{ name }}_utc_offset
{%- endmacro %}
