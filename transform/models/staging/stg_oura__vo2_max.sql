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
        vo2_max

    from source
)

select * from renamed
