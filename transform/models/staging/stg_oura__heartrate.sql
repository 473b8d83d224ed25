with

source as (

    select * from {{ source('oura', 'heartrate') }}

),

renamed as (

    select
        ---------- keys
        "timestamp" at time zone 'UTC' as measured_at,
        source.source as heartrate_source,

        ---------- numerics
        bpm::integer as bpm,

        ---------- timestamps
        _sdc_extracted_at at time zone 'UTC' as extracted_at

    from source
    where _sdc_deleted_at is null

)

select * from renamed
