"""The Oura API v2 routes this tap extracts, as data: one row per stream.

Adding a route is one `Route(...)` line; the stream families in `streams.py` turn each row into a
Singer stream, and the schema comes from the vendored OpenAPI spec (`schemas.py`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Window(enum.Enum):
    """How a route is asked for a time range (reference/oura-api.md §2.1 and §6)."""

    DATES = "dates"  # start_date/end_date, local days; filtered server-side on a timestamp field
    DATETIMES = "datetimes"  # start_datetime/end_datetime, UTC instants, at most 30 days a call
    NONE = "none"  # no date filter: the whole collection every run (full table)


@dataclass(frozen=True)
class Route:
    """One Oura collection route and how to replicate it."""

    name: str  # Singer stream name
    primary_keys: tuple[str, ...]
    window: Window
    replication_key: str | None = None
    lookback_days: int = 0  # default days re-read before the bookmark (Oura revises recent data)
    scope: str | None = None  # OAuth scope that grants the route; named in error messages
    path: str | None = None  # URL segment when it differs from the stream name
    singleton: bool = False  # the response is a bare object, not {"data": [...]}
    key_fallbacks: dict[str, str] = field(default_factory=dict)  # key -> field used when missing
    sandbox: bool = True  # also served under /v2/sandbox/usercollection
    window_days: int = 365  # the longest date window per request (memory per page; §6)

    @property
    def url_segment(self) -> str:
        """Return the route's path segment under /v2/usercollection."""
        return self.path or self.name


# Lookback defaults, in days. Daily documents, sleep and workouts are re-issued for a few days
# (late phone syncs, bedtime edits, naps confirmed later: reference §12.4); tags gain their end
# time and rest-mode periods their end later, so they get longer; heart rate and battery samples
# recorded while the ring was out of phone reach arrive late (peers.md, L480/oura-exporter).
DOCUMENT_LOOKBACK = 7
LATE_EDIT_LOOKBACK = 14
SERIES_LOOKBACK = 3

# Documents carrying per-minute or per-5-minute series (MET, heart rate, hypnograms) are ~50 kB
# each once parsed: a page of a year of them would be the tap's largest allocation. Light daily
# documents are read a year per request.
HEAVY_DOCUMENT_WINDOW_DAYS = 90


def _daily(
    name: str,
    scope: str,
    *,
    replication_key: str = "day",
    lookback_days: int = DOCUMENT_LOOKBACK,
    path: str | None = None,
    key_fallbacks: dict[str, str] | None = None,
    window_days: int = 365,
) -> Route:
    """Return a document route keyed by `id` and bookmarked on a local day."""
    return Route(
        name=name,
        primary_keys=("id",),
        window=Window.DATES,
        replication_key=replication_key,
        lookback_days=lookback_days,
        scope=scope,
        path=path,
        key_fallbacks=key_fallbacks or {},
        window_days=window_days,
    )


ROUTES: tuple[Route, ...] = (
    Route("personal_info", ("id",), Window.NONE, singleton=True, sandbox=False),
    _daily("daily_activity", "daily", window_days=HEAVY_DOCUMENT_WINDOW_DAYS),
    _daily("daily_readiness", "daily"),
    _daily("daily_sleep", "daily"),
    _daily("sleep", "daily", window_days=HEAVY_DOCUMENT_WINDOW_DAYS),
    _daily("sleep_time", "daily"),
    _daily("daily_spo2", "spo2"),
    _daily("daily_stress", "stress"),
    _daily("daily_resilience", "stress"),
    # 2024 responses carried no `id` (reference §3.11): fall back to the day, one per day.
    _daily("daily_cardiovascular_age", "heart_health", key_fallbacks={"id": "day"}),
    _daily("vo2_max", "heart_health", path="vO2_max"),
    _daily("workout", "workout"),
    _daily("session", "session", window_days=HEAVY_DOCUMENT_WINDOW_DAYS),
    _daily("enhanced_tag", "tag", replication_key="start_day", lookback_days=LATE_EDIT_LOOKBACK),
    _daily("tag", "tag", lookback_days=LATE_EDIT_LOOKBACK),
    _daily(
        "rest_mode_period",
        "daily",
        replication_key="start_day",
        lookback_days=LATE_EDIT_LOOKBACK,
    ),
    Route("ring_configuration", ("id",), Window.NONE, scope="ring_configuration"),
    Route(
        "heartrate",
        ("timestamp", "source"),
        Window.DATETIMES,
        replication_key="timestamp",
        lookback_days=SERIES_LOOKBACK,
        scope="heartrate",
    ),
    Route(
        "ring_battery_level",
        ("timestamp",),
        Window.DATETIMES,
        replication_key="timestamp",
        lookback_days=SERIES_LOOKBACK,
        scope="ring_configuration",
    ),
)

ROUTES_BY_NAME: dict[str, Route] = {route.name: route for route in ROUTES}

# What an authorisation should ask for: personal_info's fields (email, personal) plus every
# route's scope. personal_info's id is readable with any token.
SCOPES: tuple[str, ...] = (
    "email",
    "personal",
    *dict.fromkeys(route.scope for route in ROUTES if route.scope),
)
