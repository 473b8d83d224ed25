"""Date windows: what instants a request asks for, and which instant of a record they select.

Oura reads a date-only bound as local midnight and compares it with one timestamp per route, both
bounds inclusive (reference §6). Heart rate and battery take instants instead, at most 30 days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from oura_simulator.clock import local_midnight
from oura_simulator.errors import ApiError, invalid, invalid_query, problem
from oura_simulator.routes import Filter, Kind

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from oura_simulator.routes import Route

DATE_PARAMS = ("start_date", "end_date")
DATETIME_PARAMS = ("start_datetime", "end_datetime")
MAX_SERIES_RANGE = timedelta(days=30)  # reference §6.5
DEFAULT_RANGE = timedelta(days=1)  # reference §2.1
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_TRUE = frozenset({"true", "1", "yes", "on", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "off", "f", "n"})


@dataclass(frozen=True)
class Window:
    """An inclusive range of instants (epoch seconds) and the query parameters that chose it."""

    start: float
    end: float
    params: dict[str, str]


def filter_params(route: Route, query: Mapping[str, str]) -> dict[str, str]:
    """Return the route's window parameters present in `query` (others are ignored, §2.1)."""
    names: tuple[str, ...]
    if route.kind is Kind.SERIES:
        names = DATETIME_PARAMS
    elif route.filter is Filter.NONE:
        names = ()
    else:
        names = DATE_PARAMS
    return {name: query[name] for name in names if name in query}


def document_window(route: Route, query: Mapping[str, str], tz: tzinfo, today: date) -> Window:
    """Return the window of a start_date/end_date request; defaults: yesterday to today."""
    params = filter_params(route, query)
    start, end = _parse(params, DATE_PARAMS, tz)
    end = end or local_midnight(today, tz)
    start = start or end - DEFAULT_RANGE
    if start > end:
        raise invalid_query(
            "start_date", "Start date must be before end date", params["start_date"]
        )
    return Window(start.timestamp(), end.timestamp(), params)


def series_window(route: Route, query: Mapping[str, str], now: datetime) -> Window:
    """Return the window of a start_datetime/end_datetime request; defaults: the last 24 h."""
    params = filter_params(route, query)
    start, end = _parse(params, DATETIME_PARAMS, UTC)
    end = end or now
    start = start or end - DEFAULT_RANGE
    if start > end:
        message = "Start datetime must be before end datetime"
        raise invalid_query("start_datetime", message, params["start_datetime"])
    if end - start > MAX_SERIES_RANGE:
        raise ApiError(400, {"detail": "The requested time range exceeds the maximum of 30 days."})
    return Window(start.timestamp(), end.timestamp(), params)


def latest_flag(query: Mapping[str, str]) -> bool:
    """Return the `latest` parameter as a boolean, parsed the way FastAPI does."""
    value = query.get("latest", "false")
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    message = "Input should be a valid boolean, unable to interpret input"
    raise invalid_query("latest", message, value, "bool_parsing")


def _parse(
    params: Mapping[str, str], names: tuple[str, str], tz: tzinfo
) -> tuple[datetime | None, datetime | None]:
    """Parse the start and end parameters given; report every bad one at once, like FastAPI."""
    moments: list[datetime | None] = []
    problems = []
    for name in names:
        value = params.get(name)
        moment = None if value is None else _moment(value, tz)
        if value is not None and moment is None:
            message = "Input should be a valid datetime or date"
            problems.append(problem("query", name, message, value, "datetime_from_date_parsing"))
        moments.append(moment)
    if problems:
        raise invalid(*problems)
    return moments[0], moments[1]


def _moment(value: str, tz: tzinfo) -> datetime | None:
    """Parse a date, a datetime or a Unix time (None if none of these); naive ones are in `tz`."""
    try:
        if _DATE_ONLY.fullmatch(value):
            return local_midnight(date.fromisoformat(value), tz)
        if _NUMBER.fullmatch(value):  # FastAPI reads numbers as Unix time: "1" is 1970 (§6.4)
            return datetime.fromtimestamp(float(value), UTC)
        moment = datetime.fromisoformat(value)
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def record_instant(route: Route, record: Mapping[str, Any], tz: tzinfo) -> float:
    """Return the instant (epoch seconds) a date window is compared with for this record."""
    if route.filter is Filter.INSTANT:
        return datetime.fromisoformat(record[route.filter_field]).timestamp()
    if route.filter is Filter.WALL_TIME:
        wall = datetime.fromisoformat(record[route.filter_field]).replace(tzinfo=tz)
        return wall.timestamp()
    if route.filter is Filter.DAY_MIDNIGHT:
        return local_midnight(date.fromisoformat(record["day"]), tz).timestamp()
    return 0.0
