"""Local and UTC time helpers, and the exact string forms Oura uses for each kind of time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo


def local_time(day: date, seconds: float, tz: tzinfo) -> datetime:
    """Return the wall time `seconds` after local midnight of `day` (may be negative)."""
    return (datetime.combine(day, time()) + timedelta(seconds=seconds)).replace(tzinfo=tz)


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """Return the start of `day` in `tz`."""
    return datetime.combine(day, time(), tzinfo=tz)


def later(moment: datetime, seconds: float) -> datetime:
    """Return the instant `seconds` after `moment`, in its zone (elapsed time, not wall time)."""
    tz = moment.tzinfo
    return (moment.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(tz)


def localized(moment: datetime) -> str:
    """Format a LocalizedDateTime: local wall time with that moment's UTC offset."""
    return moment.isoformat(timespec="seconds")


def sample_start(moment: datetime) -> str:
    """Format a sample's start: like `localized`, with milliseconds (reference §3)."""
    return moment.isoformat(timespec="milliseconds")


def wall_clock(moment: datetime) -> str:
    """Format a LocalDateTime: the wall time alone, without an offset."""
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


def utc_text(epoch: float) -> str:
    """Format a UtcDateTime ("...+00:00") from epoch seconds."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def seconds_between(start: datetime, end: datetime) -> int:
    """Return the elapsed whole seconds from `start` to `end` (DST-proof)."""
    return round(end.timestamp() - start.timestamp())
