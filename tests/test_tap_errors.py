"""How the tap meets Oura's failures: retry, wait as told, skip one stream, or stop and explain."""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING

import pytest
import requests

from tap_oura import errors
from tests.conftest import oauth_config
from tests.tap_harness import run_tap, run_tap_cli

if TYPE_CHECKING:
    from pathlib import Path

    from oura_simulator import Simulator

FEW_STREAMS = ["personal_info", "daily_sleep", "sleep", "heartrate", "workout", "vo2_max"]


def _pat_config(sim: Simulator, **overrides: object) -> dict[str, object]:
    return {
        "api_url": sim.base_url,
        "personal_access_token": sim.users[0].personal_access_token,
        "retry_delay": 0,
        "days_to_backfill": 3,
        **overrides,
    }


def _retry_waits(caplog: pytest.LogCaptureFixture, stream: str) -> list[float]:
    pattern = re.compile(rf"Retrying {stream} in ([0-9.]+) s")
    return [float(m.group(1)) for r in caplog.records if (m := pattern.search(r.getMessage()))]


def test_rate_limit_waits_as_oura_says_then_succeeds(
    simulator: Simulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    simulator.set_faults(rate_limit={"count": 2, "retry_after": 1, "routes": ["daily_sleep"]})
    caplog.set_level(logging.WARNING)
    run = run_tap(oauth_config(simulator, tmp_path, retry_delay=30), streams=["daily_sleep"])
    assert run.records["daily_sleep"]
    assert run.tap.report.streams["daily_sleep"].retries == 2
    waits = _retry_waits(caplog, "daily_sleep")
    assert len(waits) == 2 and all(1.0 <= wait <= 1.1 for wait in waits)  # not retry_delay's 30


def test_server_errors_and_dropped_connections_are_retried(
    simulator: Simulator, tmp_path: Path
) -> None:
    simulator.set_faults(
        server_error={"count": 2, "status": 503, "routes": ["sleep"]},
        disconnect={"count": 1, "routes": ["heartrate"]},
    )
    run = run_tap(oauth_config(simulator, tmp_path), streams=["sleep", "heartrate"])
    assert run.records["sleep"] and run.records["heartrate"]
    assert run.tap.report.streams["sleep"].retries == 2
    assert run.tap.report.streams["heartrate"].retries == 1


def test_giving_up_after_max_retries_says_so(simulator: Simulator, tmp_path: Path) -> None:
    simulator.set_faults(server_error={"count": 100, "status": 502, "routes": ["sleep"]})
    with pytest.raises(errors.OuraTapError, match=r"502.*gave up after 3 attempts"):
        run_tap(oauth_config(simulator, tmp_path, max_retries=2), streams=["sleep"])


def test_an_unreachable_api_fails_with_the_address(tmp_path: Path) -> None:
    config = {"api_url": "http://127.0.0.1:9", "personal_access_token": "x" * 20, "max_retries": 0}
    with pytest.raises(errors.OuraTapError, match=r"Could not reach Oura at http://127.0.0.1:9"):
        run_tap(config, streams=["daily_sleep"])


def test_a_refused_personal_token_points_to_oauth(simulator: Simulator, tmp_path: Path) -> None:
    result = run_tap_cli(
        _pat_config(simulator, personal_access_token="not-a-valid-token-123"), tmp_path
    )
    assert result.returncode == 1
    assert "Oura refused the personal access token" in result.stderr
    assert "oura-collector auth" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_expired_access_token_is_refreshed_once_and_the_run_goes_on(
    simulator: Simulator, tmp_path: Path
) -> None:
    config = oauth_config(simulator, tmp_path)
    run_tap(config, streams=["daily_sleep"])
    simulator.set_faults(revoke_access_tokens=True)
    run = run_tap(config, streams=["daily_sleep", "sleep"])
    assert run.records["daily_sleep"] and run.records["sleep"]
    refreshes = simulator.stats()["token"]
    assert sum(n for (grant, outcome), n in _grants(refreshes) if grant == "refresh_token") == 2


def _grants(token_stats: dict) -> list[tuple[tuple[str, str], int]]:
    """Flatten the simulator's token-endpoint counters to ((grant, outcome), count)."""
    flattened = []
    for grant, outcomes in token_stats.items():
        for outcome, count in outcomes.items():
            flattened.append(((grant, outcome), count))
    return flattened


def test_a_spent_refresh_token_stops_the_run_and_says_to_reauthorise(
    simulator: Simulator, tmp_path: Path
) -> None:
    simulator.set_faults(revoked_grant=True)
    result = run_tap_cli(oauth_config(simulator, tmp_path), tmp_path)
    assert result.returncode == 1
    assert "invalid_grant" in result.stderr
    assert "single-use" in result.stderr
    assert "oura-collector auth" in result.stderr


def test_missing_credentials_are_named(tmp_path: Path) -> None:
    result = run_tap_cli({"api_url": "http://127.0.0.1:9"}, tmp_path)
    assert result.returncode == 1
    assert "No Oura credentials are configured" in result.stderr


def test_expired_membership_stops_at_personal_info(simulator: Simulator, tmp_path: Path) -> None:
    simulator.set_faults(membership_expired=True)
    with pytest.raises(errors.MembershipExpired, match="membership has most likely expired"):
        run_tap(oauth_config(simulator, tmp_path), streams=FEW_STREAMS)


def test_every_stream_forbidden_in_the_sandbox_fails_the_run(
    simulator: Simulator, tmp_path: Path
) -> None:
    simulator.set_faults(membership_expired=True)
    with pytest.raises(errors.MembershipExpired, match="refused every stream"):
        run_tap(oauth_config(simulator, tmp_path, sandbox=True), streams=FEW_STREAMS)


def test_streams_outside_the_granted_scopes_are_skipped_and_the_rest_collected(
    simulator: Simulator, tmp_path: Path
) -> None:
    from tap_oura.auth import TokenEndpoint  # noqa: PLC0415
    from tap_oura.token_store import FileTokenStore  # noqa: PLC0415

    redirect = "http://127.0.0.1:1/callback"
    consent = requests.get(
        f"{simulator.base_url}/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": simulator.client_id,
            "redirect_uri": redirect,
            "scope": "daily personal heartrate",
            "state": "xyz",
        },
        allow_redirects=False,
        timeout=10,
    )
    code = (
        requests.utils.urlparse(consent.headers["Location"]).query.split("code=")[1].split("&")[0]
    )
    endpoint = TokenEndpoint(
        [f"{simulator.base_url}/oauth/token"],
        client_id=simulator.client_id,
        client_secret=simulator.client_secret,
    )
    FileTokenStore(tmp_path / "tokens.json").save(endpoint.exchange_code(code, redirect))

    run = run_tap(oauth_config(simulator, tmp_path, refresh_token=None), streams=FEW_STREAMS)
    report = run.tap.report.streams
    assert run.records["daily_sleep"] and run.records["sleep"] and run.records["heartrate"]
    assert "403 Forbidden for workout" in report["workout"].skipped
    assert "'workout' scope" in report["workout"].skipped
    assert "401 for vo2_max even with a freshly refreshed token" in report["vo2_max"].skipped
    assert run.bookmark("workout") is None


def test_an_outdated_oura_app_fails_the_run_after_collecting_the_rest(
    simulator: Simulator, tmp_path: Path
) -> None:
    simulator.set_faults(app_outdated=["sleep"])
    with pytest.raises(errors.OuraTapError, match="must update the Oura mobile app") as excinfo:
        run_tap(oauth_config(simulator, tmp_path), streams=["daily_sleep", "sleep"])
    assert "426" in str(excinfo.value)


def test_a_rejected_request_carries_oura_s_own_message(simulator: Simulator) -> None:
    from tap_oura.tap import TapOura  # noqa: PLC0415

    response = requests.get(
        f"{simulator.base_url}/v2/usercollection/daily_sleep",
        params={"start_date": "2026-02-10", "end_date": "2026-02-01"},
        headers={"Authorization": f"Bearer {simulator.users[0].personal_access_token}"},
        timeout=10,
    )
    assert response.status_code == 422
    stream = TapOura(config=_pat_config(simulator)).streams["daily_sleep"]
    with pytest.raises(errors.RequestRejected, match="Start date must be before end date"):
        stream.validate_response(response)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("timezone", "Mars/Olympus", "not an IANA zone"),
        ("start_date", "yesterday", "is not a date"),
        ("token_store", "postgres", "token_store_uri is not set"),
        ("days_to_backfill", 0, "days_to_backfill"),
    ],
)
def test_bad_settings_fail_at_start_with_the_setting_named(
    tmp_path: Path, setting: str, value: object, message: str
) -> None:
    result = run_tap_cli({"personal_access_token": "x" * 20, setting: value}, tmp_path)
    assert result.returncode == 1
    assert message in result.stderr


def test_unknown_fields_from_a_newer_api_never_crash_a_run(
    simulator: Simulator, tmp_path: Path
) -> None:
    simulator.set_faults(extra_fields=["daily_sleep", "heartrate", "personal_info"])
    run = run_tap(oauth_config(simulator, tmp_path), streams=FEW_STREAMS)
    assert run.records["daily_sleep"] and run.records["heartrate"]
    assert len(run.records["personal_info"]) == 1
    assert run.tap.report.streams["daily_sleep"].quarantined == 0


def test_a_malformed_record_is_held_back_and_its_bookmark_stays_put(
    simulator: Simulator, tmp_path: Path
) -> None:
    config = oauth_config(simulator, tmp_path, days_to_backfill=5)
    first = run_tap(config, streams=["daily_sleep", "daily_activity"])
    simulator.set_faults(malformed=["daily_sleep"])
    run = run_tap_cli(config, tmp_path, state=first.final_state)
    assert run.returncode == 1
    assert "Malformed daily_sleep record" in run.stderr
    assert "not-a-number" not in run.stdout  # the bad record is never emitted
    messages = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    emitted = [m for m in messages if m["type"] == "RECORD" and m["stream"] == "daily_sleep"]
    assert emitted  # the good records of the stream are still delivered
    final = [m["value"] for m in messages if m["type"] == "STATE"][-1]["bookmarks"]
    assert final["daily_sleep"] == first.final_state["bookmarks"]["daily_sleep"]
    assert "replication_key_value" in final["daily_activity"]


def test_a_slow_oura_times_out_is_retried_and_then_named(
    simulator: Simulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    simulator.set_faults(latency_ms=1500)
    caplog.set_level(logging.WARNING)
    config = oauth_config(simulator, tmp_path, api_timeout=1, max_retries=1)
    with pytest.raises(
        errors.OuraTapError, match=r"Could not reach Oura at .*ReadTimeout, 2 attempts"
    ):
        run_tap(config, streams=["daily_sleep"])
    assert len(_retry_waits(caplog, "daily_sleep")) == 1
