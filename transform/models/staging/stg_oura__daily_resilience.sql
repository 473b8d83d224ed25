with

source as (

    select * from {{ source('oura', 'daily_resilience') }}

),

renamed as (

    select
        ----------  ids
        id as daily_resilience_id,

        ---------- text
        level as resilience_level,

        ---------- dates
        day,

        ---------- scores (0-100, fractional)
        {{ jsonb_fields('contributors', [
            'sleep_recovery', 'daytime_recovery', 'stress',
        ], 'numeric', prefix='contributor_') }}

    from source
)

select * from renamed
