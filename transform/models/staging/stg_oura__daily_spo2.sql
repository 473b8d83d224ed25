with

source as (

    select * from {{ source('oura', 'daily_spo2') }}

),

renamed as (

    select
        ----------  ids
        id as daily_spo2_id,

        ---------- dates
        day,

        ---------- numerics
        (spo2_percentage ->> 'average')::numeric as spo2_average_percent,
        breathing_disturbance_index

    from source
)

select * from renamed
