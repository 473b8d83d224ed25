"""Syncs against the simulator: completeness, bookmarks, lookback, revisions, paging, ranges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from oura_simulator import Simulator, SimulatorConfig
from tap_oura.routes import ROUTES, Window
from tests.conftest import oauth_config
from tests.tap_harness import run_tap

if TYPE_CHECKING:
    from pathlib import Path

DAY_ROUTES = [route for route in ROUTES if route.window is Window.DATES]


def _keys(route, records) -> list[tuple]:
    return [tuple(record.get(key) for key in route.primary_keys) for record in records]


def _today() -> date:
    return datetime.now(UTC).date()


def test_first_sync_emits_exactly_what_oura_serves_for_the_backfill_range(
    simulator: Simulator, tmp_path: Path
) -> None:
    run = run_tap(oauth_config(simulator, tmp_path, days_to_backfill=7))
    first, last = _today() - timedelta(days=7), _today()
    for route in DAY_ROUTES:
        truth = simulator.dataset.records(route.url_segment, 1, first, last)
        assert truth or route.name == "rest_mode_period", route.name  # rest mode is rare
        assert sorted(_keys(route, run.records[route.name])) == sorted(_keys(route, truth))
        by_key = {tuple(r.get(k) for k in route.primary_keys): r for r in truth}
        for record in run.records[route.name]:
            assert record == by_key[tuple(record.get(k) for k in route.primary_keys)], route.name
    assert len(run.records["personal_info"]) == 1
    assert len(run.records["ring_configuration"]) == 2
    report = run.tap.report.streams["heartrate"]
    start, end = (datetime.fromisoformat(value) for value in report.window)
    heartrate_truth = simulator.dataset.series("heartrate", 1, start, end)
    assert len(run.records["heartrate"]) == len(heartrate_truth) > 1000 * 7
    assert run.records["heartrate"] == heartrate_truth


def test_bookmarks_land_on_the_newest_day_and_never_in_the_future(
    simulator: Simulator, tmp_path: Path
) -> None:
    run = run_tap(oauth_config(simulator, tmp_path, days_to_backfill=7))
    for route in DAY_ROUTES:
        # A stream with nothing in the range (rest mode is rare) keeps no bookmark at all.
        newest = max((r[route.replication_key] for r in run.records[route.name]), default=None)
        assert run.bookmark(route.name) == newest, route.name
        if newest is None:
            continue
        assert run.bookmark(route.name) <= _today().isoformat()
    heartrate_bookmark = datetime.fromisoformat(run.bookmark("heartrate"))
    assert heartrate_bookmark <= datetime.now(UTC)
    assert run.bookmark("personal_info") is None


def test_next_run_rereads_only_the_lookback_and_emits_each_record_once(
    simulator: Simulator, tmp_path: Path
) -> None:
    config = oauth_config(simulator, tmp_path, days_to_backfill=20)
    first = run_tap(config)
    second = run_tap(config, state=first.final_state)
    for route in DAY_ROUTES:
        records = second.records[route.name]
        assert len(_keys(route, records)) == len(set(_keys(route, records))), route.name
        oldest = min((r[route.replication_key] for r in records), default=None)
        bookmark = date.fromisoformat(first.bookmark(route.name))
        assert (
            oldest is None or oldest >= (bookmark - timedelta(days=route.lookback_days)).isoformat()
        )
    assert len(second.records["sleep"]) < len(first.records["sleep"])
    heartrate = second.records["heartrate"]
    assert len(_keys(ROUTES[-2], heartrate)) == len(set(_keys(ROUTES[-2], heartrate)))
    assert len(heartrate) < len(first.records["heartrate"]) / 3


def test_revised_recent_days_reach_the_next_run(simulator: Simulator, tmp_path: Path) -> None:
    config = oauth_config(simulator, tmp_path, days_to_backfill=10)
    before = run_tap(config)
    simulator.revise(user=1, days=3)
    after = run_tap(config, state=before.final_state)
    revised_days = {(_today() - timedelta(days=n)).isoformat() for n in range(3)}
    old = {r["id"]: r for r in before.records["daily_readiness"]}
    changed = [r for r in after.records["daily_readiness"] if r != old.get(r["id"])]
    assert changed and {r["day"] for r in changed} <= revised_days
    truth = simulator.dataset.records("daily_readiness", 1, _today() - timedelta(days=2), _today())
    assert all(record in after.records["daily_readiness"] for record in truth)


def test_pagination_follows_next_token_to_the_end(tmp_path: Path) -> None:
    config = SimulatorConfig(days=10, page_size=2, series_page_size=300)
    with Simulator(config, host="127.0.0.1", port=0) as sim:
        run = run_tap(oauth_config(sim, tmp_path, days_to_backfill=5))
        first, last = _today() - timedelta(days=5), _today()
        for route in DAY_ROUTES:
            truth = sim.dataset.records(route.url_segment, 1, first, last)
            assert sorted(_keys(route, run.records[route.name])) == sorted(_keys(route, truth))
        report = run.tap.report.streams
        assert report["daily_sleep"].requests >= 3  # 6 days + padding in pages of 2
        assert report["heartrate"].requests >= len(run.records["heartrate"]) / 300


def test_explicit_range_collects_that_range_and_leaves_the_bookmark(
    simulator: Simulator, tmp_path: Path
) -> None:
    config = oauth_config(simulator, tmp_path, days_to_backfill=3)
    normal = run_tap(config)
    start, end = _today() - timedelta(days=20), _today() - timedelta(days=15)
    backfill = run_tap(
        {**config, "start_date": start.isoformat(), "end_date": end.isoformat()},
        state=normal.final_state,
    )
    days = {r["day"] for r in backfill.records["daily_sleep"]}
    assert days == {(start + timedelta(days=n)).isoformat() for n in range(6)}
    for route in DAY_ROUTES:
        assert backfill.bookmark(route.name) == normal.bookmark(route.name), route.name
    assert backfill.bookmark("heartrate") == normal.bookmark("heartrate")


@pytest.mark.parametrize("lookback", [0, 2])
def test_lookback_setting_overrides_every_stream(
    simulator: Simulator, tmp_path: Path, lookback: int
) -> None:
    config = oauth_config(simulator, tmp_path, days_to_backfill=10, lookback_days=lookback)
    first = run_tap(config, streams=["daily_sleep", "tag"])
    second = run_tap(config, state=first.final_state, streams=["daily_sleep", "tag"])
    expected = _today() - timedelta(days=lookback)
    assert min(r["day"] for r in second.records["daily_sleep"]) == expected.isoformat()


def test_sandbox_reads_the_sandbox_routes_without_personal_info(
    simulator: Simulator, tmp_path: Path
) -> None:
    run = run_tap(oauth_config(simulator, tmp_path, sandbox=True, days_to_backfill=3))
    assert run.records["personal_info"] == []
    assert run.records["daily_sleep"]
    stats = simulator.stats()
    assert any("sandbox" in route for route in stats["routes"])


def test_batch_files_reach_the_target_and_old_ones_are_cleaned_up(
    simulator: Simulator, tmp_path: Path
) -> None:
    import os  # noqa: PLC0415
    import time  # noqa: PLC0415

    batches = tmp_path / "batches"
    batches.mkdir()
    stale, fresh = (
        batches / "tap-oura--sleep-old-1.json.gz",
        batches / "tap-oura--sleep-new-1.json.gz",
    )
    for path in (stale, fresh):
        path.write_bytes(b"")
    two_days_ago = time.time() - 2 * 86400
    os.utime(stale, (two_days_ago, two_days_ago))
    config = oauth_config(
        simulator,
        tmp_path,
        days_to_backfill=3,
        batch_config={
            "encoding": {"format": "jsonl", "compression": "gzip"},
            "storage": {"root": f"file://{batches}"},
        },
    )
    run = run_tap(config, streams=["daily_sleep"])
    assert not stale.exists() and fresh.exists()
    assert len(list(batches.glob("tap-oura--daily_sleep-*.json.gz"))) == 1
    assert run.final_state["bookmarks"]["daily_sleep"]["replication_key_value"]


def test_nul_characters_are_removed_before_loading(simulator: Simulator) -> None:
    import requests  # noqa: PLC0415

    from tap_oura.tap import TapOura  # noqa: PLC0415

    response = requests.Response()
    response.status_code = 200
    response._content = b'{"data": [{"id": "a", "comment": "x\\u0000y", "tags": ["\\u0000z"]}]}'
    stream = TapOura(config={"personal_access_token": "x" * 20}).streams["tag"]
    assert list(stream.parse_response(response)) == [{"id": "a", "comment": "xy", "tags": ["z"]}]
