"""Movement: the daily activity summary (04:00 to 04:00 local), workouts and guided sessions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oura_simulator.clock import local_time, localized, sample_start, seconds_between
from oura_simulator.generators.daily import contributor_scores
from oura_simulator.schedule import HOUR, Period, epoch_spans, inside

if TYPE_CHECKING:
    from random import Random

    from oura_simulator.generators.context import DayContext

Record = dict[str, Any]

MINUTES = 1440
BLOCK = 5  # minutes per class_5_min character
DAY_START = 4 * HOUR  # Oura's activity day starts at 04:00 local (reference §3.3, §12.3)
WORKOUT_MET = {"easy": (3.0, 4.5), "moderate": (5.0, 7.0), "hard": (7.5, 10.0)}
WORKOUT_KCAL_PER_MINUTE = {"easy": 4.5, "moderate": 8.0, "hard": 11.5}
METERS_PER_SECOND = {"walking": 1.4, "running": 2.9, "cycling": 6.0, "hiking": 1.2}
ACTIVITY_CONTRIBUTORS = (
    "meet_daily_targets",
    "move_every_hour",
    "recovery_time",
    "stay_active",
    "training_frequency",
    "training_volume",
)
# class_5_min: 0 non-wear, 1 rest, 2 inactive, 3 low, 4 medium, 5 high.
CLASS_TIME_FIELDS = {
    "0": "non_wear_time",
    "1": "resting_time",
    "2": "sedentary_time",
    "3": "low_activity_time",
    "4": "medium_activity_time",
    "5": "high_activity_time",
}
CLASS_MET_FIELDS = {
    "2": "sedentary_met_minutes",
    "3": "low_activity_met_minutes",
    "4": "medium_activity_met_minutes",
    "5": "high_activity_met_minutes",
}
STEPS_PER_MINUTE = {"2": 4, "3": 55, "4": 105, "5": 140}


def daily_activity(ctx: DayContext) -> list[Record]:
    """Return the day's activity summary with its minute-by-minute MET series."""
    rng, reviser = ctx.rng("daily_activity"), ctx.reviser("daily_activity")
    start = local_time(ctx.day, DAY_START, ctx.tz)
    met = _met_series(ctx, rng, start.timestamp())
    classes = "".join(_block_class(met[i : i + BLOCK]) for i in range(0, MINUTES, BLOCK))
    totals = {field: 0 for field in CLASS_TIME_FIELDS.values()}
    met_minutes = dict.fromkeys(CLASS_MET_FIELDS.values(), 0.0)
    steps = 0
    for index, cls in enumerate(classes):
        totals[CLASS_TIME_FIELDS[cls]] += BLOCK * 60
        block = [value for value in met[index * BLOCK : (index + 1) * BLOCK] if value is not None]
        if cls in CLASS_MET_FIELDS:
            met_minutes[CLASS_MET_FIELDS[cls]] += sum(block)
            steps += STEPS_PER_MINUTE[cls] * BLOCK + rng.randint(0, 20)
    worn = [value for value in met if value is not None]
    steps = reviser.shift(steps, 800, 0, 100_000)
    walking_distance = round(steps * ctx.profile.height * 0.415)
    kcal_per_met_minute = ctx.profile.weight * 3.5 / 200
    active = round(sum(value - 1 for value in worn if value > 1.5) * kcal_per_met_minute)
    active = reviser.shift(active, 60, 0, 10_000)
    return [
        {
            "id": ctx.document_id("daily_activity"),
            "active_calories": active,
            "average_met_minutes": round(sum(worn) / len(worn), 5),
            "class_5_min": classes,
            "contributors": contributor_scores(rng, ACTIVITY_CONTRIBUTORS, 0.03),
            "day": ctx.day.isoformat(),
            "equivalent_walking_distance": walking_distance,
            "high_activity_met_minutes": round(met_minutes["high_activity_met_minutes"]),
            "high_activity_time": totals["high_activity_time"],
            "inactivity_alerts": rng.choices((0, 1, 2, 3), weights=(5, 3, 2, 1))[0],
            "low_activity_met_minutes": round(met_minutes["low_activity_met_minutes"]),
            "low_activity_time": totals["low_activity_time"],
            "medium_activity_met_minutes": round(met_minutes["medium_activity_met_minutes"]),
            "medium_activity_time": totals["medium_activity_time"],
            "met": {"interval": 60.0, "items": met, "timestamp": sample_start(start)},
            "meters_to_target": ctx.profile.target_meters - walking_distance,
            "non_wear_time": totals["non_wear_time"],
            "resting_time": totals["resting_time"],
            "score": None if rng.random() < 0.02 else reviser.shift(rng.randint(45, 98), 6, 1, 100),
            "sedentary_met_minutes": round(met_minutes["sedentary_met_minutes"]),
            "sedentary_time": totals["sedentary_time"],
            "steps": steps,
            "target_calories": ctx.profile.target_calories,
            "target_meters": ctx.profile.target_meters,
            "timestamp": localized(start),
            "total_calories": active + round(ctx.profile.weight * 21.6 + 170),
        }
    ]


def _met_series(ctx: DayContext, rng: Random, start: float) -> list[float | None]:
    """Return one MET value per minute; None while the ring was off the finger."""
    today, tomorrow = ctx.plan(), ctx.plan(1)
    asleep = epoch_spans([today.night, tomorrow.night, today.nap, today.false_sleep])
    off_finger = epoch_spans([_non_wear(rng, ctx)])
    workouts = [(epoch_spans([w]), w.intensity) for w in today.workouts]
    met: list[float | None] = []
    walk_left = 0
    for minute in range(MINUTES):
        moment = start + minute * 60
        intensity = next((kind for spans, kind in workouts if inside(moment, spans)), None)
        if inside(moment, off_finger):
            met.append(None)
        elif inside(moment, asleep):
            met.append(round(rng.uniform(0.9, 1.0), 1))
        elif intensity:
            met.append(round(rng.uniform(*WORKOUT_MET[intensity]), 1))
        else:
            if walk_left == 0 and rng.random() < 0.02:
                walk_left = rng.randint(5, 20)
            walk_left = max(0, walk_left - 1)
            met.append(round(rng.uniform(2.5, 4.0) if walk_left else rng.uniform(1.1, 1.6), 1))
    return met


def _non_wear(rng: Random, ctx: DayContext) -> Period | None:
    """Return an afternoon without the ring (between the day's workouts) one day in five."""
    if rng.random() >= 0.2:
        return None
    begin = local_time(ctx.day, rng.randint(13 * HOUR, 15 * HOUR), ctx.tz)
    return Period(begin, local_time(ctx.day, 15.5 * HOUR, ctx.tz))


def _block_class(block: list[float | None]) -> str:
    """Classify five minutes of MET values into a class_5_min character."""
    if any(value is None for value in block):
        return "0"
    average = sum(value for value in block if value is not None) / len(block)
    for threshold, cls in ((1.05, "1"), (1.5, "2"), (3.0, "3"), (6.0, "4")):
        if average < threshold:
            return cls
    return "5"


def workout(ctx: DayContext) -> list[Record]:
    """Return the day's workouts, each with its own local offsets."""
    records = []
    reviser = ctx.reviser("workout")
    for index, planned in enumerate(ctx.plan().workouts):
        rng = ctx.rng("workout", index)
        seconds = seconds_between(planned.start, planned.end)
        kcal = seconds / 60 * WORKOUT_KCAL_PER_MINUTE[planned.intensity] * ctx.profile.weight / 70
        speed = METERS_PER_SECOND.get(planned.activity)
        records.append(
            {
                "id": ctx.document_id("workout", index),
                "activity": planned.activity,
                "calories": reviser.shift_float(round(kcal, 3), 15.0, 3),
                "day": ctx.day.isoformat(),
                "distance": round(speed * seconds * rng.uniform(0.85, 1.15), 1) if speed else None,
                "end_datetime": localized(planned.end),
                "intensity": planned.intensity,
                "label": rng.choice((None, None, None, "Commute", "With friends")),
                "source": planned.source,
                "start_datetime": localized(planned.start),
            }
        )
    return records


def session(ctx: DayContext) -> list[Record]:
    """Return the day's guided or unguided session, with 5-second samples."""
    planned = ctx.plan()
    if planned.session is None:
        return []
    rng = ctx.rng("session")
    count = seconds_between(planned.session.start, planned.session.end) // 5
    stamp = sample_start(planned.session.start)
    heart_rate = [None if rng.random() < 0.03 else float(rng.randint(52, 74)) for _ in range(count)]
    hrv = [None if rng.random() < 0.05 else float(rng.randint(20, 90)) for _ in range(count)]
    motion = [float(rng.choices((0, 1, 2, 3), weights=(12, 4, 2, 1))[0]) for _ in range(count)]
    return [
        {
            "id": ctx.document_id("session"),
            "day": ctx.day.isoformat(),
            "end_datetime": localized(planned.session.end),
            "heart_rate": {"interval": 5.0, "items": heart_rate, "timestamp": stamp},
            "heart_rate_variability": (
                None if rng.random() < 0.1 else {"interval": 5.0, "items": hrv, "timestamp": stamp}
            ),
            "mood": rng.choice((None, "bad", "worse", "same", "good", "great")),
            "motion_count": {"interval": 5.0, "items": motion, "timestamp": stamp},
            "start_datetime": localized(planned.session.start),
            "type": planned.session_type,
        }
    ]
