"""next_token paging: complete, ordered, resumable with or without the original filters (§5)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from oura_simulator import Simulator
from tests.simulator.helpers import NOW, Api, make_config

if TYPE_CHECKING:
    from collections.abc import Iterator

WINDOW = {"start_date": "2025-10-10", "end_date": "2025-10-30"}


@pytest.fixture(scope="module")
def small_pages() -> Iterator[Api]:
    """Return a client of a simulator with pages of 3 documents and 250 series rows."""
    with Simulator(make_config(page_size=3, series_page_size=250), port=0) as sim:
        yield Api(sim, sim.users[0].personal_access_token)


@pytest.mark.parametrize("resend", [True, False], ids=["filters-resent", "token-only"])
def test_following_tokens_yields_every_record_once_in_order(
    small_pages: Api, shared_api: Api, resend: bool
) -> None:
    records = small_pages.every_page("sleep", resend=resend, **WINDOW)
    one_page = shared_api.collection("sleep", **WINDOW).json()  # same data, default page size
    assert one_page["next_token"] is None
    assert records == one_page["data"]
    assert len(records) > 3 * 4  # several pages
    order = [(datetime.fromisoformat(r["bedtime_start"]), r["id"]) for r in records]
    assert order == sorted(order)


def test_the_last_page_has_a_null_token(small_pages: Api) -> None:
    body = small_pages.collection(
        "daily_sleep", start_date="2025-10-29", end_date="2025-10-29"
    ).json()
    assert body == {"data": body["data"], "next_token": None} and len(body["data"]) == 1


def test_series_pages_join_into_the_whole_window(small_pages: Api) -> None:
    window = {
        "start_datetime": (NOW - timedelta(hours=20)).isoformat(),
        "end_datetime": NOW.isoformat(),
    }
    rows = small_pages.every_page("heartrate", resend=False, **window)
    truth = small_pages.sim.dataset.series(
        "heartrate", 1, NOW - timedelta(hours=20), NOW + timedelta(seconds=1)
    )
    assert rows == truth and len(rows) > 250 * 2


def test_ring_configuration_pages_too(small_pages: Api) -> None:
    assert len(small_pages.every_page("ring_configuration")) == 2


def test_changed_filters_with_a_token_are_refused(small_pages: Api) -> None:
    token = small_pages.collection("sleep", **WINDOW).json()["next_token"]
    other = small_pages.collection(
        "sleep", start_date="2025-10-11", end_date="2025-10-30", next_token=token
    )
    assert other.status_code == 400
    assert isinstance(other.json()["detail"], str)


@pytest.mark.parametrize("token", ["garbage", "eyJvZmZzZXQiOiAxfQ", "%%%"])
def test_a_garbage_token_is_refused(small_pages: Api, token: str) -> None:
    response = small_pages.collection("sleep", next_token=token)
    assert response.status_code == 400


def test_a_token_only_works_on_the_route_that_issued_it(small_pages: Api) -> None:
    token = small_pages.collection("sleep", **WINDOW).json()["next_token"]
    assert small_pages.collection("workout", next_token=token).status_code == 400
    sandbox = small_pages.get("/v2/sandbox/usercollection/sleep", next_token=token)
    assert sandbox.status_code == 400
