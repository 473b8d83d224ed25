{#- Today's date in the user's time zone (var oura_timezone). -#}
{% macro oura_today() -%}
    (now() at time zone '{{ var("oura_timezone") }}')::date
{%- endmacro %}
