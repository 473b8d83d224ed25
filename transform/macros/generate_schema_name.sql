{% macro generate_schema_name(custom_schema_name, node) -%}
    {#- No custom schema: the target schema (analytics). -#}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {#- A custom schema is used as written, not prefixed with the target schema. -#}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
