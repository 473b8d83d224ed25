with

source as (

    select * from {{ source('oura', 'personal_info') }}

),

renamed as (

    select
        ----------  ids
        id as personal_info_id,

        ---------- text
        biological_sex,
        email,

        ---------- numerics
        age as age_years,
        weight as weight_kg,
        height as height_m,

        ---------- timestamps
        _sdc_extracted_at at time zone 'UTC' as extracted_at

    from source
    where _sdc_deleted_at is null

)

select * from renamed
