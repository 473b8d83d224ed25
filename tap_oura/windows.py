"""Smart backfill: which range a run collects, how it is cut into requests, where bookmarks may go.

Pure functions of (now, settings, bookmark), so every rule is testable without HTTP:

- A first run (no bookmark) reaches back `days_to_backfill` days; no run reaches further back.
- Later runs restart `lookback_days` before the bookmark, because Oura revises recent days and
  has no modified-since filter; after an outage that is the whole gap, capped as above.
- An explicit `start_date` (and optional `end_date`) overrides all of that for manual backfills.
  Such a run advances the bookmark only when its range touches the bookmark, so it can never
  jump the bookmark over days that were not collected.
- The bookmark never moves past `today` / `now` (the ceiling), and never backwards.

Oura's date filters are edge-sensitive (reference/oura-api.md §6): a date-only `end_date` means
midnight, so its day is missed by routes filtered on a later timestamp, and `sleep` is filtered
on `bedtime_start`, the evening before its `day`. Every date request is therefore padded by a day
on both sides and its records are kept only when their key falls inside the window, which also
makes adjacent windows disjoint. Heart rate and battery windows are UTC instants of at most 30
days; they are padded by a second, since the inclusivity of their bounds is undocumented.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DATE_PAD = timedelta(days=1)
INSTANT_PAD = timedelta(seconds=1)
# Oura's FAQ suggests 1-3 month windows for history, but daily collections have no observed range
# limit (6 years answered in one call, reference §6) and pages cap each answer's size: a year per
# request keeps long backfills economical (5 requests per stream for 5 years, not 20).
MAX_DOCUMENT_WINDOW_DAYS = 365
MAX_SERIES_WINDOW = timedelta(days=29)  # requests over 30 days are rejected (reference §6.5)


@dataclass(frozen=True)
class Request:
    """One windowed request: its query parameters and the key range whose records it emits."""

    params: dict[str, str]
    emit_from: str  # inclusive, comparable with the records' replication key values
    emit_until: str  # inclusive for days, exclusive for instants
    until_inclusive: bool

    def emits(self, key_value: str) -> bool:
        """Return True when a record with this replication key value belongs to this window."""
        if key_value < self.emit_from:
            return False
        return key_value <= self.emit_until if self.until_inclusive else key_value < self.emit_until


@dataclass(frozen=True)
class Plan:
    """What one stream collects in this run."""

    requests: tuple[Request, ...]
    first: str  # the earliest key value collected, for logs and the run report
    last: str
    ceiling: str  # the bookmark may not move past this value
    may_advance_bookmark: bool


@dataclass(frozen=True)
class Settings:
    """The settings that shape a plan (a subset of the tap config, already parsed)."""

    days_to_backfill: int
    lookback_days: int
    start: date | None = None
    end: date | None = None


def today_in(tz: ZoneInfo, now: datetime) -> date:
    """Return the calendar day `now` falls on in the configured time zone."""
    return now.astimezone(tz).date()


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """Return the instant a local day starts (23 or 25 hours apart around DST changes)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


_Point = t.TypeVar("_Point", date, datetime)


def plan_dates(
    settings: Settings,
    *,
    now: datetime,
    tz: ZoneInfo,
    bookmark: date | None,
    max_window_days: int = MAX_DOCUMENT_WINDOW_DAYS,
) -> Plan:
    """Plan a date-windowed stream: local days, `YYYY-MM-DD` bookmarks."""
    today = today_in(tz, now)
    if bookmark is not None:
        bookmark = min(bookmark, today)
    last = min(settings.end, today) if settings.end else today
    if settings.start is not None:
        first = settings.start
        may_advance = bookmark is not None and first <= bookmark + timedelta(days=1)
    else:
        floor = today - timedelta(days=settings.days_to_backfill)
        first = _resume_point(bookmark, settings.lookback_days, floor)
        may_advance = True

    requests = []
    window_start = first
    while window_start <= last:
        window_end = min(window_start + timedelta(days=max_window_days - 1), last)
        requests.append(
            Request(
                params={
                    "start_date": (window_start - DATE_PAD).isoformat(),
                    "end_date": (window_end + DATE_PAD).isoformat(),
                },
                emit_from=window_start.isoformat(),
                emit_until=window_end.isoformat(),
                until_inclusive=True,
            )
        )
        window_start = window_end + timedelta(days=1)
    return Plan(
        requests=tuple(requests),
        first=first.isoformat(),
        last=last.isoformat(),
        # An explicit range ending before the bookmark must not drag the bookmark back.
        ceiling=max(min(last, today), bookmark or last).isoformat(),
        may_advance_bookmark=may_advance,
    )


def plan_instants(
    settings: Settings,
    *,
    now: datetime,
    tz: ZoneInfo,
    bookmark: datetime | None,
    max_window: timedelta = MAX_SERIES_WINDOW,
) -> Plan:
    """Plan a datetime-windowed stream (heart rate, battery): UTC instants, half-open windows."""
    now = now.astimezone(UTC).replace(microsecond=0)
    today = today_in(tz, now)
    if bookmark is not None:
        bookmark = min(bookmark.astimezone(UTC), now)
    last = now
    if settings.end is not None:
        last = min(local_midnight(settings.end + timedelta(days=1), tz), now)
    if settings.start is not None:
        first = local_midnight(settings.start, tz)
        may_advance = bookmark is not None and first <= bookmark
    else:
        floor = local_midnight(today - timedelta(days=settings.days_to_backfill), tz)
        first = _resume_point(bookmark, settings.lookback_days, floor)
        may_advance = True

    requests = []
    window_start = first
    while window_start < last:
        window_end = min(window_start + max_window, last)
        requests.append(
            Request(
                params={
                    "start_datetime": _utc(window_start - INSTANT_PAD),
                    "end_datetime": _utc(window_end + INSTANT_PAD),
                },
                emit_from=_utc(window_start),
                emit_until=_utc(window_end),
                until_inclusive=False,
            )
        )
        window_start = window_end
    return Plan(
        requests=tuple(requests),
        first=_utc(first),
        last=_utc(last),
        ceiling=_utc(max(last, bookmark or last)),
        may_advance_bookmark=may_advance,
    )


def _resume_point(bookmark: _Point | None, lookback_days: int, floor: _Point) -> _Point:
    """Return where a scheduled run starts: the lookback before the bookmark, never below floor."""
    if bookmark is None:
        return floor
    return max(bookmark - timedelta(days=lookback_days), floor)


def comparable_instant(value: str) -> str:
    """Return a timestamp in `_utc` form (Oura already sends UTC as "+00:00"; others are parsed)."""
    if len(value) == 25 and value.endswith("+00:00"):
        return value
    return _utc(datetime.fromisoformat(value))


def _utc(instant: datetime) -> str:
    """Format an instant the way Oura formats UTC timestamps, so strings compare in time order."""
    return instant.astimezone(UTC).isoformat(timespec="seconds")
