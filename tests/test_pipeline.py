"""End to end: `meltano run` from the simulator into a real PostgreSQL, then dbt.

One simulated Oura account and one database serve the whole module; the runs happen in order
(first run, revised second run, bounded backfill, state reset) and each test names the run it
needs, so any test also runs alone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from oura_simulator import Simulator, SimulatorConfig
from tap_oura.routes import ROUTES, Window
from tests.conftest import fresh_database
from tests.pipeline_harness import (
    STATE_ID,
    bookmarks,
    check,
    database_of,
    differences,
    meltano,
    pipeline_env,
    rows,
    run_report,
    scalar,
    stored_state,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.slow

DAYS = 10
OWNER_ZONE = ZoneInfo("Europe/Paris")  # the simulator's first user


def _today() -> date:
    return datetime.now(UTC).date()


def _last_dst_change(before: date) -> date:
    """Return the last day before `before` on which Paris changed its UTC offset."""
    day = before
    while True:
        day -= timedelta(days=1)
        noon_before = datetime(day.year, day.month, day.day, tzinfo=OWNER_ZONE) - timedelta(
            hours=12
        )
        noon_after = datetime(day.year, day.month, day.day, 12, tzinfo=OWNER_ZONE)
        if noon_before.utcoffset() != noon_after.utcoffset():
            return day


DST_DAY = _last_dst_change(_today())


class Pipeline:
    """The module's account, database and environment, and what each run left behind."""

    def __init__(self, sim: Simulator, uri: str, tmp_path: Path) -> None:
        self.sim, self.uri, self.tmp_path = sim, uri, tmp_path
        self.env = pipeline_env(uri, sim, tmp_path, days_to_backfill=DAYS)
        self.results: dict[str, Any] = {}

    def truth(self, route_name: str, first: date, last: date) -> list[dict[str, Any]]:
        route = next(route for route in ROUTES if route.name == route_name)
        if route.name == "personal_info":
            return [self.sim.dataset.personal_info(1)]
        if route.window is Window.DATETIMES:
            return self.sim.dataset.series(
                route.url_segment,
                1,
                datetime.fromisoformat(self.results["heartrate_window"][route.name][0]),
                datetime.fromisoformat(self.results["heartrate_window"][route.name][1]),
            )
        return self.sim.dataset.records(route.url_segment, 1, first, last)

    def run(self, *args: str, env: dict[str, str] | None = None) -> Any:
        return check(meltano("run", *args, env=env or self.env))


@pytest.fixture(scope="module")
def pipeline(
    postgres_admin_uri: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pipeline]:
    """An account with history back past the last DST change, and a database in New York time.

    The database's default zone is not UTC on purpose: stored instants must not depend on it.
    """
    first_day = min(DST_DAY, _today() - timedelta(days=DAYS)) - timedelta(days=3)
    config = SimulatorConfig(first_day=first_day)
    with (
        Simulator(config, host="127.0.0.1", port=0) as sim,
        fresh_database(postgres_admin_uri, timezone="America/New_York") as uri,
    ):
        database_of(uri).prepare()
        yield Pipeline(sim, uri, tmp_path_factory.mktemp("pipeline"))


@pytest.fixture(scope="module")
def first_run(pipeline: Pipeline) -> Pipeline:
    """The first scheduled run: extract, load and transform (the `oura-elt` job)."""
    pipeline.results["first"] = pipeline.run("oura-elt")
    report = run_report(pipeline.env)
    pipeline.results["heartrate_window"] = {
        name: report["streams"][name]["window"] for name in ("heartrate", "ring_battery_level")
    }
    pipeline.results["first_bookmarks"] = bookmarks(pipeline.uri)
    return pipeline


@pytest.fixture(scope="module")
def second_run(first_run: Pipeline) -> Pipeline:
    """Oura revises the last three days; the next run re-reads its lookback and upserts."""
    first_run.results["revised_days"] = first_run.sim.revise(user=1, days=3)
    first_run.results["counts_before"] = {
        route.name: len(rows(first_run.uri, route.name)) for route in ROUTES
    }
    first_run.results["second"] = first_run.run("oura-elt")
    report = run_report(first_run.env)
    for name, (start, _) in list(first_run.results["heartrate_window"].items()):
        # Truth now spans from the first run's start to the second run's end.
        first_run.results["heartrate_window"][name] = (start, report["streams"][name]["window"][1])
    return first_run


def _assert_raw_tables_equal_truth(pipeline: Pipeline) -> None:
    first, last = _today() - timedelta(days=DAYS), _today()
    problems = {}
    for route in ROUTES:
        truth = pipeline.truth(route.name, first, last)
        stored = rows(pipeline.uri, route.name)
        if route.name not in ("rest_mode_period",):
            assert truth, f"the simulator has no {route.name}: the test proves nothing"
        if found := differences(truth, stored, route.primary_keys):
            problems[route.name] = found[:3]
    assert problems == {}


def test_a_run_loads_exactly_what_oura_serves_for_every_stream(first_run: Pipeline) -> None:
    _assert_raw_tables_equal_truth(first_run)
    assert len(rows(first_run.uri, "heartrate")) > 1000 * DAYS


def test_state_lives_in_postgres_next_to_the_data(first_run: Pipeline) -> None:
    state = stored_state(first_run.uri)
    assert state is not None, "no state row for " + STATE_ID
    marks = state["singer_state"]["bookmarks"]
    assert marks["daily_sleep"]["replication_key_value"] <= _today().isoformat()
    assert marks["heartrate"]["replication_key_value"] <= datetime.now(UTC).isoformat()
    tokens = scalar(first_run.uri, "select count(*) from oura_auth.oauth_tokens")
    assert tokens == 1  # the rotated OAuth token is kept in the same database


def test_a_second_run_adds_no_duplicates_and_takes_revised_days(second_run: Pipeline) -> None:
    _assert_raw_tables_equal_truth(second_run)  # revised values replaced, nothing doubled
    revised = {day.isoformat() for day in second_run.results["revised_days"]}
    report = run_report(second_run.env)["streams"]
    assert report["daily_readiness"]["window"][0] >= (_today() - timedelta(days=7)).isoformat()
    grown = [
        route.name
        for route in ROUTES
        if len(rows(second_run.uri, route.name)) > second_run.results["counts_before"][route.name]
    ]
    assert "daily_readiness" not in grown  # one per day: revised in place, not added again
    readiness = {r["day"].isoformat(): r for r in rows(second_run.uri, "daily_readiness")}
    truth = second_run.sim.dataset.records("daily_readiness", 1, _today() - timedelta(2), _today())
    assert truth and all(record["day"] in revised for record in truth)
    assert all(readiness[r["day"]]["score"] == r["score"] for r in truth)


def test_the_marts_cover_the_simulated_days(second_run: Pipeline) -> None:
    uri = second_run.uri
    days = scalar(uri, "select count(distinct day) from raw_oura.daily_sleep")
    assert scalar(uri, "select count(*) from analytics.daily_summary") >= days > DAYS - 2
    assert scalar(uri, "select count(*) from analytics.daily_summary where is_provisional") >= 1
    assert scalar(uri, "select count(*) from analytics.sleep_periods") == len(rows(uri, "sleep"))
    main_per_day = scalar(
        uri,
        "select max(n) from (select day, count(*) n from analytics.sleep_periods"
        " where is_main_sleep group by day) d",
    )
    assert main_per_day == 1
    phases = scalar(uri, "select count(*) from analytics.sleep_phases")
    hypnogram = scalar(uri, "select sum(length(sleep_phase_5_min)) from raw_oura.sleep")
    assert phases == hypnogram > 0
    heart_rate = scalar(uri, "select count(*) from analytics.heart_rate")
    assert heart_rate == len(rows(uri, "heartrate"))
    heart_rate_items = scalar(
        uri,
        "select count(*) from raw_oura.sleep, jsonb_array_elements(heart_rate -> 'items') item"
        " where jsonb_typeof(heart_rate -> 'items') = 'array' and item <> 'null'::jsonb",
    )
    sleep_bpm = scalar(uri, "select count(bpm) from analytics.sleep_heart_rate")
    assert sleep_bpm == heart_rate_items > 0
    tags = scalar(uri, "select count(*) from analytics.tags")
    assert tags == len(rows(uri, "tag")) + len(rows(uri, "enhanced_tag"))


def test_a_bounded_backfill_leaves_the_main_bookmark_and_keeps_dst_offsets(
    second_run: Pipeline,
) -> None:
    before = bookmarks(second_run.uri)
    start, end = DST_DAY - timedelta(days=1), DST_DAY + timedelta(days=1)
    env = {**second_run.env, "TAP_OURA_START_DATE": str(start), "TAP_OURA_END_DATE": str(end)}
    second_run.run("--full-refresh", "--no-state-update", "tap-oura", "target-postgres", env=env)
    assert bookmarks(second_run.uri) == before
    loaded = {r["day"] for r in rows(second_run.uri, "daily_sleep")}
    assert {start, DST_DAY, end} <= loaded

    # The night of the clock change: the instant and the wall clock both survive, each with
    # its own offset.
    sleeps = [
        r for r in rows(second_run.uri, "sleep") if r["bedtime_start"][-6:] != r["bedtime_end"][-6:]
    ]
    assert sleeps, "no sleep crossed the DST change"
    night = sleeps[0]
    check(meltano("invoke", "dbt-postgres:build", env=second_run.env))
    period = scalar(
        second_run.uri,
        "select row_to_json(p) from analytics.sleep_periods p where sleep_id = %s",
        night["id"],
    )
    assert period["bedtime_start_utc_offset"] == night["bedtime_start"][-6:]
    assert period["bedtime_end_utc_offset"] == night["bedtime_end"][-6:]
    assert period["bedtime_start_local"].startswith(night["bedtime_start"][:19])
    start_instant = datetime.fromisoformat(night["bedtime_start"])
    assert datetime.fromisoformat(period["bedtime_start_at"]) == start_instant


def test_a_separate_state_lane_backfills_without_touching_the_main_one(
    second_run: Pipeline,
) -> None:
    before = bookmarks(second_run.uri)
    start = _today() - timedelta(days=DAYS + 5)
    env = {**second_run.env, "TAP_OURA_START_DATE": str(start), "TAP_OURA_END_DATE": str(start)}
    second_run.run("--state-id-suffix", "backfill", "tap-oura", "target-postgres", env=env)
    assert bookmarks(second_run.uri) == before
    assert stored_state(second_run.uri, f"{STATE_ID}:backfill") is not None
    assert start in {r["day"] for r in rows(second_run.uri, "daily_sleep")}


def test_clearing_state_recollects_days_to_backfill(second_run: Pipeline) -> None:
    check(meltano("state", "clear", "--force", STATE_ID, env=second_run.env))
    assert stored_state(second_run.uri) is None or not bookmarks(second_run.uri)
    env = {**second_run.env, "TAP_OURA_DAYS_TO_BACKFILL": "3"}
    second_run.run("tap-oura", "target-postgres", env=env)
    report = run_report(env)["streams"]
    assert report["daily_sleep"]["window"][0] == (_today() - timedelta(days=3)).isoformat()
    assert bookmarks(second_run.uri)["daily_sleep"]["replication_key_value"]
