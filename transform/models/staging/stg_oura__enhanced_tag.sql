with

source as (

    select * from {{ source('oura', 'enhanced_tag') }}

),

renamed as (

    select
        ----------  ids
        id as enhanced_tag_id,

        ---------- text
        tag_type_code,
        custom_name,
        comment,

        ---------- dates
        start_day,
        end_day,
        {{ local_datetime('start_time', 'started') }},
        {{ local_datetime('end_time', 'ended') }}

    from source
)

select * from renamed
