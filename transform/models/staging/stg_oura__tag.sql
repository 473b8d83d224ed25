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
        {{ local_datetime('timestamp', 'tagged') }},

        ---------- timestamps
        _sdc_extracted_at at time zone 'UTC' as extracted_at

    from source
    where _sdc_deleted_at is null

)

select * from renamed
