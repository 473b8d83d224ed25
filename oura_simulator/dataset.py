"""The simulated Oura data of every user: generated per day on demand, cached, revisable.

`records` and `series` are the truth that tests compare a pipeline's output with; the HTTP layer
serves exactly the same records through the `*_bodies` methods (pre-serialised JSON).
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import orjson

from oura_simulator.clock import local_midnight
from oura_simulator.config import SANDBOX_USER
from oura_simulator.generators import DOCUMENT_GENERATORS, SERIES_GENERATORS, owner
from oura_simulator.generators.context import DayContext
from oura_simulator.profile import Profile, make_profile
from oura_simulator.routes import Kind, route_named
from oura_simulator.schedule import DaySchedule, plan_day
from oura_simulator.windows import record_instant

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from oura_simulator.config import SimulatorConfig
    from oura_simulator.routes import Route

Record = dict[str, Any]

# Bounded caches keep memory flat however long the history is.
DOCUMENT_CACHE_DAYS = 2048  # (route, user, day, revision) entries of a few KB each
SERIES_CACHE_DAYS = 64  # user-days of heart rate (~150 KB each) or battery rows
PLAN_CACHE_DAYS = 1024


@dataclass(frozen=True)
class StoredRecord:
    """A generated document: its filter instant, id and JSON body."""

    instant: float
    id: str
    body: bytes


@dataclass(frozen=True)
class StoredSeries:
    """One user-day of a time series: sorted epoch seconds and the matching JSON rows."""

    epochs: list[int]
    bodies: list[bytes]


class Dataset:
    """Deterministic data of users 1..N and of the sandbox user (0)."""

    def __init__(self, config: SimulatorConfig) -> None:
        """Prepare the users; nothing is generated until asked for."""
        self.config = config
        self._zones = {user: ZoneInfo(config.timezone_name(user)) for user in self.all_users}
        self._profiles = {user: make_profile(config.seed, user) for user in self.all_users}
        self._revisions: dict[tuple[int, date], int] = {}
        self._lock = threading.Lock()
        self._documents = lru_cache(maxsize=DOCUMENT_CACHE_DAYS)(self._generate_documents)
        self._series = lru_cache(maxsize=SERIES_CACHE_DAYS)(self._generate_series)
        self._plans = lru_cache(maxsize=PLAN_CACHE_DAYS)(self._plan)

    # --- users and their calendars --------------------------------------------------------

    @property
    def users(self) -> range:
        """Return the numbers of the real (non-sandbox) users."""
        return range(1, self.config.users + 1)

    @property
    def all_users(self) -> list[int]:
        """Return the real users and the sandbox user."""
        return [SANDBOX_USER, *self.users]

    def timezone(self, user: int) -> ZoneInfo:
        """Return the user's timezone."""
        return self._zones[self._known(user)]

    def profile(self, user: int) -> Profile:
        """Return the user's fixed traits."""
        return self._profiles[self._known(user)]

    def today(self, user: int) -> date:
        """Return the current date in the user's timezone."""
        return self.config.current_time().astimezone(self.timezone(user)).date()

    def first_day(self, user: int) -> date:
        """Return the first day of the user's history."""
        if self.config.first_day is not None:
            return self.config.first_day
        return self.today(user) - timedelta(days=self.config.days - 1)

    def revision(self, user: int, day: date) -> int:
        """Return how many times the user's `day` has been revised."""
        return self._revisions.get((user, day), 0)

    def revise(self, user: int, days: int = 3) -> list[date]:
        """Revise the user's last `days` days (today included); return the days revised."""
        if user not in self.users:
            raise ValueError(f"no user {user}; users are 1..{self.config.users}")
        today = self.today(user)
        revised = [today - timedelta(days=offset) for offset in range(days)]
        with self._lock:
            for day in revised:
                self._revisions[(user, day)] = self.revision(user, day) + 1
        return sorted(revised)

    # --- the truth API --------------------------------------------------------------------

    def records(self, route: str, user: int, first_day: date, last_day: date) -> list[Record]:
        """Return the route's records whose day (or start_day) lies in [first_day, last_day].

        `ring_configuration` has no day: all of the user's rings are returned.
        """
        spec = self._documents_route(route)
        if spec.day_field is None:
            stored = self._ring_configuration(user)
        else:
            first, last = max(first_day, self.first_day(user)), min(last_day, self.today(user))
            stored = [
                record
                for day in _days(first, last)
                for record in self._day_records(spec, user, day)
            ]
        return [orjson.loads(record.body) for record in _sorted(stored)]

    def series(self, route: str, user: int, start: datetime, end: datetime) -> list[Record]:
        """Return the rows with start <= timestamp < end (none after now)."""
        bodies = self.series_bodies(
            route, user, start.timestamp(), end.timestamp(), include_end=False
        )
        return [orjson.loads(body) for body in bodies]

    def personal_info(self, user: int) -> Record:
        """Return the user's full personal info."""
        return owner.personal_info(self.profile(user))

    # --- what the HTTP API serves ---------------------------------------------------------

    def document_bodies(
        self, route: str, user: int, window: tuple[float, float] | None
    ) -> list[bytes]:
        """Return the JSON of records whose filter instant is in the inclusive window."""
        spec = self._documents_route(route)
        if window is None:
            return [record.body for record in _sorted(self._ring_configuration(user))]
        start, end = window
        # A record's filter instant lies within a day or two of its day (a night starts the
        # evening before), so only the days around the window are generated.
        first, last = self._local_day(user, start, -2), self._local_day(user, end, 2)
        matching = [
            record
            for day in _days(first, last)
            for record in self._day_records(spec, user, day)
            if start <= record.instant <= end
        ]
        return [record.body for record in _sorted(matching)]

    def series_bodies(
        self, route: str, user: int, start: float, end: float, *, include_end: bool = True
    ) -> list[bytes]:
        """Return the JSON rows from `start` to `end` (epoch seconds), never beyond now."""
        spec = route_named(route)
        if spec.kind is not Kind.SERIES:
            raise ValueError(f"{route} is not a time series")
        now = self.config.current_time().timestamp()
        first, last = self._local_day(user, start, 0), self._local_day(user, min(end, now), 0)
        bodies: list[bytes] = []
        for local_day in _days(first, last):
            day = self._series(route, user, local_day)
            low = bisect.bisect_left(day.epochs, start)
            high = (bisect.bisect_right if include_end else bisect.bisect_left)(day.epochs, end)
            high = min(high, bisect.bisect_right(day.epochs, now))
            bodies.extend(day.bodies[low:high])
        return bodies

    def document_body(self, route: str, user: int, document_id: str) -> bytes | None:
        """Return the JSON of the user's document with this id, or None."""
        spec = self._documents_route(route)
        candidates: Iterable[StoredRecord] = self._ring_configuration(user)
        if spec.day_field is not None:  # ids are not invertible: search the history, newest first
            newest_first = reversed(list(_days(self.first_day(user), self.today(user))))
            candidates = (r for day in newest_first for r in self._day_records(spec, user, day))
        return next((record.body for record in candidates if record.id == document_id), None)

    # --- generation -----------------------------------------------------------------------

    def _day_records(self, route: Route, user: int, day: date) -> tuple[StoredRecord, ...]:
        # Today is part of the key: open tags and ongoing rest mode close as the days pass.
        return self._documents(route.name, user, day, self.revision(user, day), self.today(user))

    def _generate_documents(
        self, route: str, user: int, day: date, revision: int, today: date
    ) -> tuple[StoredRecord, ...]:
        spec, tz = route_named(route), self.timezone(user)
        records = DOCUMENT_GENERATORS[route](self._context(user, day, revision, today))
        return tuple(_store(spec, record, tz) for record in records)

    def _generate_series(self, route: str, user: int, day: date) -> StoredSeries:
        pairs = SERIES_GENERATORS[route](self._context(user, day, 0, self.today(user)))
        return StoredSeries([epoch for epoch, _ in pairs], [_compact_json(row) for _, row in pairs])

    def _ring_configuration(self, user: int) -> list[StoredRecord]:
        spec, tz = route_named("ring_configuration"), self.timezone(user)
        records = owner.ring_configuration(self.config.seed, self.profile(user))
        return [_store(spec, record, tz) for record in records]

    def _context(self, user: int, day: date, revision: int, today: date) -> DayContext:
        return DayContext(
            seed=self.config.seed,
            user=user,
            day=day,
            revision=revision,
            today=today,
            tz=self.timezone(user),
            profile=self.profile(user),
            plans=lambda planned: self._plans(user, planned),
        )

    def _plan(self, user: int, day: date) -> DaySchedule:
        return plan_day(self.config.seed, user, day, self.timezone(user))

    def _local_day(self, user: int, epoch: float, pad: int) -> date:
        """Return the user's local day of `epoch`, moved by `pad` days, kept inside the history."""
        tz, first, today = self.timezone(user), self.first_day(user), self.today(user)
        if epoch < local_midnight(first, tz).timestamp():
            return first
        if epoch >= local_midnight(today + timedelta(days=1), tz).timestamp():
            return today
        day = datetime.fromtimestamp(epoch, UTC).astimezone(tz).date() + timedelta(days=pad)
        return min(max(day, first), today)

    def _documents_route(self, route: str) -> Route:
        spec = route_named(route)
        if spec.kind is not Kind.DOCUMENTS:
            raise ValueError(f"{route} is not a document route")
        return spec

    def _known(self, user: int) -> int:
        if user not in self._zones:
            raise ValueError(f"no user {user}; users are 1..{self.config.users}")
        return user


def _store(route: Route, record: Record, tz: ZoneInfo) -> StoredRecord:
    instant = record_instant(route, record, tz)
    # 2024 cardiovascular-age records have no id (§12.9); their day orders them instead.
    key = record.get("id") or record["day"]
    return StoredRecord(instant, key, _compact_json(record))


def _compact_json(value: Record) -> bytes:
    """Serialise for the cache; orjson's own result keeps ~4 KB of spare capacity, a copy not."""
    return bytes(memoryview(orjson.dumps(value)))


def _days(first: date, last: date) -> Iterator[date]:
    """Yield the days from `first` to `last`, both included (none if last < first)."""
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def _sorted(records: list[StoredRecord] | tuple[StoredRecord, ...]) -> list[StoredRecord]:
    """Order records the way pages are cut: by filter instant, then id."""
    return sorted(records, key=lambda record: (record.instant, record.id))
