"""Oura's date semantics over HTTP: local midnights, one filter instant per route, bounds (§6)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import requests

from oura_simulator import Simulator
from tests.simulator.helpers import NOW, TODAY, Api

D = date(2025, 10, 22)  # a Wednesday in user 1's (Paris) history, far from the DST change
BEFORE, AFTER = (D - timedelta(days=1)).isoformat(), (D + timedelta(days=1)).isoformat()
ONE_PER_DAY_AT_MIDNIGHT = (
    "daily_readiness",
    "daily_sleep",
    "sleep_time",
    "daily_spo2",
    "daily_stress",
    "daily_resilience",
    "daily_cardiovascular_age",
)


def _days(response: requests.Response, key: str = "day") -> list[str]:
    assert response.status_code == 200, response.text
    return [record[key] for record in response.json()["data"]]


def _iso(day: date) -> str:
    return day.isoformat()


def test_a_date_only_end_is_midnight_so_daily_activity_misses_that_day(shared_api: Api) -> None:
    asked = shared_api.collection("daily_activity", start_date=BEFORE, end_date=_iso(D))
    assert _days(asked) == [BEFORE]
    end_of_day = shared_api.collection(
        "daily_activity", start_date=BEFORE, end_date=f"{D}T23:59:59"
    )
    assert _days(end_of_day) == [BEFORE, _iso(D)]


@pytest.mark.parametrize("route", ONE_PER_DAY_AT_MIDNIGHT)
def test_a_single_day_query_returns_that_day(shared_api: Api, route: str) -> None:
    assert _days(shared_api.collection(route, start_date=_iso(D), end_date=_iso(D))) == [_iso(D)]


def test_readiness_is_found_by_its_local_day_in_every_timezone(shared_sim: Simulator) -> None:
    new_york = Api(shared_sim, shared_sim.users[1].personal_access_token)
    assert _days(new_york.collection("daily_readiness", start_date=_iso(D), end_date=_iso(D))) == [
        _iso(D)
    ]


def test_sleep_is_filtered_on_bedtime_start_not_on_its_day(
    shared_sim: Simulator, shared_api: Api
) -> None:
    night = next(
        r for r in shared_sim.dataset.records("sleep", 1, D, D) if r["type"] == "long_sleep"
    )
    assert night["bedtime_start"].startswith(BEFORE)  # it began the evening before
    same_day = shared_api.collection("sleep", start_date=_iso(D), end_date=AFTER)
    assert night["id"] not in _days(same_day, "id")
    padded = shared_api.collection("sleep", start_date=BEFORE, end_date=_iso(D))
    assert night["id"] in _days(padded, "id")


@pytest.mark.parametrize("route", ["workout", "session", "enhanced_tag", "tag", "vO2_max"])
def test_records_stamped_during_the_day_need_the_next_midnight_as_end(
    shared_sim: Simulator, shared_api: Api, route: str
) -> None:
    day_key = "start_day" if route == "enhanced_tag" else "day"
    day = next(
        TODAY - timedelta(days=n)
        for n in range(1, 29)
        if shared_sim.dataset.records(
            route, 1, TODAY - timedelta(days=n), TODAY - timedelta(days=n)
        )
    )
    truth = [r["id"] for r in shared_sim.dataset.records(route, 1, day, day)]
    assert _days(shared_api.collection(route, start_date=_iso(day), end_date=_iso(day)), "id") == []
    following = shared_api.collection(
        route, start_date=_iso(day), end_date=_iso(day + timedelta(days=1))
    )
    assert sorted(_days(following, "id")) == sorted(truth)
    assert set(_days(following, day_key)) == {_iso(day)}


def test_padding_one_day_each_side_covers_every_route(
    shared_sim: Simulator, shared_api: Api
) -> None:
    first, last = D - timedelta(days=3), D
    for route in ("sleep", "daily_activity", "workout", "enhanced_tag", "daily_readiness"):
        padded = shared_api.collection(
            route,
            start_date=_iso(first - timedelta(days=1)),
            end_date=_iso(last + timedelta(days=1)),
        )
        truth = {r["id"] for r in shared_sim.dataset.records(route, 1, first, last)}
        assert truth <= set(_days(padded, "id")), route


def test_datetime_bounds_are_inclusive_instants(shared_api: Api) -> None:
    stamp = f"{D}T04:00:00+02:00"  # daily_activity's timestamp for D in Paris (summer time)
    assert _days(shared_api.collection("daily_activity", start_date=stamp, end_date=stamp)) == [
        _iso(D)
    ]
    naive = f"{D}T04:00:00"  # read in the user's timezone
    assert _days(shared_api.collection("daily_activity", start_date=naive, end_date=naive)) == [
        _iso(D)
    ]


def test_without_dates_the_window_is_yesterday_midnight_to_today_midnight(shared_api: Api) -> None:
    yesterday = _iso(TODAY - timedelta(days=1))
    assert _days(shared_api.collection("daily_readiness")) == [yesterday, _iso(TODAY)]
    assert _days(shared_api.collection("daily_activity")) == [yesterday]


def test_start_after_end_is_refused_like_oura(shared_api: Api) -> None:
    response = shared_api.collection("daily_sleep", start_date="2025-10-20", end_date="2025-10-10")
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "value_error",
                "loc": ["query", "start_date"],
                "msg": "Start date must be before end date",
                "input": "2025-10-20",
            }
        ]
    }


def test_an_unparseable_date_is_a_validation_error(shared_api: Api) -> None:
    response = shared_api.collection("daily_sleep", start_date="yesterday")
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["query", "start_date"] and problem["input"] == "yesterday"


def test_numbers_are_read_as_unix_time_as_oura_did(shared_api: Api) -> None:
    response = shared_api.collection("sleep", start_date="1", end_date="2")
    assert response.json() == {"data": [], "next_token": None}


def test_heartrate_ignores_dates_and_defaults_to_the_last_day(
    shared_sim: Simulator, shared_api: Api
) -> None:
    truth = shared_sim.dataset.series(
        "heartrate", 1, NOW - timedelta(days=1), NOW + timedelta(seconds=1)
    )
    with_dates = shared_api.collection("heartrate", start_date="2025-10-01", end_date="2025-10-02")
    assert with_dates.json()["data"] == truth
    assert shared_api.collection("heartrate").json()["data"] == truth


def test_heartrate_bounds_are_inclusive(shared_sim: Simulator, shared_api: Api) -> None:
    rows = shared_sim.dataset.series("heartrate", 1, NOW - timedelta(hours=6), NOW)
    first, last = rows[10]["timestamp"], rows[-10]["timestamp"]
    answer = shared_api.collection("heartrate", start_datetime=first, end_datetime=last).json()[
        "data"
    ]
    assert answer == rows[10:-9]


def test_heartrate_takes_z_and_encoded_offsets_but_not_a_bare_plus(shared_api: Api) -> None:
    zulu = shared_api.collection(
        "heartrate", start_datetime="2025-10-29T00:00:00Z", end_datetime="2025-10-29T06:00:00Z"
    )
    offset = shared_api.collection(
        "heartrate",
        start_datetime="2025-10-29T01:00:00+01:00",
        end_datetime="2025-10-29T07:00:00+01:00",
    )  # requests encodes "+" as %2B
    assert zulu.status_code == offset.status_code == 200
    assert zulu.json() == offset.json()
    unencoded = requests.get(
        f"{shared_api.sim.base_url}/v2/usercollection/heartrate"
        "?start_datetime=2025-10-29T01:00:00+01:00&end_datetime=2025-10-29T07:00:00+01:00",
        headers=dict(shared_api.session.headers),
        timeout=30,
    )
    assert unencoded.status_code == 422
    assert unencoded.json()["detail"][0]["loc"] == ["query", "start_datetime"]


def test_heartrate_ranges_over_thirty_days_are_refused(shared_api: Api) -> None:
    end = datetime(2025, 10, 30, tzinfo=UTC)
    thirty = shared_api.collection(
        "heartrate",
        start_datetime=(end - timedelta(days=30)).isoformat(),
        end_datetime=end.isoformat(),
    )
    assert thirty.status_code == 200
    longer = shared_api.collection(
        "heartrate",
        start_datetime=(end - timedelta(days=30, seconds=1)).isoformat(),
        end_datetime=end.isoformat(),
    )
    assert longer.status_code == 400
    assert isinstance(longer.json()["detail"], str)


@pytest.mark.parametrize("route", ["heartrate", "ring_battery_level"])
def test_latest_returns_only_the_newest_row(
    shared_sim: Simulator, shared_api: Api, route: str
) -> None:
    newest = shared_sim.dataset.series(
        route, 1, NOW - timedelta(hours=2), NOW + timedelta(seconds=1)
    )[-1]
    assert shared_api.collection(route, latest="true").json() == {
        "data": [newest],
        "next_token": None,
    }
    assert shared_api.collection(route, latest="perhaps").status_code == 422


def test_ring_configuration_has_no_date_filter(shared_api: Api) -> None:
    answer = shared_api.collection(
        "ring_configuration", start_date="2020-01-01", end_date="2020-01-02"
    )
    assert len(answer.json()["data"]) == 2
