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
        ], 'numeric', prefix='contributor_') }},

        ---------- timestamps
        _sdc_extracted_at at time zone 'UTC' as extracted_at

    from source
    where _sdc_deleted_at is null

)

select * from renamed
