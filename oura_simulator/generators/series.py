"""Time series, one local day at a time: heart rate and ring battery level (UTC timestamps)."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from oura_simulator import seeding
from oura_simulator.clock import local_midnight, utc_text
from oura_simulator.schedule import epoch_spans, inside

if TYPE_CHECKING:
    from oura_simulator.generators.context import DayContext
    from oura_simulator.schedule import Workout

Row = dict[str, Any]

REST_CADENCE = 300  # seconds between rows outside workouts (reference §12.8)
PRE_BEDTIME_REST = 45 * 60  # heart rate is labelled `rest` while winding down before bed
WORKOUT_PEAK = {"easy": 105, "moderate": 135, "hard": 160}
BATTERY_CADENCE = 900
CHARGE_SECONDS = 90 * 60


def heartrate(ctx: DayContext) -> list[tuple[int, Row]]:
    """Return the day's (epoch, row) pairs: every 5 minutes, every few seconds in workouts."""
    rng = ctx.rng("heartrate")
    today, tomorrow = ctx.plan(), ctx.plan(1)
    start = local_midnight(ctx.day, ctx.tz).timestamp()
    end = local_midnight(ctx.day + timedelta(days=1), ctx.tz).timestamp()
    bedtime = tomorrow.night.start.timestamp()
    sleeping = epoch_spans([today.night, tomorrow.night, today.nap])
    resting = [*epoch_spans([today.false_sleep]), (bedtime - PRE_BEDTIME_REST, bedtime)]
    training = epoch_spans(today.workouts)
    resting_rate = ctx.profile.resting_heart_rate
    rows: list[tuple[int, Row]] = []
    moment = math.ceil(start / REST_CADENCE) * REST_CADENCE
    while moment < end:
        if not inside(moment, training) and rng.random() >= 0.03:  # 3 %: ring not worn
            if inside(moment, sleeping):
                source, bpm = "sleep", resting_rate + rng.gauss(2, 2)
            elif inside(moment, resting):
                source, bpm = "rest", resting_rate + rng.gauss(7, 3)
            else:
                source, bpm = "awake", resting_rate + rng.gauss(22, 8)
            rows.append((moment, _heart_row(moment, bpm, source)))
        moment += REST_CADENCE
    for workout in today.workouts:
        rows.extend(_workout_rows(ctx, workout, resting_rate))
    rows.sort(key=lambda pair: pair[0])
    return rows


def _workout_rows(ctx: DayContext, workout: Workout, resting_rate: int) -> list[tuple[int, Row]]:
    """Return rows at the workout's cadence: warm-up, plateau at the intensity's peak, cool-down."""
    rng = ctx.rng("heartrate", workout.start.isoformat())
    first, last = int(workout.start.timestamp()), int(workout.end.timestamp())
    span, peak = last - first, WORKOUT_PEAK[workout.intensity]
    rows = []
    for moment in range(first, last, workout.cadence):
        progress = (moment - first) / span
        effort = min(1.0, progress * 5, (1 - progress) * 6)
        bpm = resting_rate + 25 + (peak - resting_rate - 25) * effort + rng.gauss(0, 4)
        rows.append((moment, _heart_row(moment, bpm, "workout")))
    return rows


def _heart_row(moment: int, bpm: float, source: str) -> Row:
    return {
        "timestamp": utc_text(moment),
        "timestamp_unix": moment * 1000,
        "bpm": max(35, min(200, round(bpm))),
        "source": source,
    }


def ring_battery_level(ctx: DayContext) -> list[tuple[int, Row]]:
    """Return the day's battery level every 15 minutes: slow drain, then a short charge."""
    rng = seeding.rng(ctx.seed, ctx.user, "ring_battery_level", "cycle")
    cycle = rng.uniform(40, 60) * 3600  # hours between charges, a per-user habit
    phase_shift = rng.uniform(0, cycle)
    start = local_midnight(ctx.day, ctx.tz).timestamp()
    end = local_midnight(ctx.day + timedelta(days=1), ctx.tz).timestamp()
    first = math.ceil(start / BATTERY_CADENCE) * BATTERY_CADENCE
    rows = []
    for moment in range(first, int(end), BATTERY_CADENCE):
        phase = (moment + phase_shift) % cycle
        in_charger = phase < CHARGE_SECONDS
        if in_charger:
            level = 15 + 85 * phase / CHARGE_SECONDS
        else:
            level = 100 - 85 * (phase - CHARGE_SECONDS) / (cycle - CHARGE_SECONDS)
        wobble = (moment // BATTERY_CADENCE * 2_654_435_761) % 3 - 1  # deterministic ±1 noise
        level = max(0, min(100, round(level + wobble)))
        row = {
            "timestamp": utc_text(moment),
            "timestamp_unix": moment * 1000,
            "charging": in_charger and level < 100,
            "in_charger": in_charger,
            "level": level,
        }
        rows.append((moment, row))
    return rows
