with

source as (

    select * from {{ source('oura', 'tag') }}

),

renamed as (

    select
        ----------  ids
        id as tag_id,

        ---------- text
        text as comment,
        tags as tag_type_codes,

        ---------- dates
        day,
        {{ local_datetime('timestamp', 'tagged') }}

    from source
)

select * from renamed
