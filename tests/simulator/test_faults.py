"""Switchable failures: rate limits, server errors, dropped connections, refusals, revocations."""

from __future__ import annotations

import pytest
import requests

from oura_simulator import Simulator
from tests.simulator.helpers import NOW, Api


def _refresh(sim: Simulator, refresh_token: str) -> requests.Response:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": sim.client_id,
        "client_secret": sim.client_secret,
    }
    return requests.post(f"{sim.base_url}/oauth/token", data=form, timeout=30)


def test_a_rate_limit_answers_429_with_oura_s_headers_then_lifts(sim: Simulator, api: Api) -> None:
    sim.set_faults(rate_limit={"count": 2, "retry_after": 7, "routes": ["daily_sleep"]})
    assert api.collection("daily_readiness").status_code == 200  # another route
    for _ in range(2):
        limited = api.collection("daily_sleep")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "7"
        assert limited.headers["X-RateLimit-Reset"] == str(int(NOW.timestamp()) + 7)
        for header in ("X-RateLimit-Limit", "X-RateLimit-Window", "X-RateLimit-Tier"):
            assert limited.headers[header]
    assert api.collection("daily_sleep").status_code == 200
    assert sim.stats()["routes"]["daily_sleep"]["requests"] == {"429": 2, "200": 1}
    assert "rate_limit" not in sim.faults()


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_hit_the_next_requests_of_any_route(
    sim: Simulator, api: Api, status: int
) -> None:
    sim.set_faults(server_error={"count": 1, "status": status})
    assert api.collection("heartrate").status_code == status
    assert api.collection("heartrate").status_code == 200


def test_a_dropped_connection_gets_no_answer_at_all(sim: Simulator, api: Api) -> None:
    sim.set_faults(disconnect={"count": 1, "routes": ["sleep"]})
    with pytest.raises(requests.ConnectionError):
        api.collection("sleep")
    assert api.collection("sleep").status_code == 200
    assert sim.stats()["routes"]["sleep"]["requests"] == {"disconnected": 1, "200": 1}


def test_latency_is_added_without_breaking_answers(sim: Simulator, api: Api) -> None:
    sim.set_faults(latency_ms=20)
    assert sim.faults()["latency_ms"] == 20
    assert api.collection("daily_sleep").status_code == 200


def test_an_expired_membership_forbids_every_data_route(sim: Simulator, api: Api) -> None:
    sim.set_faults(membership_expired=True)
    assert api.collection("personal_info").status_code == 403
    assert api.collection("sleep").status_code == 403
    assert api.get("/v2/sandbox/usercollection/sleep").status_code == 403
    sim.clear_faults()
    assert api.collection("sleep").status_code == 200


def test_an_outdated_app_answers_426_on_the_chosen_routes(sim: Simulator, api: Api) -> None:
    sim.set_faults(app_outdated=["sleep"])
    outdated = api.collection("sleep")
    assert outdated.status_code == 426 and isinstance(outdated.json()["detail"], str)
    assert api.collection("daily_sleep").status_code == 200


def test_revoking_access_tokens_forces_a_refresh_but_keeps_personal_tokens(
    sim: Simulator, api: Api
) -> None:
    tokens = _refresh(sim, sim.users[0].refresh_token).json()
    oauth = Api(sim, tokens["access_token"])
    assert oauth.collection("sleep").status_code == 200
    sim.set_faults(revoke_access_tokens=True)
    assert oauth.collection("sleep").status_code == 401
    assert api.collection("sleep").status_code == 200
    fresh = _refresh(sim, tokens["refresh_token"]).json()
    assert Api(sim, fresh["access_token"]).collection("sleep").status_code == 200
    assert "revoke_access_tokens" not in sim.faults()  # acts once


def test_a_revoked_grant_invalidates_every_refresh_token(sim: Simulator) -> None:
    sim.set_faults(revoked_grant=True)
    refused = _refresh(sim, sim.users[0].refresh_token)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_faults_can_be_set_read_and_cleared_over_http(sim: Simulator, api: Api) -> None:
    url = f"{sim.base_url}/_sim/faults"
    answer = requests.post(
        url, json={"server_error": {"count": 3, "status": 502, "routes": ["workout"]}}, timeout=30
    )
    assert answer.status_code == 200
    assert requests.get(url, timeout=30).json()["server_error"] == {
        "count": 3,
        "routes": ["workout"],
        "status": 502,
    }
    assert api.collection("workout").status_code == 502
    assert requests.get(url, timeout=30).json()["server_error"]["count"] == 2
    assert "server_error" not in requests.delete(url, timeout=30).json()
    assert api.collection("workout").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"rate_limit": {"count": "two"}},
        {"server_error": {"count": 1, "status": 404}},
        {"disconnect": {"count": 1, "routes": ["vo2_max"]}},
        {"teleport": True},
        {"membership_expired": "yes"},
        ["not", "an", "object"],
    ],
)
def test_bad_fault_settings_are_refused_and_change_nothing(sim: Simulator, body: object) -> None:
    response = requests.post(f"{sim.base_url}/_sim/faults", json=body, timeout=30)
    assert response.status_code == 400
    assert isinstance(response.json()["detail"], str)
    assert sim.faults() == {
        "latency_ms": 0,
        "membership_expired": False,
        "app_outdated": [],
        "extra_fields": [],
        "malformed": [],
    }


def test_extra_fields_and_malformed_records_tamper_only_the_chosen_routes(
    sim: Simulator, api: Api
) -> None:
    clean = api.collection("daily_sleep").json()["data"]
    sim.set_faults(extra_fields=["daily_sleep"], malformed=["daily_sleep"])
    tampered = api.collection("daily_sleep").json()["data"]
    assert len(tampered) == len(clean) > 1
    assert all(record["future_detail"]["nested"] == [1, 2, 3] for record in tampered)
    assert "not-a-number" in tampered[0].values()
    assert all("not-a-number" not in record.values() for record in tampered[1:])
    assert "future_score" not in api.collection("sleep").json()["data"][0]
