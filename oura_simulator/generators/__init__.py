"""Record generators, one per route: each turns a user-day into that route's records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oura_simulator.generators import activity, daily, series, sleep, tags

if TYPE_CHECKING:
    from collections.abc import Callable

    from oura_simulator.generators.context import DayContext

DOCUMENT_GENERATORS: dict[str, Callable[[DayContext], list[dict[str, Any]]]] = {
    "daily_activity": activity.daily_activity,
    "daily_readiness": daily.daily_readiness,
    "daily_sleep": daily.daily_sleep,
    "sleep": sleep.sleep,
    "sleep_time": daily.sleep_time,
    "daily_spo2": daily.daily_spo2,
    "daily_stress": daily.daily_stress,
    "daily_resilience": daily.daily_resilience,
    "daily_cardiovascular_age": daily.daily_cardiovascular_age,
    "vO2_max": daily.vo2_max,
    "workout": activity.workout,
    "session": activity.session,
    "enhanced_tag": tags.enhanced_tag,
    "tag": tags.tag,
    "rest_mode_period": tags.rest_mode_period,
}

SERIES_GENERATORS: dict[str, Callable[[DayContext], list[tuple[int, dict[str, Any]]]]] = {
    "heartrate": series.heartrate,
    "ring_battery_level": series.ring_battery_level,
}
