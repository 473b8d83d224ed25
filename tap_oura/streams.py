"""The stream families: full-table, day-windowed documents, instant-windowed series.

Each route in `routes.ROUTES` becomes an instance of the family its window rule names; a family
only decides which windows to request and how to read a record's position in them.
"""

from __future__ import annotations

import typing as t
from datetime import UTC, date, datetime

from tap_oura import windows
from tap_oura.client import OuraStream
from tap_oura.routes import ROUTES, Window

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from singer_sdk.helpers.types import Context

    from tap_oura.tap import TapOura


class FullTableStream(OuraStream):
    """A small collection read whole every run (personal_info, ring_configuration)."""

    def collect(self, context: Context | None) -> Iterator[dict[str, t.Any]]:
        """Read everything; personal_info does not exist in the sandbox."""
        if self.route.singleton and self.config.get("sandbox"):
            self.logger.info("%s is not served by Oura's sandbox; skipping it.", self.name)
            return
        yield from super().collect(context)


class WindowedStream(OuraStream):
    """An incremental stream read in windows planned by `windows` (smart backfill)."""

    def plan(self) -> windows.Plan:
        """Plan this run's windows from the settings, the clock and the bookmark."""
        raise NotImplementedError

    def window_key(self, record: dict[str, t.Any]) -> str:
        """Return the record's replication key in the form window bounds compare with."""
        return self.bookmark_order(record[self.replication_key])

    def bookmark(self) -> str | None:
        """Return the bookmark this run started from, if the state has one for our key."""
        state = self.stream_state
        if state.get("replication_key") != self.replication_key:
            return None
        return state.get("replication_key_value")

    def get_replication_key_signpost(self, context: Context | None = None) -> str | None:
        """Plan this run and cap its bookmark at the range's end (the SDK asks once per sync)."""
        self._run_plan = self.plan()
        return self._run_plan.ceiling

    def collect(self, context: Context | None) -> Iterator[dict[str, t.Any]]:
        """Request each window; emit records inside it once, in window order."""
        plan = self._run_plan
        self.report.window = (plan.first, plan.last)
        self._advance_bookmark = plan.may_advance_bookmark
        if (bookmark := self.bookmark()) and self._advance_bookmark:
            # Seed the run's progress with the old bookmark, so a run that re-reads only older
            # days (or finds fewer records) can never move the bookmark backwards.
            super()._increment_stream_state({self.replication_key: bookmark}, context=context)
        for request in plan.requests:
            seen: set[tuple[t.Any, ...]] = set()
            for record in self.checked(self.request_records(request.params)):
                if not request.emits(self.window_key(record)):
                    continue  # padding outside the window; a neighbouring window owns it
                key = tuple(record.get(name) for name in self.primary_keys)
                if key in seen:
                    continue
                seen.add(key)
                yield record


class DateWindowedStream(WindowedStream):
    """Documents asked for by local day (`start_date`/`end_date`), bookmarked on a `day`."""

    def plan(self) -> windows.Plan:
        """Plan local-day windows."""
        bookmark = self.bookmark()
        return windows.plan_dates(
            self.oura_tap.window_settings(self.route),
            now=datetime.now(UTC),
            tz=self.oura_tap.timezone,
            bookmark=date.fromisoformat(bookmark[:10]) if bookmark else None,
            max_window_days=self.route.window_days,
        )


class InstantWindowedStream(WindowedStream):
    """Time series asked for by UTC instant (`start_datetime`/`end_datetime`), at most 30 days."""

    batch_file_max_bytes = 64 * 1024 * 1024

    def plan(self) -> windows.Plan:
        """Plan UTC windows of at most 29 days."""
        bookmark = self.bookmark()
        return windows.plan_instants(
            self.oura_tap.window_settings(self.route),
            now=datetime.now(UTC),
            tz=self.oura_tap.timezone,
            bookmark=datetime.fromisoformat(bookmark) if bookmark else None,
        )

    def bookmark_order(self, value: t.Any) -> t.Any:
        """Order timestamps as instants, whatever offset they were written with."""
        return windows.comparable_instant(value)


FAMILIES: dict[Window, type[OuraStream]] = {
    Window.NONE: FullTableStream,
    Window.DATES: DateWindowedStream,
    Window.DATETIMES: InstantWindowedStream,
}


def build_streams(tap: TapOura) -> list[OuraStream]:
    """Instantiate one stream per route, in the table's order."""
    return [FAMILIES[route.window](tap, route) for route in ROUTES]
