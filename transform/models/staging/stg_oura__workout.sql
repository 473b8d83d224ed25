with

source as (

    select * from {{ source('oura', 'workout') }}

),

renamed as (

    select
        ----------  ids
        id as workout_id,

        ---------- text
        activity,
        intensity,
        source.source as workout_source,
        label,

        ---------- dates
        day,
        {{ local_datetime('start_datetime', 'started') }},
        {{ local_datetime('end_datetime', 'ended') }},

        ---------- numerics
        calories as calories_kcal,
        distance as distance_meters,

        ---------- timestamps
        _sdc_extracted_at at time zone 'UTC' as extracted_at

    from source
    where _sdc_deleted_at is null

)

select * from renamed
