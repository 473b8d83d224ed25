"""Single documents by id, the sandbox routes, and routes that do not exist."""

from __future__ import annotations

import uuid

import pytest

from oura_simulator import Simulator
from oura_simulator.config import SANDBOX_USER
from oura_simulator.routes import ROUTES, Kind
from tests.simulator.helpers import TODAY, Api

DOCUMENT_ROUTES = [route.name for route in ROUTES if route.kind is Kind.DOCUMENTS]
FIRST = TODAY.replace(day=1)


@pytest.mark.parametrize("route", DOCUMENT_ROUTES)
def test_a_document_is_served_by_its_id(shared_sim: Simulator, shared_api: Api, route: str) -> None:
    document = shared_sim.dataset.records(route, 1, FIRST, TODAY)[0]
    response = shared_api.collection(f"{route}/{document['id']}")
    assert response.status_code == 200
    assert response.json() == document


def test_an_unknown_id_is_404_and_a_malformed_one_422(shared_api: Api) -> None:
    missing = shared_api.collection(f"sleep/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json() == {"detail": "Document not found."}
    malformed = shared_api.collection("sleep/not-an-id")
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["loc"] == ["path", "document_id"]


def test_time_series_and_unknown_routes_have_no_such_path(shared_api: Api) -> None:
    assert shared_api.collection(f"heartrate/{uuid.uuid4()}").status_code == 404
    assert shared_api.collection("vo2_max").json() == {"detail": "Not Found"}  # capital O only


def test_another_user_s_document_is_not_found(shared_sim: Simulator) -> None:
    document = shared_sim.dataset.records("workout", 1, FIRST, TODAY)[0]
    second_user = Api(shared_sim, shared_sim.users[1].personal_access_token)
    assert second_user.collection(f"workout/{document['id']}").status_code == 404


def test_the_sandbox_serves_its_own_user_and_still_needs_a_token(
    shared_sim: Simulator, shared_api: Api
) -> None:
    sandbox = shared_api.get(
        "/v2/sandbox/usercollection/daily_sleep", start_date="2025-10-01", end_date="2025-10-30"
    )
    truth = shared_sim.dataset.records("daily_sleep", SANDBOX_USER, FIRST, TODAY)
    assert sandbox.json()["data"] == truth
    assert truth != shared_sim.dataset.records("daily_sleep", 1, FIRST, TODAY)
    document = shared_api.get(f"/v2/sandbox/usercollection/daily_sleep/{truth[0]['id']}")
    assert document.json() == truth[0]
    assert Api(shared_sim, None).get("/v2/sandbox/usercollection/daily_sleep").status_code == 401
    assert shared_api.get("/v2/sandbox/usercollection/personal_info").status_code == 404
    assert shared_api.get("/v2/sandbox/usercollection/heartrate").status_code == 200


def test_requests_are_counted_per_route_with_rows(sim: Simulator, api: Api) -> None:
    api.collection("daily_sleep", start_date="2025-10-01", end_date="2025-10-10")
    api.get(
        "/v2/sandbox/usercollection/daily_sleep", start_date="2025-10-01", end_date="2025-10-02"
    )
    Api(sim, "wrong").collection("daily_sleep")
    routes = sim.stats()["routes"]
    assert routes["daily_sleep"] == {"requests": {"200": 1, "401": 1}, "rows": 10}
    assert routes["sandbox/daily_sleep"] == {"requests": {"200": 1}, "rows": 2}
    sim.reset_stats()
    assert sim.stats() == {"routes": {}, "token": {}}
