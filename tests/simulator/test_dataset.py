"""The synthetic data itself: deterministic, plausible, and shaped by Oura's quirks."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import orjson
import pytest

from oura_simulator import Dataset
from oura_simulator.routes import ROUTES, Kind
from tests.simulator.helpers import DST_NIGHT, NOW, TODAY, Clock, make_config

DOCUMENT_ROUTES = [route.name for route in ROUTES if route.kind is Kind.DOCUMENTS]
PARIS = ZoneInfo("Europe/Paris")
FIRST = TODAY - timedelta(days=29)


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    """Return a read-only dataset of two users (Paris and New York)."""
    return Dataset(make_config(users=2))


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _local(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(PARIS)


def test_the_same_inputs_give_byte_identical_records() -> None:
    first, second = Dataset(make_config(users=2)), Dataset(make_config(users=2))
    for route in DOCUMENT_ROUTES:
        for user in (1, 2):
            assert orjson.dumps(first.records(route, user, FIRST, TODAY)) == orjson.dumps(
                second.records(route, user, FIRST, TODAY)
            ), route
    window = (NOW - timedelta(days=3), NOW)
    assert first.series("heartrate", 2, *window) == second.series("heartrate", 2, *window)


def test_records_do_not_depend_on_the_range_asked_for(dataset: Dataset) -> None:
    for route in ("sleep", "daily_activity", "enhanced_tag", "workout"):
        whole = dataset.records(route, 1, FIRST, TODAY)
        by_day = [r for day in _days(FIRST, TODAY) for r in dataset.records(route, 1, day, day)]
        assert sorted(whole, key=orjson.dumps) == sorted(by_day, key=orjson.dumps), route
    start, end = NOW - timedelta(days=2), NOW
    middle = start + timedelta(hours=31, seconds=17)
    halves = dataset.series("heartrate", 1, start, middle) + dataset.series(
        "heartrate", 1, middle, end
    )
    assert halves == dataset.series("heartrate", 1, start, end)


def test_another_seed_gives_other_data(dataset: Dataset) -> None:
    other = Dataset(make_config(users=2, seed=8))
    assert other.records("daily_sleep", 1, TODAY, TODAY) != dataset.records(
        "daily_sleep", 1, TODAY, TODAY
    )


def test_history_spans_the_configured_days_in_each_user_s_timezone() -> None:
    clock = Clock(datetime(2025, 10, 30, 16, 0, tzinfo=UTC))  # already the 31st in Tokyo
    dataset = Dataset(make_config(users=3, days=10, now=clock))
    for user, today in ((1, date(2025, 10, 30)), (2, date(2025, 10, 30)), (3, date(2025, 10, 31))):
        days = [r["day"] for r in dataset.records("daily_sleep", user, date(2025, 1, 1), today)]
        assert days == [day.isoformat() for day in _days(today - timedelta(days=9), today)]
    fixed = Dataset(make_config(first_day=date(2025, 10, 1)))
    assert fixed.records("daily_readiness", 1, date(2025, 1, 1), TODAY)[0]["day"] == "2025-10-01"


def test_users_have_stable_distinct_ids(dataset: Dataset) -> None:
    first, second = dataset.personal_info(1), dataset.personal_info(2)
    assert first["id"] != second["id"]
    assert Dataset(make_config(users=2)).personal_info(1) == first


def test_a_night_across_the_dst_change_keeps_both_offsets(dataset: Dataset) -> None:
    (night,) = [
        r for r in dataset.records("sleep", 1, DST_NIGHT, DST_NIGHT) if r["type"] == "long_sleep"
    ]
    assert night["bedtime_start"].endswith("+02:00")
    assert night["bedtime_end"].endswith("+01:00")
    start, end = (datetime.fromisoformat(night[key]) for key in ("bedtime_start", "bedtime_end"))
    assert night["time_in_bed"] == round((end - start).total_seconds())
    midnights = [datetime.combine(d, datetime.min.time(), PARIS) for d in (DST_NIGHT, TODAY)]
    rows = dataset.series("ring_battery_level", 1, *midnights)
    assert len(rows) == 96 * 4 + 4  # four days, one of them 25 hours long


def test_sleep_documents_add_up(dataset: Dataset) -> None:
    for record in dataset.records("sleep", 1, FIRST, TODAY):
        phases, time_in_bed = record["sleep_phase_5_min"], record["time_in_bed"]
        total = sum(record[f"{kind}_sleep_duration"] for kind in ("deep", "light", "rem"))
        assert record["total_sleep_duration"] == total
        assert record["awake_time"] == time_in_bed - total >= 0
        assert len(phases) == math.ceil(time_in_bed / 300) == len(record["heart_rate"]["items"])
        assert len(record["movement_30_sec"]) == math.ceil(time_in_bed / 30)
        assert record["heart_rate"]["interval"] == record["hrv"]["interval"] == 300
        assert record["heart_rate"]["timestamp"].startswith(record["bedtime_start"][:19])


def test_each_night_is_filed_under_its_wake_up_day(dataset: Dataset) -> None:
    periods_by_day: Counter[str] = Counter()
    for record in dataset.records("sleep", 1, FIRST, TODAY):
        periods_by_day[record["day"]] += 1
        if record["type"] != "long_sleep":
            continue
        start, end = _local(record["bedtime_start"]), _local(record["bedtime_end"])
        day = date.fromisoformat(record["day"])
        assert end.date() == day and 6 <= end.hour < 8
        evening = datetime.combine(day - timedelta(days=1), datetime.min.time(), PARIS)
        assert timedelta(hours=22) <= start - evening <= timedelta(hours=24, minutes=30)
    for day in _days(FIRST, TODAY):
        periods = [r["period"] for r in dataset.records("sleep", 1, day, day)]
        assert sorted(periods) == list(range(periods_by_day[day.isoformat()]))


def test_naps_ending_after_six_pm_count_toward_the_next_day() -> None:
    dataset = Dataset(make_config(first_day=date(2025, 3, 1)))
    naps = [
        r
        for r in dataset.records("sleep", 1, date(2025, 3, 2), TODAY)
        if r["type"] in ("sleep", "late_nap")
    ]
    late = [r for r in naps if r["type"] == "late_nap"]
    assert late and len(naps) > 40  # about three days in ten have a nap
    for nap in naps:
        end = _local(nap["bedtime_end"])
        after_six = end.hour >= 18
        assert after_six == (nap["type"] == "late_nap")
        expected_day = end.date() + timedelta(days=1) if after_six else end.date()
        assert nap["day"] == expected_day.isoformat()


def test_heartrate_has_about_a_thousand_to_fifteen_hundred_rows_a_day(dataset: Dataset) -> None:
    counts = []
    for day in _days(FIRST, TODAY - timedelta(days=1)):
        start = datetime.combine(day, datetime.min.time(), PARIS)
        counts.append(len(dataset.series("heartrate", 1, start, start + timedelta(days=1))))
    assert all(250 <= count <= 1500 for count in counts)  # a rare rest day has no workout
    assert sum(count >= 1000 for count in counts) >= len(counts) - 3
    assert 1000 <= sum(counts) / len(counts) <= 1500


def test_heartrate_rows_are_utc_ordered_and_stop_at_now(dataset: Dataset) -> None:
    rows = dataset.series("heartrate", 1, NOW - timedelta(days=1), NOW + timedelta(days=1))
    moments = [row["timestamp_unix"] // 1000 for row in rows]
    assert moments == sorted(moments) and moments[-1] <= NOW.timestamp()
    for row, moment in zip(rows, moments, strict=True):
        assert row["timestamp"] == datetime.fromtimestamp(moment, UTC).isoformat()
    assert {"sleep", "awake", "workout", "rest"} <= {row["source"] for row in rows}
    gaps = {
        (first["source"] == "workout", second_moment - first_moment)
        for (first, first_moment), (second, second_moment) in pairwise(
            zip(rows, moments, strict=True)
        )
        if first["source"] == second["source"]
    }
    assert {gap for in_workout, gap in gaps if in_workout} <= set(range(5, 11))
    assert {gap % 300 for in_workout, gap in gaps if not in_workout} == {0}


def test_battery_level_is_sampled_every_quarter_hour_and_charges(dataset: Dataset) -> None:
    midnight = datetime.combine(TODAY - timedelta(days=3), datetime.min.time(), PARIS)
    days = [
        dataset.series("ring_battery_level", 1, start, start + timedelta(days=1))
        for start in (midnight + timedelta(days=n) for n in range(3))
    ]
    assert [len(rows) for rows in days] == [96, 96, 96]
    rows = [row for day in days for row in day]
    assert all(0 <= row["level"] <= 100 for row in rows)
    assert any(row["in_charger"] for row in rows)  # a charge every 40-60 hours
    assert all(row["in_charger"] for row in rows if row["charging"])


def test_the_old_ring_reports_the_epoch_as_its_set_up_time(dataset: Dataset) -> None:
    rings = dataset.records("ring_configuration", 1, TODAY, TODAY)
    assert [
        ring["hardware_type"] for ring in rings if ring["set_up_at"] == "1970-01-01T00:00:00+00:00"
    ] == ["gen3"]
    assert len(rings) == 2


def test_rest_mode_stays_open_while_it_covers_today() -> None:
    history = Dataset(make_config(first_day=date(2025, 1, 1)))
    periods = history.records("rest_mode_period", 1, date(2025, 1, 1), TODAY)
    assert len(periods) >= 4  # about one every 45 days
    closed = periods[-1]
    assert closed["end_day"] and closed["end_time"]
    start_day = date.fromisoformat(closed["start_day"])
    during = Clock(
        datetime.combine(start_day + timedelta(days=1), datetime.min.time(), UTC)
        + timedelta(hours=12)
    )
    ongoing = Dataset(make_config(first_day=date(2025, 1, 1), now=during))
    (record,) = ongoing.records("rest_mode_period", 1, start_day, start_day)
    assert record["id"] == closed["id"]
    assert record["end_day"] is None and record["end_time"] is None
    assert len(record["episodes"]) == 2  # the days so far


def test_recent_tags_have_no_end_until_their_day_is_revised() -> None:
    clock = Clock()
    dataset = Dataset(make_config(now=clock))
    for _ in range(30):  # find a day whose recent tags include one with a duration
        today = dataset.today(1)
        recent = dataset.records("enhanced_tag", 1, today - timedelta(days=1), today)
        assert all(tag["end_time"] is None and tag["end_day"] is None for tag in recent)
        dataset.revise(1, days=2)
        revised = dataset.records("enhanced_tag", 1, today - timedelta(days=1), today)
        assert [tag["id"] for tag in revised] == [tag["id"] for tag in recent]
        if any(tag["end_time"] for tag in revised):
            return
        clock.advance(days=1)
    pytest.fail("no tag with a duration in 30 days")


def test_revisions_change_only_the_recent_days_and_keep_ids() -> None:
    dataset = Dataset(make_config())
    before = {route: dataset.records(route, 1, FIRST, TODAY) for route in DOCUMENT_ROUTES}
    assert dataset.revise(1, days=3) == _days(TODAY - timedelta(days=2), TODAY)
    recent = {day.isoformat() for day in _days(TODAY - timedelta(days=2), TODAY)}
    for route, old in before.items():
        new = dataset.records(route, 1, FIRST, TODAY)
        day_key = "start_day" if route in ("enhanced_tag", "rest_mode_period") else "day"
        unchanged = [r for r in old if r.get(day_key) not in recent]
        assert [r for r in new if r.get(day_key) not in recent] == unchanged, route
    readiness_old = {r["id"]: r for r in before["daily_readiness"] if r["day"] in recent}
    readiness_new = {
        r["id"]: r
        for r in dataset.records("daily_readiness", 1, FIRST, TODAY)
        if r["day"] in recent
    }
    assert readiness_new.keys() == readiness_old.keys()
    assert all(readiness_new[key] != readiness_old[key] for key in readiness_new)
    nights = [
        r
        for r in dataset.records("sleep", 1, FIRST, TODAY)
        if r["type"] == "long_sleep" and r["day"] in recent
    ]
    assert {night["sleep_analysis_reason"] for night in nights} == {"bedtime_edit"}


def test_a_revised_day_can_gain_a_confirmed_nap() -> None:
    dataset = Dataset(make_config())
    before = {r["id"] for r in dataset.records("sleep", 1, FIRST, TODAY)}
    dataset.revise(1, days=30)
    after = dataset.records("sleep", 1, FIRST, TODAY)
    gained = [r for r in after if r["id"] not in before]
    assert gained
    assert {r["type"] for r in gained} == {"sleep"}
    assert before <= {r["id"] for r in after}
