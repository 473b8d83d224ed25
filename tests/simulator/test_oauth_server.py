"""OAuth as Oura runs it: single-use rotating refresh tokens, codes, scopes, two portals (§9)."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from oura_simulator import Simulator
from tests.simulator.helpers import Api, Clock, make_config

REDIRECT = "http://127.0.0.1:1/callback"


def _token(sim: Simulator, path: str = "/oauth/token", **form: str) -> requests.Response:
    body = {"client_id": sim.client_id, "client_secret": sim.client_secret, **form}
    return requests.post(f"{sim.base_url}{path}", data=body, timeout=30)


def _refresh(sim: Simulator, refresh_token: str, path: str = "/oauth/token") -> requests.Response:
    return _token(sim, path, grant_type="refresh_token", refresh_token=refresh_token)


def _consent(sim: Simulator, **params: str) -> dict[str, list[str]]:
    query = {
        "response_type": "code",
        "client_id": sim.client_id,
        "redirect_uri": REDIRECT,
        **params,
    }
    response = requests.get(
        f"{sim.base_url}/oauth/authorize", params=query, allow_redirects=False, timeout=30
    )
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return parse_qs(location.query)


def _authorised(sim: Simulator, **params: str) -> dict[str, Any]:
    code = _consent(sim, **params)["code"][0]
    response = _token(sim, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_refresh_rotates_the_pair_and_spends_the_old_token(sim: Simulator) -> None:
    first = _refresh(sim, sim.users[0].refresh_token)
    assert first.status_code == 200
    tokens = first.json()
    assert set(tokens) == {"access_token", "refresh_token", "expires_in", "token_type", "scope"}
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 86_400
    assert tokens["refresh_token"] != sim.users[0].refresh_token
    reused = _refresh(sim, sim.users[0].refresh_token)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    second = _refresh(sim, tokens["refresh_token"]).json()
    for access in (tokens["access_token"], second["access_token"]):  # old ones stay valid
        assert Api(sim, access).collection("daily_sleep").status_code == 200
    assert sim.stats()["token"] == {"refresh_token": {"ok": 2, "invalid_grant": 1}}


def test_unknown_refresh_tokens_and_bad_clients_are_refused(sim: Simulator) -> None:
    assert _refresh(sim, "never-issued").json()["error"] == "invalid_grant"
    wrong_secret = _token(
        sim,
        grant_type="refresh_token",
        refresh_token=sim.users[0].refresh_token,
        client_secret="nope",
    )
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    basic = requests.post(
        f"{sim.base_url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": sim.users[0].refresh_token},
        auth=(sim.client_id, sim.client_secret),
        timeout=30,
    )
    assert basic.status_code == 200  # the refusals above did not spend the token


def _race_refresh(sim: Simulator, refresh_token: str) -> list[int]:
    """Send two refreshes of one token at the same moment; return their statuses."""
    gate = threading.Barrier(2)
    statuses: list[int] = []

    def refresh() -> None:
        gate.wait()
        statuses.append(_refresh(sim, refresh_token).status_code)

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_two_concurrent_refreshes_of_one_token_let_exactly_one_win(sim: Simulator) -> None:
    assert _race_refresh(sim, sim.users[0].refresh_token) == [200, 400]
    for _ in range(4):
        assert _race_refresh(sim, _authorised(sim)["refresh_token"]) == [200, 400]
    assert sim.stats()["token"]["refresh_token"] == {"ok": 5, "invalid_grant": 5}


def test_the_code_flow_is_single_use_and_checks_the_redirect(sim: Simulator) -> None:
    answer = _consent(sim, state="xyz")
    assert answer["state"] == ["xyz"]
    code = answer["code"][0]
    wrong_redirect = _token(
        sim, grant_type="authorization_code", code=code, redirect_uri="http://elsewhere/"
    )
    assert wrong_redirect.json()["error"] == "invalid_grant"
    code = _consent(sim)["code"][0]
    assert (
        _token(sim, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).status_code
        == 200
    )
    again = _token(sim, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_codes_expire_after_ten_minutes_and_access_tokens_after_their_ttl() -> None:
    clock = Clock()
    with Simulator(make_config(now=clock, access_token_ttl=3600), port=0) as sim:
        code = _consent(sim)["code"][0]
        clock.advance(minutes=10, seconds=1)
        assert (
            _token(
                sim, grant_type="authorization_code", code=code, redirect_uri=REDIRECT
            ).status_code
            == 400
        )
        tokens = _refresh(sim, sim.users[0].refresh_token).json()
        assert tokens["expires_in"] == 3600
        client = Api(sim, tokens["access_token"])
        clock.advance(seconds=3599)
        assert client.collection("daily_sleep").status_code == 200
        clock.advance(seconds=1)
        assert client.collection("daily_sleep").status_code == 401


def test_consent_can_be_given_as_another_user() -> None:
    with Simulator(make_config(users=2), port=0) as two_users:
        tokens = _authorised(two_users, user="2")
        info = Api(two_users, tokens["access_token"]).collection("personal_info").json()
        assert info["id"] == two_users.users[1].personal_info_id


def test_a_token_in_the_query_string_is_not_accepted(sim: Simulator) -> None:
    response = Api(sim, None).collection(
        "daily_sleep", access_token=sim.users[0].personal_access_token
    )
    assert response.status_code == 401
    assert Api(sim, None).collection("daily_sleep").status_code == 401


def test_granted_scopes_limit_routes_with_oura_s_status_codes(sim: Simulator) -> None:
    tokens = _authorised(sim, scope="daily personal heartrate spo2Daily unknown_scope")
    assert tokens["scope"] == "personal daily heartrate spo2"
    client = Api(sim, tokens["access_token"])
    for route in ("daily_sleep", "sleep", "heartrate", "daily_spo2", "rest_mode_period"):
        assert client.collection(route).status_code == 200, route
    assert client.collection("workout").status_code == 403
    assert isinstance(client.collection("workout").json()["detail"], str)
    for route in ("daily_resilience", "vO2_max", "daily_cardiovascular_age", "ring_battery_level"):
        assert client.collection(route).status_code == 401, route  # §12.11
    for route in ("daily_stress", "session", "tag", "enhanced_tag", "ring_configuration"):
        assert client.collection(route).status_code == 403, route


@pytest.mark.parametrize(
    ("scope", "blank"),
    [
        ("personal", {"email"}),
        ("email", {"age", "weight", "height", "biological_sex"}),
        ("tag", {"email", "age", "weight", "height", "biological_sex"}),
    ],
)
def test_personal_info_shows_only_what_the_scopes_allow(
    sim: Simulator, scope: str, blank: set[str]
) -> None:
    info = (
        Api(sim, _authorised(sim, scope=scope)["access_token"]).collection("personal_info").json()
    )
    assert info["id"] == sim.users[0].personal_info_id
    assert {field for field, value in info.items() if value is None} == blank


def test_new_portal_apps_get_tokens_only_from_the_new_url() -> None:
    with Simulator(make_config(portal="new"), port=0) as sim:
        token = sim.users[0].refresh_token
        legacy = _refresh(sim, token)
        assert legacy.status_code == 400 and legacy.json()["error"] == "invalid_request"
        code = _consent(sim)["code"][0]
        legacy_code = _token(sim, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
        assert legacy_code.status_code == 401
        assert (
            _refresh(sim, token, "/oauth/v2/ext/oauth-token").status_code == 200
        )  # not spent above


def test_legacy_apps_are_refused_by_the_new_url(sim: Simulator) -> None:
    response = _refresh(sim, sim.users[0].refresh_token, "/oauth/v2/ext/oauth-token")
    assert response.status_code == 400
    assert _refresh(sim, sim.users[0].refresh_token).status_code == 200
