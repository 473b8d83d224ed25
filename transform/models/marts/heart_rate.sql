with

heartrate as (

    select * from {{ ref('stg_oura__heartrate') }}

),

final as (

    select
        measured_at,
        bpm,
        heartrate_source as source
    from heartrate

)

select * from final
