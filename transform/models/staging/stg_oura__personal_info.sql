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
        height as height_m

    from source
)

select * from renamed
