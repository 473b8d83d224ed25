"""What the wearer notes by hand: enhanced tags, deprecated tags, and rest-mode periods."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from oura_simulator import seeding
from oura_simulator.clock import later, local_time, localized, wall_clock
from oura_simulator.schedule import HOUR, MINUTE

if TYPE_CHECKING:
    from oura_simulator.generators.context import DayContext

Record = dict[str, Any]

TAG_CODES = (
    "tag_generic_caffeine",
    "tag_generic_alcohol",
    "tag_generic_late_meal",
    "tag_generic_nocaffeine",
    "tag_sleep_hot_room",
    "custom",
    None,  # a text-only tag
)
CUSTOM_NAMES = ("Sauna", "Cold plunge", "Travel", "Meditation retreat")
COMMENTS = ("Felt great", "Long day at work", "Late dinner with friends", "Headache")
OPEN_TAG_DAYS = 2  # tags this recent have no end yet unless their day was revised (§12.16)
REST_MODE_CYCLE = 45  # days; about one rest-mode period per cycle
REST_MODE_TAGS = ("tag_generic_sick", "tag_generic_fever", "tag_generic_recovery")


def enhanced_tag(ctx: DayContext) -> list[Record]:
    """Return the tags started on the day: about every third day, some lasting a while."""
    if ctx.day.toordinal() % 3 != ctx.user % 3:
        return []
    count = ctx.rng("enhanced_tag").choice((1, 1, 2))
    return [_enhanced_tag(ctx, index) for index in range(count)]


def _enhanced_tag(ctx: DayContext, index: int) -> Record:
    rng = ctx.rng("enhanced_tag", index)
    start = local_time(ctx.day, rng.randint(8 * HOUR, 21 * HOUR), ctx.tz)
    code = rng.choice(TAG_CODES)
    end = later(start, rng.randint(30, 360) * MINUTE) if rng.random() < 0.4 else None
    still_open = ctx.day > ctx.today - timedelta(days=OPEN_TAG_DAYS) and ctx.revision == 0
    if still_open:
        end = None
    comment = rng.choice(COMMENTS) if code is None or rng.random() < 0.3 else None
    return {
        "id": ctx.document_id("enhanced_tag", index),
        "tag_type_code": code,
        "start_time": wall_clock(start),
        "end_time": wall_clock(end) if end else None,
        "start_day": ctx.day.isoformat(),
        "end_day": end.date().isoformat() if end else None,
        "comment": comment,
        "custom_name": rng.choice(CUSTOM_NAMES) if code == "custom" else None,
    }


def tag(ctx: DayContext) -> list[Record]:
    """Return the weekly note of the deprecated tag route."""
    if ctx.day.weekday() != ctx.profile.tag_weekday:
        return []
    rng = ctx.rng("tag")
    moment = local_time(ctx.day, rng.randint(21 * HOUR, 23 * HOUR), ctx.tz)
    return [
        {
            "id": ctx.document_id("tag"),
            "day": ctx.day.isoformat(),
            "text": rng.choice((None, *COMMENTS)),
            "timestamp": wall_clock(moment),
            "tags": rng.sample(("tag_generic_late_meal", "tag_generic_alcohol", "stress"), 2),
        }
    ]


def rest_mode_period(ctx: DayContext) -> list[Record]:
    """Return the rest-mode period starting on the day; its end stays null while ongoing."""
    start_day, length = _rest_mode_in_cycle(ctx.seed, ctx.user, ctx.day)
    if start_day != ctx.day:
        return []
    rng = ctx.rng("rest_mode_period")
    end_day = start_day + timedelta(days=length - 1)
    ongoing = end_day >= ctx.today  # §12.17
    start = local_time(start_day, rng.randint(8 * HOUR, 12 * HOUR), ctx.tz)
    episode_days = [
        start_day + timedelta(days=offset)
        for offset in range(length)
        if start_day + timedelta(days=offset) <= ctx.today
    ]
    episodes = [
        {
            "tags": [rng.choice(REST_MODE_TAGS)],
            "timestamp": localized(
                start if day == start_day else local_time(day, 8 * HOUR, ctx.tz)
            ),
        }
        for day in episode_days
    ]
    end = local_time(end_day, rng.randint(9 * HOUR, 12 * HOUR), ctx.tz)
    return [
        {
            "id": ctx.document_id("rest_mode_period"),
            "end_day": None if ongoing else end_day.isoformat(),
            "end_time": None if ongoing else localized(end),
            "episodes": episodes,
            "start_day": start_day.isoformat(),
            "start_time": localized(start),
        }
    ]


def _rest_mode_in_cycle(seed: int, user: int, day: date) -> tuple[date, int]:
    """Return the start day and length (2-4 days) of the rest mode in `day`'s cycle."""
    shift = user * 11  # users fall ill on different days
    cycle = (day.toordinal() + shift) // REST_MODE_CYCLE
    rng = seeding.rng(seed, user, "rest_mode_period", "cycle", cycle)
    start = date.fromordinal(cycle * REST_MODE_CYCLE - shift + rng.randint(0, REST_MODE_CYCLE - 5))
    return start, rng.randint(2, 4)
