with

source as (

    select * from {{ source('oura', 'rest_mode_period') }}

),

renamed as (

    select
        ----------  ids
        id as rest_mode_period_id,

        ---------- dates
        start_day,
        end_day,
        {{ local_datetime('start_time', 'started') }},
        {{ local_datetime('end_time', 'ended') }},

        ---------- series (the loader stores the episodes as jsonb[]; one jsonb array here)
        to_jsonb(episodes) as episodes

    from source
)

select * from renamed
