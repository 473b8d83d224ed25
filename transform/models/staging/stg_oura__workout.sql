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
        distance as distance_meters

    from source
)

select * from renamed
