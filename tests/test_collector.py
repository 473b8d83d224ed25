"""The real `oura-collector` process against the simulator, a real PostgreSQL and a loopback AWS.

Cycles run extract and load only (RUN_TRANSFORM=false) to keep the loop tests quick; the demo
test runs the whole job, dbt included.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

from oura_collector.config import CORE_STREAMS
from tap_oura.routes import ROUTES, Window
from tests.collector_harness import (
    COLLECTOR,
    CollectorProcess,
    collector_env,
    free_port,
    run_collector,
)
from tests.conftest import connection_parts, secrets_client
from tests.pipeline_harness import OWN_PREFIXES, bookmarks, differences, rows, scalar, stored_state

if TYPE_CHECKING:
    from oura_simulator import Simulator

pytestmark = pytest.mark.slow

DB_PASSWORD = "pw-collector-9f8e7d"  # trust authentication accepts it; it must never be logged


def _today() -> date:
    return datetime.now(UTC).date()


def _secrets_of(sim: Simulator, uri: str) -> list[str]:
    tokens = []
    if scalar(uri, "select to_regclass('oura_auth.oauth_tokens') is not null"):
        for (stored,) in _query(uri, "select tokens::text from oura_auth.oauth_tokens"):
            data = json.loads(stored)
            tokens += [data.get("access_token"), data.get("refresh_token")]
    return [s for s in (sim.client_secret, sim.users[0].refresh_token, DB_PASSWORD, *tokens) if s]


def _query(uri: str, query: str) -> list[tuple]:
    import psycopg  # noqa: PLC0415

    with psycopg.connect(uri) as connection:
        return connection.execute(query).fetchall()


def test_health_follows_the_cycles_and_sigterm_ends_cleanly(
    simulator: Simulator, database: str, tmp_path: Path
) -> None:
    env = collector_env(
        database,
        simulator,
        tmp_path,
        COLLECTION_INTERVAL=2,
        MAX_RETRIES=0,
        TARGET_POSTGRES_PASSWORD=DB_PASSWORD,
    )
    collector = CollectorProcess("run", env=env, log_path=tmp_path / "collector.log")
    try:
        first = collector.wait_for(collector.health, what="/health to answer")
        assert first == (200, first[1]) and first[1]["status"] == "starting"
        ok = collector.wait_for_health(lambda code, b: code == 200 and b["status"] == "ok", "ok")
        assert ok["last_cycle"]["streams"]["daily_sleep"] > 0
        assert ok["last_success"] and ok["next_run"]

        simulator.set_faults(server_error={"count": 100_000, "status": 503})
        failing = collector.wait_for_health(
            lambda code, body: code == 503 and body["status"] == "failing", "503 after a failure"
        )
        assert (
            "503" in failing["last_error"] and "gave up after 1 attempts" in failing["last_error"]
        )

        simulator.clear_faults()
        collector.wait_for_health(lambda code, b: code == 200 and b["status"] == "ok", "recovery")
        metrics = requests.get(collector.health_url.replace("health", "metrics"), timeout=5).text
        assert 'oura_cycles_total{outcome="failure"}' in metrics
    finally:
        code = collector.terminate()
    assert code == 0
    log = collector.log()
    assert re.search(r"Collection summary: ok records=\d+ window=\S+ duration=[\d.]+s", log)
    assert "Collection summary: FAILED" in log
    leaked = [secret for secret in _secrets_of(simulator, database) if secret in log]
    assert leaked == []


def test_run_once_exits_0_on_success_and_1_with_the_reason(
    simulator: Simulator, database: str, tmp_path: Path
) -> None:
    env = collector_env(database, simulator, tmp_path, RUN_ONCE="true")
    done = run_collector("run", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Collection summary: ok" in done.stderr

    spent = {**env, "TAP_OURA_REFRESH_TOKEN": "sim-rt-not-a-token-at-all"}
    with_new_store = {**spent, "TAP_OURA_TOKEN_STORE_TABLE": "oura_auth.other_tokens"}
    failed = run_collector("once", env=with_new_store)
    assert failed.returncode == 1
    assert "Collection summary: FAILED" in failed.stderr
    assert "Oura refused the refresh token" in failed.stderr
    assert "oura-collector auth" in failed.stderr


def test_sigterm_mid_cycle_then_restart_loses_and_duplicates_nothing(
    simulator: Simulator, database: str, tmp_path: Path
) -> None:
    days = 20
    env = collector_env(database, simulator, tmp_path, DAYS_TO_BACKFILL=days)
    simulator.set_faults(latency_ms=250)  # a slow Oura: the cycle is still running at SIGTERM
    collector = CollectorProcess("run", env=env, log_path=tmp_path / "first.log")
    try:
        collector.wait_for(
            lambda: scalar(database, "select to_regclass('raw_oura.daily_activity') is not null"),
            what="the first rows to land",
        )
    finally:
        assert collector.terminate() == 0
    assert "Collection summary: stopped" in collector.log()

    simulator.clear_faults()
    again = run_collector("once", env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    report = json.loads((tmp_path / "data" / "run-report.json").read_text())["streams"]
    first, last = _today() - timedelta(days=days), _today()
    for route in ROUTES:
        if route.window is Window.DATES:
            truth = simulator.dataset.records(route.url_segment, 1, first, last)
        elif route.window is Window.DATETIMES:
            start = datetime.combine(first, datetime.min.time(), UTC)
            end = datetime.fromisoformat(report[route.name]["window"][1])
            truth = simulator.dataset.series(route.url_segment, 1, start, end)
        else:
            continue
        assert differences(truth, rows(database, route.name), route.primary_keys) == [], route.name


def test_secrets_load_env_overrides_win_and_the_rotated_token_goes_back(
    simulator: Simulator, database: str, tmp_path: Path, aws: dict[str, str]
) -> None:
    client = secrets_client(aws)
    parts = connection_parts(database)
    client.create_secret(
        Name="oura/api-credentials",
        SecretString=json.dumps(
            {
                "client_id": simulator.client_id,
                "client_secret": simulator.client_secret,
                "refresh_token": simulator.users[0].refresh_token,
                "days_to_backfill": 9,
                "collect_all_endpoints": False,
            }
        ),
    )
    client.create_secret(
        Name="postgres/app-user",
        SecretString=json.dumps(
            {
                "username": parts["user"],
                "password": DB_PASSWORD,
                "host": parts["host"],
                "port": int(parts["port"]),
                "database": parts["dbname"],
            }
        ),
    )
    env = collector_env(None, simulator, tmp_path, DAYS_TO_BACKFILL=2, **aws)
    for name in ("TAP_OURA_CLIENT_ID", "TAP_OURA_CLIENT_SECRET", "TAP_OURA_REFRESH_TOKEN"):
        env.pop(name)
    done = run_collector("once", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "secrets=aws:oura/api-credentials, aws:postgres/app-user" in done.stderr

    tables = {
        row[0]
        for row in _query(database, "select tablename from pg_tables where schemaname = 'raw_oura'")
    }
    assert tables == set(CORE_STREAMS)  # collect_all_endpoints: false -> the old core set
    report = json.loads((tmp_path / "data" / "run-report.json").read_text())["streams"]
    assert report["daily_sleep"]["window"][0] == (_today() - timedelta(days=2)).isoformat()

    secret = json.loads(client.get_secret_value(SecretId="oura/api-credentials")["SecretString"])
    assert secret["refresh_token"] != simulator.users[0].refresh_token  # rotated, written back
    assert secret["oauth_tokens"]["refresh_token"] == secret["refresh_token"]
    assert secret["days_to_backfill"] == 9 and secret["client_id"] == simulator.client_id
    again = run_collector("once", env=env)  # starts from the written-back token
    assert again.returncode == 0, again.stderr[-3000:]
    leaked = [
        s
        for s in [*_secrets_of(simulator, database), secret["refresh_token"]]
        if s in done.stderr + again.stderr
    ]
    assert leaked == []


def test_demo_runs_the_whole_job_with_no_database_server(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith((*OWN_PREFIXES, "AWS_"))}
    env["OURA_DATA_DIR"] = str(tmp_path / "data")
    done = run_collector("demo", "--days", "3", env=env)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert "Demo done" in done.stdout
    assert "daily_summary" in done.stdout
    assert re.search(r"raw tables \(schema raw_oura\): \d+ rows in 19 tables", done.stdout)
    assert "psql postgresql://postgres@127.0.0.1:" in done.stdout


def test_auth_receives_the_code_on_the_callback_and_stores_the_tokens(
    simulator: Simulator, database: str, tmp_path: Path
) -> None:
    env = collector_env(database, simulator, tmp_path)
    env.pop("TAP_OURA_REFRESH_TOKEN")
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    auth = subprocess.Popen(
        [
            str(COLLECTOR),
            "auth",
            "--redirect-uri",
            redirect,
            "--authorize-url",
            f"{simulator.base_url}/oauth/authorize",
            "--timeout",
            "60",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = None
        for line in auth.stdout:
            if line.strip().startswith("http"):
                url = line.strip()
            if "Waiting for Oura" in line:
                break
        assert url and "client_id=" in url and "state=" in url
        consent = requests.get(url, timeout=30)  # the browser: consent, then the redirect
        assert consent.status_code == 200 and "you can close this tab" in consent.text
        out, err = auth.communicate(timeout=60)
    finally:
        if auth.poll() is None:
            auth.kill()
    assert auth.returncode == 0, err[-3000:]
    assert "Tokens saved in PostgreSQL table oura_auth.oauth_tokens" in out
    assert scalar(database, "select count(*) from oura_auth.oauth_tokens") == 1
    done = run_collector("once", env=env)  # no refresh_token configured: the store has one
    assert done.returncode == 0, done.stderr[-3000:]


def test_check_backfill_and_reset_state(
    simulator: Simulator, database: str, tmp_path: Path
) -> None:
    env = collector_env(database, simulator, tmp_path)
    check = run_collector("check", env=env)
    assert check.returncode == 0, check.stdout + check.stderr[-2000:]
    assert "DB OK" in check.stdout and "API OK" in check.stdout

    assert run_collector("once", env=env).returncode == 0
    before = bookmarks(database)
    start = _today() - timedelta(days=12)
    backfill = run_collector(
        "backfill",
        "--start",
        str(start),
        "--end",
        str(start + timedelta(days=1)),
        "--no-transform",
        env=env,
    )
    assert backfill.returncode == 0, backfill.stderr[-3000:]
    assert bookmarks(database) == before
    assert start in {r["day"] for r in rows(database, "daily_sleep")}

    reset = run_collector("reset-state", "--yes", env=env)
    assert reset.returncode == 0, reset.stderr[-3000:]
    assert not bookmarks(database)
    assert stored_state(database) is None or not stored_state(database).get("singer_state")

    bad = {**env, "TARGET_POSTGRES_PORT": str(free_port())}
    refused = run_collector("check", env=bad)
    assert refused.returncode == 1
    assert "Cannot connect to postgresql://" in refused.stderr


def _job_processes(marker: str) -> list[int]:
    """Return the pids whose environment carries `marker` (the collector's run-report path)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def test_a_hard_killed_collector_leaves_nothing_running_and_blocks_nothing(
    simulator: Simulator, database: str, tmp_path: Path
) -> None:
    env = collector_env(database, simulator, tmp_path, DAYS_TO_BACKFILL=20)
    simulator.set_faults(latency_ms=1500)  # a job that would run for a minute or more
    collector = CollectorProcess("run", env=env, log_path=tmp_path / "killed.log")
    marker = str(tmp_path / "data" / "run-report.json")
    try:
        collector.wait_for(lambda: _job_processes(marker), what="the Meltano job to start")
        collector.process.kill()  # SIGKILL: no handler runs
        collector.process.wait(30)
        collector.wait_for(
            lambda: not _job_processes(marker),
            timeout=20,
            what="the orphaned job to stop",
            give_up_on_exit=False,
        )
    finally:
        collector.kill()
    simulator.clear_faults()
    started = time.monotonic()
    again = run_collector("once", env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert time.monotonic() - started < 120  # not blocked by the killed run's job record
