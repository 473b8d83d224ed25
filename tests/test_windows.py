"""Smart backfill window math: cap, lookback, padding, DST, outage gaps, explicit ranges."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from tap_oura.windows import (
    Settings,
    comparable_instant,
    local_midnight,
    plan_dates,
    plan_instants,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 24, 15, 30, 12, 123456, tzinfo=UTC)
TODAY = date(2026, 11, 24)
DEFAULTS = Settings(days_to_backfill=30, lookback_days=7)


def _days(plan) -> list[tuple[str, str]]:
    return [(r.emit_from, r.emit_until) for r in plan.requests]


def test_first_run_reaches_back_exactly_days_to_backfill() -> None:
    plan = plan_dates(DEFAULTS, now=NOW, tz=UTC, bookmark=None)
    assert (plan.first, plan.last) == ("2026-10-25", "2026-11-24")
    assert plan.may_advance_bookmark
    assert plan.ceiling == "2026-11-24"


def test_later_run_restarts_lookback_days_before_the_bookmark() -> None:
    plan = plan_dates(DEFAULTS, now=NOW, tz=UTC, bookmark=date(2026, 11, 23))
    assert (plan.first, plan.last) == ("2026-11-16", "2026-11-24")
    assert len(plan.requests) == 1


def test_outage_gap_is_filled_but_capped_at_days_to_backfill() -> None:
    ten_days_ago = plan_dates(DEFAULTS, now=NOW, tz=UTC, bookmark=date(2026, 11, 14))
    assert ten_days_ago.first == "2026-11-07"  # the gap plus the lookback
    long_ago = plan_dates(DEFAULTS, now=NOW, tz=UTC, bookmark=date(2026, 1, 1))
    assert long_ago.first == "2026-10-25"  # never beyond the cap


def test_date_requests_are_padded_a_day_each_side_and_emit_only_their_window() -> None:
    plan = plan_dates(DEFAULTS, now=NOW, tz=UTC, bookmark=date(2026, 11, 23))
    (request,) = plan.requests
    # end_date means midnight and sleep is filtered on bedtime_start (reference §6):
    # ask for one more day on each side, keep only the window's days.
    assert request.params == {"start_date": "2026-11-15", "end_date": "2026-11-25"}
    assert not request.emits("2026-11-15")
    assert request.emits("2026-11-16")
    assert request.emits("2026-11-24")
    assert not request.emits("2026-11-25")


def test_long_ranges_are_cut_into_disjoint_windows_that_cover_every_day() -> None:
    settings = Settings(days_to_backfill=365, lookback_days=7)
    plan = plan_dates(settings, now=NOW, tz=UTC, bookmark=None, max_window_days=90)
    windows = _days(plan)
    assert len(windows) == 5  # 366 days in windows of 90
    assert windows[0][0] == "2025-11-24"
    assert windows[-1][1] == "2026-11-24"
    for (_, previous_end), (start, _) in itertools.pairwise(windows):
        assert date.fromisoformat(start) == date.fromisoformat(previous_end) + timedelta(days=1)


def test_today_follows_the_configured_timezone() -> None:
    late_evening_utc = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    assert plan_dates(DEFAULTS, now=late_evening_utc, tz=UTC, bookmark=None).last == "2026-11-24"
    tokyo = ZoneInfo("Asia/Tokyo")
    assert plan_dates(DEFAULTS, now=late_evening_utc, tz=tokyo, bookmark=None).last == "2026-11-25"


def test_a_bookmark_in_the_future_is_treated_as_today() -> None:
    plan = plan_dates(DEFAULTS, now=NOW, tz=UTC, bookmark=date(2027, 1, 1))
    assert (plan.first, plan.last) == ("2026-11-17", "2026-11-24")


def test_explicit_range_ignores_bookmark_and_cap() -> None:
    settings = Settings(
        days_to_backfill=30, lookback_days=7, start=date(2024, 1, 1), end=date(2024, 1, 31)
    )
    plan = plan_dates(settings, now=NOW, tz=UTC, bookmark=date(2026, 11, 20))
    assert (plan.first, plan.last) == ("2024-01-01", "2024-01-31")
    # It overlaps the bookmark's past, so it may only confirm it: the SDK caps the bookmark at
    # the ceiling, which therefore stays at the old bookmark instead of the range's end.
    assert plan.may_advance_bookmark
    assert plan.ceiling == "2026-11-20"
    no_state = plan_dates(settings, now=NOW, tz=UTC, bookmark=None)
    assert no_state.ceiling == "2024-01-31"


def test_explicit_range_after_a_gap_must_not_move_the_bookmark() -> None:
    settings = Settings(days_to_backfill=30, lookback_days=7, start=date(2026, 11, 20))
    gap = plan_dates(settings, now=NOW, tz=UTC, bookmark=date(2026, 11, 10))
    assert not gap.may_advance_bookmark  # days 11..19 were never collected
    no_state = plan_dates(settings, now=NOW, tz=UTC, bookmark=None)
    assert not no_state.may_advance_bookmark  # a first bookmark would hide the older days
    touching = plan_dates(settings, now=NOW, tz=UTC, bookmark=date(2026, 11, 19))
    assert touching.may_advance_bookmark


def test_explicit_end_in_the_future_stops_at_today() -> None:
    settings = Settings(
        days_to_backfill=30, lookback_days=7, start=date(2026, 11, 20), end=date(2026, 12, 31)
    )
    plan = plan_dates(settings, now=NOW, tz=UTC, bookmark=None)
    assert (plan.last, plan.ceiling) == ("2026-11-24", "2026-11-24")


def test_instant_windows_are_utc_half_open_and_at_most_29_days() -> None:
    settings = Settings(days_to_backfill=90, lookback_days=3)
    plan = plan_instants(settings, now=NOW, tz=UTC, bookmark=None)
    assert plan.first == "2026-08-26T00:00:00+00:00"
    assert plan.last == "2026-11-24T15:30:12+00:00"
    for request in plan.requests:
        start = datetime.fromisoformat(request.params["start_datetime"])
        end = datetime.fromisoformat(request.params["end_datetime"])
        assert end - start <= timedelta(days=30)
        assert not request.until_inclusive
    bounds = [(r.emit_from, r.emit_until) for r in plan.requests]
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))  # no gap, no overlap


def test_instant_requests_pad_a_second_but_emit_a_half_open_window() -> None:
    settings = Settings(days_to_backfill=30, lookback_days=3)
    bookmark = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    (request,) = plan_instants(settings, now=NOW, tz=UTC, bookmark=bookmark).requests
    assert request.params == {
        "start_datetime": "2026-11-21T11:59:59+00:00",
        "end_datetime": "2026-11-24T15:30:13+00:00",
    }
    assert request.emits("2026-11-21T12:00:00+00:00")
    assert not request.emits("2026-11-21T11:59:59+00:00")
    assert not request.emits("2026-11-24T15:30:12+00:00")


def test_instant_windows_start_at_local_midnight_across_dst() -> None:
    # Paris left summer time on 2026-10-25: that local day lasts 25 hours.
    settings = Settings(
        days_to_backfill=30, lookback_days=3, start=date(2026, 10, 25), end=date(2026, 10, 25)
    )
    plan = plan_instants(settings, now=NOW, tz=PARIS, bookmark=None)
    assert plan.first == "2026-10-24T22:00:00+00:00"  # midnight CEST (+02:00)
    assert plan.last == "2026-10-25T23:00:00+00:00"  # next midnight CET (+01:00)
    assert local_midnight(date(2026, 3, 29), PARIS) == datetime(2026, 3, 28, 23, tzinfo=UTC)


def test_instant_bookmark_lookback_and_cap() -> None:
    settings = Settings(days_to_backfill=30, lookback_days=3)
    recent = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert plan_instants(settings, now=NOW, tz=UTC, bookmark=recent).first == (
        "2026-11-21T10:00:00+00:00"
    )
    ancient = datetime(2025, 1, 1, tzinfo=UTC)
    assert plan_instants(settings, now=NOW, tz=UTC, bookmark=ancient).first == (
        "2026-10-25T00:00:00+00:00"
    )
    future = datetime(2027, 1, 1, tzinfo=UTC)
    assert plan_instants(settings, now=NOW, tz=UTC, bookmark=future).first == (
        "2026-11-21T15:30:12+00:00"
    )


def test_timestamps_compare_in_time_order_whatever_their_spelling() -> None:
    assert comparable_instant("2026-11-24T10:00:00+00:00") == "2026-11-24T10:00:00+00:00"
    assert comparable_instant("2026-11-24T10:00:00.000Z") == "2026-11-24T10:00:00+00:00"
    assert comparable_instant("2026-11-24T12:00:00+02:00") == "2026-11-24T10:00:00+00:00"


def test_explicit_instant_range_before_the_bookmark_keeps_the_bookmark() -> None:
    bookmark = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    settings = Settings(
        days_to_backfill=30, lookback_days=3, start=date(2026, 11, 1), end=date(2026, 11, 5)
    )
    plan = plan_instants(settings, now=NOW, tz=UTC, bookmark=bookmark)
    assert plan.last == "2026-11-06T00:00:00+00:00"
    assert plan.may_advance_bookmark
    assert plan.ceiling == "2026-11-20T08:30:00+00:00"
