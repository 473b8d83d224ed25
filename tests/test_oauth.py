"""OAuth with single-use refresh tokens: rotate, persist first, never spend one token twice."""

from __future__ import annotations

import json
import multiprocessing
from typing import TYPE_CHECKING, Any

import pytest

from oura_simulator import Simulator, SimulatorConfig
from tap_oura.auth import TokenEndpoint
from tap_oura.errors import RefreshTokenRejected
from tap_oura.tap import TapOura
from tap_oura.token_store import FileTokenStore, TokenStoreError
from tests.conftest import oauth_config
from tests.tap_harness import run_tap, run_tap_cli

if TYPE_CHECKING:
    from pathlib import Path


def _refresh_grants(sim: Simulator, outcome: str = "ok") -> int:
    return sim.stats()["token"].get("refresh_token", {}).get(outcome, 0)


def test_a_refresh_rotates_the_token_and_the_store_keeps_the_new_one(
    simulator: Simulator, tmp_path: Path
) -> None:
    config = oauth_config(simulator, tmp_path)
    run_tap(config, streams=["daily_sleep"])
    stored = FileTokenStore(tmp_path / "tokens.json").load()
    assert stored.refresh_token != simulator.users[0].refresh_token  # rotated
    assert _refresh_grants(simulator) == 1
    # The config still holds the spent token; the store's lineage wins, and its access token is
    # still valid, so the second run needs no refresh at all.
    run_tap(config, streams=["daily_sleep"])
    assert _refresh_grants(simulator) == 1
    assert _refresh_grants(simulator, "invalid_grant") == 0


def test_a_newly_configured_refresh_token_starts_a_new_lineage(
    simulator: Simulator, tmp_path: Path
) -> None:
    config = oauth_config(simulator, tmp_path)
    run_tap(config, streams=["daily_sleep"])
    simulator.set_faults(revoke_access_tokens=True)
    fresh = _new_authorisation(simulator)
    run_tap({**config, "refresh_token": fresh.refresh_token}, streams=["daily_sleep"])
    assert FileTokenStore(tmp_path / "tokens.json").load().refresh_token not in (
        fresh.refresh_token,
        simulator.users[0].refresh_token,
    )
    assert _refresh_grants(simulator, "invalid_grant") == 0


def test_a_stale_copy_of_a_spent_token_is_never_sent_again(
    simulator: Simulator, tmp_path: Path
) -> None:
    """A secret or config that lags one rotation behind must not reseed the lineage."""
    config = oauth_config(simulator, tmp_path)
    run_tap(config, streams=["daily_sleep"])
    spent = FileTokenStore(tmp_path / "tokens.json").load().refresh_token
    simulator.set_faults(revoke_access_tokens=True)
    run_tap(config, streams=["daily_sleep"])  # rotates again: `spent` is now spent
    assert FileTokenStore(tmp_path / "tokens.json").load().refresh_token != spent
    run = run_tap({**config, "refresh_token": spent}, streams=["daily_sleep"])
    assert run.records["daily_sleep"]
    assert _refresh_grants(simulator) == 2
    assert _refresh_grants(simulator, "invalid_grant") == 0


def _new_authorisation(sim: Simulator) -> Any:
    import requests  # noqa: PLC0415

    redirect = "http://127.0.0.1:1/cb"
    consent = requests.get(
        f"{sim.base_url}/oauth/authorize",
        params={"response_type": "code", "client_id": sim.client_id, "redirect_uri": redirect},
        allow_redirects=False,
        timeout=10,
    )
    query = requests.utils.urlparse(consent.headers["Location"]).query
    code = dict(part.split("=", 1) for part in query.split("&"))["code"]
    endpoint = TokenEndpoint(
        [f"{sim.base_url}/oauth/token"], client_id=sim.client_id, client_secret=sim.client_secret
    )
    return endpoint.exchange_code(code, redirect)


def _refresh_in_another_process(config: dict[str, Any], go: Any, results: Any) -> None:
    tap = TapOura(config=config)
    go.wait(30)
    try:
        tap.authenticator.update_access_token()
        results.put(("ok", tap.authenticator.access_token))
    except Exception as exc:  # report any failure to the parent test
        results.put(("error", f"{type(exc).__name__}: {exc}"))


def _race(config: dict[str, Any], processes: int = 2) -> list[tuple[str, str]]:
    context = multiprocessing.get_context("spawn")
    go, results = context.Event(), context.Queue()
    workers = [
        context.Process(target=_refresh_in_another_process, args=(config, go, results))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    go.set()
    outcomes = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(30)
    return outcomes


@pytest.mark.parametrize("store", ["file", "postgres"])
def test_two_processes_refreshing_at_once_spend_the_token_once(
    simulator: Simulator, tmp_path: Path, store: str, request: pytest.FixtureRequest
) -> None:
    overrides: dict[str, Any] = {}
    if store == "postgres":
        overrides = {
            "token_store": "postgres",
            "token_store_uri": request.getfixturevalue("database"),
        }
    outcomes = _race(oauth_config(simulator, tmp_path, **overrides))
    assert [status for status, _ in outcomes] == ["ok", "ok"], outcomes
    assert outcomes[0][1] == outcomes[1][1]  # the second process adopted the first one's token
    assert _refresh_grants(simulator) == 1
    assert _refresh_grants(simulator, "invalid_grant") == 0


def test_without_the_lock_the_race_really_loses_a_token(simulator: Simulator) -> None:
    """The control: two bare refreshes of one token, as an unlocked client would do."""
    endpoint = TokenEndpoint(
        [f"{simulator.base_url}/oauth/token"],
        client_id=simulator.client_id,
        client_secret=simulator.client_secret,
    )
    token = simulator.users[0].refresh_token
    endpoint.refresh(token)
    with pytest.raises(RefreshTokenRejected, match="invalid_grant"):
        endpoint.refresh(token)


def test_an_unusable_token_store_fails_before_the_refresh_token_is_spent(
    simulator: Simulator, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    config = oauth_config(simulator, tmp_path, token_store_path=str(blocker / "tokens.json"))
    with pytest.raises(TokenStoreError, match="not-a-directory"):
        run_tap(config, streams=["daily_sleep"])
    assert _refresh_grants(simulator) == 0


def test_apps_from_the_new_portal_use_the_fallback_token_url(tmp_path: Path) -> None:
    with Simulator(SimulatorConfig(days=5, portal="new"), host="127.0.0.1", port=0) as sim:
        config = oauth_config(sim, tmp_path, days_to_backfill=2)
        run = run_tap(config, streams=["daily_sleep"])
        assert run.records["daily_sleep"]
        stored = FileTokenStore(tmp_path / "tokens.json").load()
        assert stored.token_url.endswith("/oauth/v2/ext/oauth-token")


def test_no_token_or_secret_reaches_the_logs(
    simulator: Simulator, tmp_path: Path, database: str
) -> None:
    # Trust authentication accepts any password, so one can be added to prove it is hidden.
    uri = database.replace("postgresql://postgres@", "postgresql://postgres:pw-7f3a9c-db@")
    config = oauth_config(
        simulator, tmp_path, days_to_backfill=2, token_store="postgres", token_store_uri=uri
    )
    simulator.set_faults(rate_limit={"count": 1, "retry_after": 1}, revoke_access_tokens=True)
    result = run_tap_cli(config, tmp_path, env={"TAP_OURA_LOGLEVEL": "DEBUG", "LOGLEVEL": "DEBUG"})
    output = result.stdout + result.stderr
    assert result.returncode == 0, result.stderr[-3000:]
    store_rows = _stored_tokens(database)
    secrets = [
        simulator.client_secret,
        simulator.users[0].refresh_token,
        simulator.users[0].personal_access_token,
        "pw-7f3a9c-db",
        *store_rows,
    ]
    leaked = [secret for secret in secrets if secret and secret in output]
    assert leaked == []
    assert "Refreshed the Oura access token" in output  # a refresh did happen in this run

    simulator.set_faults(revoked_grant=True, revoke_access_tokens=True)
    failed = run_tap_cli(config, tmp_path, env={"LOGLEVEL": "DEBUG"})
    assert failed.returncode == 1
    assert not [s for s in secrets if s and s in failed.stdout + failed.stderr]


def _stored_tokens(database: str) -> list[str]:
    import psycopg  # noqa: PLC0415

    with psycopg.connect(database) as connection:
        rows = connection.execute("select tokens::text from oura_auth.oauth_tokens").fetchall()
    tokens = [json.loads(row[0]) for row in rows]
    return [t[key] for t in tokens for key in ("access_token", "refresh_token") if t.get(key)]
