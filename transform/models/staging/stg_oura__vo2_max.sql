with

source as (

    select * from {{ source('oura', 'vo2_max') }}

),

renamed as (

    select
        ----------  ids
        id as vo2_max_id,

        ---------- dates
        day,
        {{ local_datetime('timestamp', 'measured') }},

        ---------- numerics (ml/kg/min)
        vo2_max,

        ---------- timestamps
        _sdc_extracted_at at time zone 'UTC' as extracted_at

    from source
    where _sdc_deleted_at is null

)

select * from renamed
