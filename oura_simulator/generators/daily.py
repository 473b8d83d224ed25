"""Once-a-day summaries: readiness, sleep score and time, SpO2, stress, resilience, heart."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from oura_simulator.clock import local_time, localized

if TYPE_CHECKING:
    from random import Random

    from oura_simulator.generators.context import DayContext

Record = dict[str, Any]

READINESS_CONTRIBUTORS = (
    "activity_balance",
    "body_temperature",
    "hrv_balance",
    "previous_day_activity",
    "previous_night",
    "recovery_index",
    "resting_heart_rate",
    "sleep_balance",
    "sleep_regularity",
)
SLEEP_CONTRIBUTORS = (
    "deep_sleep",
    "efficiency",
    "latency",
    "rem_sleep",
    "restfulness",
    "timing",
    "total_sleep",
)
# 2024 responses of daily_cardiovascular_age had no `id` at all (reference §3.11, §12.9).
CARDIOVASCULAR_AGE_IDS_SINCE = date(2025, 1, 1)


def contributor_scores(rng: Random, names: tuple[str, ...], null_chance: float) -> Record:
    """Return 1-100 contributor scores, each sometimes null (e.g. no HRV balance yet, §12.10)."""
    return {name: None if rng.random() < null_chance else rng.randint(45, 100) for name in names}


def midnight_stamp(day: date) -> str:
    """Return the timestamp Oura puts on readiness and daily sleep: local midnight as +00:00."""
    return f"{day.isoformat()}T00:00:00+00:00"


def readiness_values(ctx: DayContext) -> Record:
    """Return the day's readiness; `sleep` embeds the same values as `daily_readiness`."""
    rng, reviser = ctx.rng("daily_readiness"), ctx.reviser("daily_readiness")
    contributors = contributor_scores(rng, READINESS_CONTRIBUTORS, 0.04)
    score = rng.randint(55, 96)
    return {
        "contributors": contributors,
        "score": reviser.shift(score, 6, 1, 100),
        "temperature_deviation": reviser.shift_float(round(rng.gauss(0, 0.3), 2), 0.2, 2),
        "temperature_trend_deviation": round(rng.gauss(0, 0.2), 2),
    }


def daily_readiness(ctx: DayContext) -> list[Record]:
    """Return the day's readiness document."""
    values = readiness_values(ctx)
    return [
        {
            "id": ctx.document_id("daily_readiness"),
            "contributors": values["contributors"],
            "day": ctx.day.isoformat(),
            "score": values["score"],
            "temperature_deviation": values["temperature_deviation"],
            "temperature_trend_deviation": values["temperature_trend_deviation"],
            "timestamp": midnight_stamp(ctx.day),
        }
    ]


def daily_sleep(ctx: DayContext) -> list[Record]:
    """Return the day's sleep score document."""
    rng, reviser = ctx.rng("daily_sleep"), ctx.reviser("daily_sleep")
    return [
        {
            "id": ctx.document_id("daily_sleep"),
            "contributors": contributor_scores(rng, SLEEP_CONTRIBUTORS, 0.02),
            "day": ctx.day.isoformat(),
            "score": reviser.shift(rng.randint(55, 95), 6, 1, 100),
            "timestamp": midnight_stamp(ctx.day),
        }
    ]


def sleep_time(ctx: DayContext) -> list[Record]:
    """Return the day's bedtime recommendation."""
    rng = ctx.rng("sleep_time")
    window = None
    status = rng.choices(
        ("optimal_found", "only_recommended_found", "not_enough_nights", "bad_sleep_quality"),
        weights=(70, 15, 10, 5),
    )[0]
    if status in ("optimal_found", "only_recommended_found"):
        offset = local_time(ctx.day, 0, ctx.tz).utcoffset()
        start = rng.randrange(-2 * 3600, -1800 + 1, 900)  # seconds from local midnight
        window = {
            "day_tz": int(offset.total_seconds()) if offset else 0,
            "end_offset": start + rng.choice((3600, 4500, 5400)),
            "start_offset": start,
        }
    recommendation = None
    if window:
        recommendation = rng.choice(
            ("follow_optimal_bedtime", "earlier_bedtime", "later_bedtime", "improve_efficiency")
        )
    return [
        {
            "id": ctx.document_id("sleep_time"),
            "day": ctx.day.isoformat(),
            "optimal_bedtime": window,
            "recommendation": recommendation,
            "status": status,
        }
    ]


def daily_spo2(ctx: DayContext) -> list[Record]:
    """Return the night's SpO2 average (the only SpO2 data Oura publishes)."""
    rng = ctx.rng("daily_spo2")
    average = None if rng.random() < 0.05 else {"average": round(rng.uniform(95.0, 99.0), 3)}
    return [
        {
            "id": ctx.document_id("daily_spo2"),
            "breathing_disturbance_index": None if average is None else rng.randint(0, 18),
            "day": ctx.day.isoformat(),
            "spo2_percentage": average,
        }
    ]


def daily_stress(ctx: DayContext) -> list[Record]:
    """Return the day's time in high stress and high recovery."""
    rng, reviser = ctx.rng("daily_stress"), ctx.reviser("daily_stress")
    stress = rng.randrange(0, 6 * 3600 + 1, 900)
    recovery = rng.randrange(0, 6 * 3600 + 1, 900)
    stress = reviser.shift(stress // 900, 4, 0, 24) * 900
    summary = "normal"
    if stress > 2 * recovery:
        summary = "stressful"
    elif recovery > 2 * stress:
        summary = "restored"
    return [
        {
            "id": ctx.document_id("daily_stress"),
            "day": ctx.day.isoformat(),
            "day_summary": None if rng.random() < 0.05 else summary,
            "recovery_high": recovery,
            "stress_high": stress,
        }
    ]


def daily_resilience(ctx: DayContext) -> list[Record]:
    """Return the day's resilience level and its three contributors."""
    rng, reviser = ctx.rng("daily_resilience"), ctx.reviser("daily_resilience")
    contributors = {
        "sleep_recovery": round(rng.uniform(30, 95), 1),
        "daytime_recovery": reviser.shift_float(round(rng.uniform(20, 90), 1), 8.0, 1),
        "stress": round(rng.uniform(20, 90), 1),
    }
    mean = sum(contributors.values()) / 3
    levels = ("limited", "adequate", "solid", "strong", "exceptional")
    return [
        {
            "id": ctx.document_id("daily_resilience"),
            "day": ctx.day.isoformat(),
            "contributors": contributors,
            "level": levels[min(4, max(0, int((mean - 25) // 14)))],
        }
    ]


def daily_cardiovascular_age(ctx: DayContext) -> list[Record]:
    """Return the day's vascular age estimate."""
    rng, reviser = ctx.rng("daily_cardiovascular_age"), ctx.reviser("daily_cardiovascular_age")
    record: Record = {
        "id": ctx.document_id("daily_cardiovascular_age"),
        "day": ctx.day.isoformat(),
        "pulse_wave_velocity": None if rng.random() < 0.1 else round(rng.uniform(5.5, 8.5), 2),
        "vascular_age": reviser.shift(ctx.profile.age + rng.randint(-6, 4), 2, 18, 100),
    }
    if ctx.day < CARDIOVASCULAR_AGE_IDS_SINCE:
        del record["id"]
    return [record]


def vo2_max(ctx: DayContext) -> list[Record]:
    """Return the weekly VO2 max estimate, on the wearer's usual weekday."""
    if ctx.day.weekday() != ctx.profile.vo2_weekday:
        return []
    rng = ctx.rng("vO2_max")
    moment = local_time(ctx.day, rng.randint(8 * 3600, 11 * 3600), ctx.tz)
    return [
        {
            "id": ctx.document_id("vO2_max"),
            "day": ctx.day.isoformat(),
            "timestamp": localized(moment),
            "vo2_max": ctx.reviser("vO2_max").shift(
                ctx.profile.vo2_max + rng.randint(-2, 2), 2, 15, 80
            ),
        }
    ]
