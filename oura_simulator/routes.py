"""The Oura v2 collection routes the simulator serves, as data: kind, scope, filter, model."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Kind(enum.Enum):
    """How a route is asked for and answered."""

    SINGLETON = "singleton"  # a bare object (personal_info)
    DOCUMENTS = "documents"  # {"data", "next_token"} filtered by start_date/end_date
    SERIES = "series"  # {"data", "next_token"} filtered by start_datetime/end_datetime


class Filter(enum.Enum):
    """Which instant of a record the date window is compared with (reference §6)."""

    INSTANT = "instant"  # the field is an ISO datetime with a correct offset
    WALL_TIME = "wall_time"  # the field's wall-clock time, read in the user's timezone
    DAY_MIDNIGHT = "day_midnight"  # midnight of the record's `day` in the user's timezone
    NONE = "none"  # no date filter at all


@dataclass(frozen=True)
class Route:
    """One collection route: what it holds and how requests select from it."""

    name: str
    kind: Kind
    model: str  # the record's schema name in the OpenAPI spec
    scope: str | None
    filter: Filter = Filter.NONE
    filter_field: str = "day"
    day_field: str | None = "day"  # the local day a record belongs to; None: no day at all
    missing_scope_status: int = 403
    sandbox: bool = True

    @property
    def single_documents(self) -> bool:
        """Tell whether `/<route>/<document_id>` exists."""
        return self.kind is Kind.DOCUMENTS


# Routes that answer 401 instead of 403 when the token lacks their scope (reference §12.11).
UNAUTHORIZED = {"missing_scope_status": 401}


def _documents(
    name: str, model: str, scope: str, on: Filter, field: str = "day", **extra: Any
) -> Route:
    """Return a document route filtered on `field` of each record."""
    return Route(name, Kind.DOCUMENTS, model, scope, on, field, **extra)


ROUTES: tuple[Route, ...] = (
    Route("personal_info", Kind.SINGLETON, "PersonalInfoResponse", None, sandbox=False),
    _documents("daily_activity", "PublicDailyActivity", "daily", Filter.INSTANT, "timestamp"),
    # These two stamp local midnight with a "+00:00" offset, yet a single-day query finds them:
    # Oura compares the wall time (reference §3.4, §6.1).
    _documents("daily_readiness", "PublicDailyReadiness", "daily", Filter.WALL_TIME, "timestamp"),
    _documents("daily_sleep", "PublicDailySleep", "daily", Filter.WALL_TIME, "timestamp"),
    # Sleep is filtered on bedtime_start, not on its (wake-up) day (reference §6.1, §12.2).
    _documents("sleep", "PublicModifiedSleepModel", "daily", Filter.INSTANT, "bedtime_start"),
    _documents("sleep_time", "PublicSleepTime", "daily", Filter.DAY_MIDNIGHT),
    _documents("daily_spo2", "PublicDailySpO2", "spo2", Filter.DAY_MIDNIGHT, **UNAUTHORIZED),
    _documents("daily_stress", "PublicDailyStress", "stress", Filter.DAY_MIDNIGHT),
    _documents(
        "daily_resilience", "DailyResilienceModel", "stress", Filter.DAY_MIDNIGHT, **UNAUTHORIZED
    ),
    _documents(
        "daily_cardiovascular_age",
        "PublicDailyCardiovascularAge",
        "heart_health",
        Filter.DAY_MIDNIGHT,
        **UNAUTHORIZED,
    ),
    _documents(
        "vO2_max", "PublicVO2Max", "heart_health", Filter.INSTANT, "timestamp", **UNAUTHORIZED
    ),
    _documents("workout", "PublicWorkout", "workout", Filter.INSTANT, "start_datetime"),
    _documents("session", "PublicSession", "session", Filter.INSTANT, "start_datetime"),
    # Tag times are local wall times without an offset.
    _documents(
        "enhanced_tag",
        "EnhancedTagModel",
        "tag",
        Filter.WALL_TIME,
        "start_time",
        day_field="start_day",
    ),
    _documents("tag", "TagModel", "tag", Filter.WALL_TIME, "timestamp"),
    _documents(
        "rest_mode_period",
        "PublicRestModePeriod",
        "daily",
        Filter.INSTANT,
        "start_time",
        day_field="start_day",
    ),
    _documents(
        "ring_configuration",
        "PublicRingConfiguration",
        "ring_configuration",
        Filter.NONE,
        day_field=None,
    ),
    Route("heartrate", Kind.SERIES, "PublicHeartRateRow", "heartrate", Filter.NONE, "timestamp"),
    Route(
        "ring_battery_level",
        Kind.SERIES,
        "PublicRingBatteryLevelRow",
        "ring_configuration",
        Filter.NONE,
        "timestamp",
        **UNAUTHORIZED,
    ),
)

ROUTES_BY_NAME: dict[str, Route] = {route.name: route for route in ROUTES}


def route_named(name: str) -> Route:
    """Return the route called `name`, or raise KeyError naming the known ones."""
    try:
        return ROUTES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown route {name!r}; known: {', '.join(ROUTES_BY_NAME)}") from None
