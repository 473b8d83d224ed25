"""When things happen in a user's day: sleep, naps, workouts, sessions.

The plan of a day never depends on revisions, so heart rate, activity and sleep documents agree on
the same timeline, and revising a day changes values without moving history around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from oura_simulator import seeding
from oura_simulator.clock import later, local_time

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime
    from random import Random
    from zoneinfo import ZoneInfo

HOUR = 3600
MINUTE = 60
NAP_DAY_CHANGE = 18 * HOUR  # a nap ending after 18:00 counts toward the next day (§12.3)

# Heart-rate rows recorded during workouts, per day: enough for Oura's observed volume of about
# 1,000-1,500 heart-rate rows a day (reference §12.8).
WORKOUT_ROWS = (850, 1200)
MORNING_WORKOUT_MAX = 150 * MINUTE
EVENING_WORKOUT_MAX = 75 * MINUTE
CADENCE = (5, 10)  # seconds between workout heart-rate rows

ACTIVITIES = {
    "easy": ("walking", "yoga", "cycling"),
    "moderate": ("running", "cycling", "strength_training", "hiking"),
    "hard": ("running", "hiit", "cycling"),
}
SESSION_TYPES = ("breathing", "meditation", "relaxation", "rest", "body_status", "nap")


@dataclass(frozen=True)
class Period:
    """A stretch of time with local start and end (each with its own UTC offset)."""

    start: datetime
    end: datetime


def epoch_spans(periods: Iterable[Period | None]) -> list[tuple[float, float]]:
    """Return the (start, end) epoch seconds of the periods that exist, for fast lookups."""
    return [(p.start.timestamp(), p.end.timestamp()) for p in periods if p is not None]


def inside(epoch: float, spans: list[tuple[float, float]]) -> bool:
    """Tell whether `epoch` falls in any of the spans (ends excluded)."""
    return any(start <= epoch < end for start, end in spans)


@dataclass(frozen=True)
class Workout(Period):
    """A workout and how densely the ring sampled heart rate during it."""

    activity: str
    intensity: str
    source: str
    cadence: int


@dataclass(frozen=True)
class DaySchedule:
    """One local day's events; `night` is the main sleep that ends on this day's morning."""

    day: date
    night: Period
    nap: Period | None
    false_sleep: Period | None  # a detected sleep the user rejected ("rest") or deleted
    false_sleep_type: str | None
    workouts: tuple[Workout, ...]
    session: Period | None
    session_type: str | None

    def nap_counts_next_day(self) -> bool:
        """Tell whether this day's nap ends after 18:00 and so belongs to tomorrow (§12.3)."""
        if self.nap is None:
            return False
        return self.nap.end > local_time(self.day, NAP_DAY_CHANGE, self.nap.end.tzinfo)


def plan_day(seed: int, user: int, day: date, tz: ZoneInfo) -> DaySchedule:
    """Return the deterministic plan of `day` for `user`."""

    def draw(part: str) -> Random:
        return seeding.rng(seed, user, "schedule", day, part)

    false_sleep, false_sleep_type = _false_sleep(draw("false_sleep"), day, tz)
    session = _session(draw("session"), day, tz, user)
    # A rest day without workouts comes at most once a fortnight, keeping heart-rate volume
    # near Oura's observed 1,000-1,500 rows a day over any week (§12.8).
    rest_day = day.toordinal() % 14 == user % 14 and draw("rest_day").random() < 0.3
    return DaySchedule(
        day=day,
        night=_night(draw("night"), day, tz),
        nap=_nap(draw("nap"), day, tz),
        false_sleep=false_sleep,
        false_sleep_type=false_sleep_type,
        workouts=() if rest_day else _workouts(draw("workouts"), day, tz),
        session=session,
        session_type=draw("session_type").choice(SESSION_TYPES) if session else None,
    )


def _night(rng: Random, day: date, tz: ZoneInfo) -> Period:
    bedtime = local_time(day - timedelta(days=1), rng.uniform(22 * HOUR, 24.5 * HOUR), tz)
    wake_up = local_time(day, rng.uniform(6 * HOUR, 8 * HOUR), tz)
    return Period(bedtime.replace(microsecond=0), wake_up.replace(microsecond=0))


def _nap(rng: Random, day: date, tz: ZoneInfo) -> Period | None:
    if rng.random() >= 0.30:
        return None
    if rng.random() < 0.2:  # a late-afternoon nap, which may cross the 18:00 day change
        start, minutes = rng.randint(17 * HOUR + 20 * MINUTE, 17 * HOUR + 50 * MINUTE), (20, 60)
    else:
        start, minutes = rng.randint(13 * HOUR + 30 * MINUTE, 14 * HOUR + 30 * MINUTE), (20, 80)
    begin = local_time(day, start, tz)
    return Period(begin, later(begin, rng.randint(*minutes) * MINUTE))


def _false_sleep(rng: Random, day: date, tz: ZoneInfo) -> tuple[Period | None, str | None]:
    roll = rng.random()
    if roll >= 0.065:
        return None, None
    begin = local_time(day, rng.randint(12 * HOUR, 12 * HOUR + 30 * MINUTE), tz)
    period = Period(begin, later(begin, rng.randint(20, 45) * MINUTE))
    return period, "rest" if roll < 0.05 else "deleted"


def _session(rng: Random, day: date, tz: ZoneInfo, user: int) -> Period | None:
    # Every fourth day has one for sure, so any week of history holds sessions.
    if rng.random() >= 0.35 and day.toordinal() % 4 != user % 4:
        return None
    begin = local_time(day, rng.randint(19 * HOUR, 19 * HOUR + 30 * MINUTE), tz)
    return Period(begin, later(begin, rng.randint(10, 25) * MINUTE))


def _workouts(rng: Random, day: date, tz: ZoneInfo) -> tuple[Workout, ...]:
    count = rng.choice((1, 2))
    rows = rng.randint(*WORKOUT_ROWS)
    evening_rows = round(rows * rng.uniform(0.3, 0.45)) if count == 2 else 0
    morning_start = rng.randint(8 * HOUR + 30 * MINUTE, 9 * HOUR + 30 * MINUTE)
    workouts = [
        _workout(
            rng, day, tz, start=morning_start, rows=rows - evening_rows, longest=MORNING_WORKOUT_MAX
        )
    ]
    if evening_rows:
        workouts.append(
            _workout(rng, day, tz, start=16 * HOUR, rows=evening_rows, longest=EVENING_WORKOUT_MAX)
        )
    return tuple(workouts)


def _workout(
    rng: Random, day: date, tz: ZoneInfo, *, start: int, rows: int, longest: int
) -> Workout:
    """Return a workout of `rows` heart-rate rows, at a cadence that fits in `longest` seconds."""
    cadence = rng.randint(CADENCE[0], min(CADENCE[1], longest // rows))
    intensity = rng.choice(tuple(ACTIVITIES))
    begin = local_time(day, start, tz)
    return Workout(
        start=begin,
        end=later(begin, rows * cadence),
        activity=rng.choice(ACTIVITIES[intensity]),
        intensity=intensity,
        source=rng.choices(
            ("autodetected", "confirmed", "manual", "workout_heart_rate"), weights=(4, 3, 1, 2)
        )[0],
        cadence=cadence,
    )
