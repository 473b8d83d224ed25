"""Sleep periods: the main night, naps, late naps, rejected and deleted detections.

A period belongs to the day its sleeper wakes up; a nap ending after 18:00 belongs to the next day
(reference §3.6, §12.3). Revising a day edits the night's bedtime and may confirm a forgotten nap.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple

from oura_simulator.clock import later, local_time, localized, sample_start, seconds_between
from oura_simulator.generators.daily import readiness_values
from oura_simulator.schedule import HOUR, MINUTE, Period

if TYPE_CHECKING:
    from random import Random

    from oura_simulator.generators.context import DayContext

Record = dict[str, Any]

EPOCH = 300  # seconds per sleep_phase_5_min character and heart_rate/hrv item
SLOT = 30  # seconds per movement_30_sec / sleep_phase_30_sec character
PHASE_HEART_RATE = {"1": -4, "2": 0, "3": 4, "4": 9}  # 1 deep, 2 light, 3 REM, 4 awake
PHASE_HRV = {"1": 18, "2": 5, "3": -6, "4": -12}


class SleepPeriod(NamedTuple):
    """A period to document: when, its type, its id key, and why Oura (re)analysed it."""

    period: Period
    kind: str
    key: str  # names the document within its day, so its id survives revisions
    reason: str


def sleep(ctx: DayContext) -> list[Record]:
    """Return every sleep document attributed to the day, ordered and numbered by period."""
    today, yesterday = ctx.plan(), ctx.plan(-1)
    reviser = ctx.reviser("sleep")
    night = today.night
    if reviser.active:  # the wearer corrected the bedtime in the app
        night = Period(later(night.start, reviser.amount(5, 25) * MINUTE), night.end)
    night_reason = "bedtime_edit" if reviser.active else "foreground_sleep_analysis"
    nap_reason = (
        "background_created_foreground_updated" if reviser.active else "background_sleep_analysis"
    )
    periods = [SleepPeriod(night, "long_sleep", "long_sleep", night_reason)]
    if today.nap and not today.nap_counts_next_day():
        periods.append(SleepPeriod(today.nap, "sleep", "nap", nap_reason))
    if yesterday.nap and yesterday.nap_counts_next_day():
        periods.append(SleepPeriod(yesterday.nap, "late_nap", "late_nap", nap_reason))
    if today.false_sleep and today.false_sleep_type:
        kind = today.false_sleep_type
        periods.append(SleepPeriod(today.false_sleep, kind, kind, "foreground_sleep_analysis"))
    periods.sort(key=lambda candidate: candidate.period.start)
    confirmed = _confirmed_nap(ctx)
    if confirmed:  # confirmed days later, so numbered after the periods already known
        periods.append(
            SleepPeriod(
                confirmed, "sleep", "confirmed_nap", "background_created_foreground_updated"
            )
        )
    return [_document(ctx, candidate, index) for index, candidate in enumerate(periods)]


def _confirmed_nap(ctx: DayContext) -> Period | None:
    """Return the nap a revised day gains once the wearer confirms it (§12.4), if any."""
    if ctx.revision == 0 or ctx.plan().nap is not None:
        return None
    rng = ctx.rng("sleep", "confirmed_nap")
    if rng.random() >= 0.6:
        return None
    start = rng.randint(13 * HOUR + 30 * MINUTE, 14 * HOUR + 30 * MINUTE)
    begin = local_time(ctx.day, start, ctx.tz)
    return Period(begin, later(begin, rng.randint(20, 60) * MINUTE))


def _document(ctx: DayContext, candidate: SleepPeriod, index: int) -> Record:
    """Return the full document of one sleep period, its measures consistent with its phases."""
    period, kind, key = candidate.period, candidate.kind, candidate.key
    rng = ctx.rng("sleep", key)
    time_in_bed = seconds_between(period.start, period.end)
    phases = _hypnogram(rng, math.ceil(time_in_bed / EPOCH))
    slots = math.ceil(time_in_bed / SLOT)
    phases_30 = "".join(char * (EPOCH // SLOT) for char in phases)[:slots]
    movement = _movement(rng, phases_30)
    heart_rate = _phase_sample(rng, phases, ctx.profile.resting_heart_rate, PHASE_HEART_RATE)
    hrv = _phase_sample(rng, phases, rng.randint(35, 60), PHASE_HRV)
    measured_hr = [value for value in heart_rate if value is not None]
    measured_hrv = [value for value in hrv if value is not None]
    durations = {phase: phases.count(phase) * EPOCH for phase in "123"}
    total = sum(durations.values())
    is_nap = kind in ("sleep", "late_nap")
    stamp = sample_start(period.start)
    return {
        "id": ctx.document_id("sleep", key),
        "average_breath": round(rng.uniform(12.5, 17.0), 3),
        "average_heart_rate": round(sum(measured_hr) / len(measured_hr), 3),
        "average_hrv": round(sum(measured_hrv) / len(measured_hrv)),
        "awake_time": time_in_bed - total,
        "bedtime_end": localized(period.end),
        "bedtime_start": localized(period.start),
        "day": ctx.day.isoformat(),
        "deep_sleep_duration": durations["1"],
        "efficiency": max(1, min(100, round(100 * total / time_in_bed))),
        "heart_rate": {"interval": float(EPOCH), "items": heart_rate, "timestamp": stamp},
        "hrv": {"interval": float(EPOCH), "items": hrv, "timestamp": stamp},
        "latency": (len(phases) - len(phases.lstrip("4"))) * EPOCH,
        "light_sleep_duration": durations["2"],
        "low_battery_alert": rng.random() < 0.02,
        "lowest_heart_rate": round(min(measured_hr)),
        "movement_30_sec": movement,
        "period": index,
        "readiness": readiness_values(ctx) if kind == "long_sleep" else None,
        "readiness_score_delta": rng.randint(0, 4) if is_nap else None,
        "rem_sleep_duration": durations["3"],
        "restless_periods": _restless_periods(movement),
        "sleep_algorithm_version": "v2",
        "sleep_analysis_reason": candidate.reason,
        "sleep_phase_30_sec": phases_30,
        "sleep_phase_5_min": phases,
        "sleep_score_delta": rng.randint(0, 6) if is_nap else None,
        "time_in_bed": time_in_bed,
        "total_sleep_duration": total,
        "type": kind,
        "ring_id": ctx.profile.ring_id,
        "app_sleep_phase_5_min": phases,
    }


def _hypnogram(rng: Random, epochs: int) -> str:
    """Return one phase per 5 minutes: fall asleep, cycle light/deep/light/REM, wake at the end.

    The last epoch is always awake, so it can absorb a partial final epoch and the phase
    durations never exceed the time in bed.
    """
    chars = ["4"] * max(1, min(epochs - 1, rng.randint(1, 4)))
    while len(chars) < epochs - 1:
        progress = len(chars) / epochs  # deep sleep early in the night, REM late
        chars += ["2"] * rng.randint(2, 5)
        chars += ["1"] * max(0, round(rng.gauss(5 * (1 - progress), 1.5)))
        chars += ["2"] * rng.randint(1, 4)
        chars += ["3"] * max(1, round(rng.gauss(1.5 + 5 * progress, 1)))
        if rng.random() < 0.35:
            chars += ["4"] * rng.randint(1, 2)
    return "".join(chars[: epochs - 1]) + "4"


def _movement(rng: Random, phases_30: str) -> str:
    """Return one movement level per 30 s: 1 still, 2 restless, 3 tossing, 4 active."""
    return "".join(
        rng.choices("234", weights=(5, 3, 2))[0]
        if phase == "4"
        else rng.choices("123", weights=(90, 8, 2))[0]
        for phase in phases_30
    )


def _restless_periods(movement: str) -> int:
    """Count the runs of tossing or activity."""
    return sum(
        1
        for index, char in enumerate(movement)
        if char in "34" and (index == 0 or movement[index - 1] not in "34")
    )


def _phase_sample(
    rng: Random, phases: str, baseline: int, by_phase: dict[str, int]
) -> list[float | None]:
    """Return one value per epoch that follows the phases, with gaps (the first is often one)."""
    values: list[float | None] = []
    for index, phase in enumerate(phases):
        gap = rng.random() < (0.5 if index == 0 else 0.03)
        values.append(None if gap else float(round(baseline + by_phase[phase] + rng.gauss(0, 2))))
    if all(value is None for value in values):
        values[-1] = float(baseline)
    return values
