"""Drive the real Meltano project (tap-oura -> target-postgres -> dbt) for end-to-end tests.

Nothing is faked: `meltano` runs as a subprocess from the repository root with only environment
variables as configuration, the way an operator or the collector runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from oura_collector.database import Database
from tests.conftest import connection_parts

if TYPE_CHECKING:
    from oura_simulator import Simulator

REPO = Path(__file__).resolve().parent.parent
MELTANO = Path(sys.executable).with_name("meltano")
STATE_ID = "dev:tap-oura-to-target-postgres"
OWN_PREFIXES = ("TAP_OURA_", "TARGET_POSTGRES_", "MELTANO_", "DBT_", "OURA_")


def database_of(uri: str) -> Database:
    """Return the pipeline's database settings for a libpq URI."""
    parts = connection_parts(uri)
    return Database(
        host=parts["host"],
        port=int(parts["port"]),
        user=parts["user"],
        password=parts["password"],
        database=parts["dbname"],
    )


def pipeline_env(uri: str, sim: Simulator, tmp_path: Path, **tap: object) -> dict[str, str]:
    """Return the environment of a pipeline run: the database, the simulator, tap settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
    env.update(database_of(uri).env())
    env.update(
        {
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "TAP_OURA_API_URL": sim.base_url,
            "TAP_OURA_TOKEN_URL": f"{sim.base_url}/oauth/token",
            "TAP_OURA_CLIENT_ID": sim.client_id,
            "TAP_OURA_CLIENT_SECRET": sim.client_secret,
            "TAP_OURA_REFRESH_TOKEN": sim.users[0].refresh_token,
            "TAP_OURA_RETRY_DELAY": "0",
            "TAP_OURA_RUN_REPORT_PATH": str(tmp_path / "run-report.json"),
        }
    )
    env.update({f"TAP_OURA_{key.upper()}": str(value) for key, value in tap.items()})
    return env


def meltano(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `meltano <args>` in the project; the caller checks the return code."""
    return subprocess.run(
        [str(MELTANO), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def check(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    """Fail with the tail of Meltano's output when it failed."""
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    return result


def run_report(env: dict[str, str]) -> dict[str, Any]:
    """Return the tap's JSON run report of the last run."""
    return json.loads(Path(env["TAP_OURA_RUN_REPORT_PATH"]).read_text())


def stored_state(uri: str, state_id: str = STATE_ID) -> dict[str, Any] | None:
    """Return Meltano's completed state for `state_id` from the system tables in PostgreSQL."""
    with psycopg.connect(uri) as connection:
        row = connection.execute(
            "select completed_state from meltano.state where state_id = %s", (state_id,)
        ).fetchone()
    if row is None or row[0] is None:
        return None
    return json.loads(row[0]) if isinstance(row[0], str) else row[0]


def bookmarks(uri: str, state_id: str = STATE_ID) -> dict[str, Any]:
    """Return the tap's bookmarks stored for `state_id`."""
    state = stored_state(uri, state_id) or {}
    return state.get("singer_state", {}).get("bookmarks", {})


def rows(uri: str, table: str, schema: str = "raw_oura") -> list[dict[str, Any]]:
    """Return every row of a table as dicts."""
    with psycopg.connect(uri, row_factory=dict_row) as connection:
        query = sql.SQL("select * from {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        return connection.execute(query).fetchall()


def scalar(uri: str, query: str, *params: object) -> Any:
    """Return the first column of the first row of a query."""
    with psycopg.connect(uri) as connection:
        row = connection.execute(query, params).fetchone()
    return None if row is None else row[0]


def as_json(value: Any) -> Any:
    """Return a stored value in the form Oura sent it (naive timestamps are UTC)."""
    if isinstance(value, Decimal):
        return (
            int(value)
            if value == value.to_integral_value() and "." not in str(value)
            else float(value)
        )
    if isinstance(value, datetime):
        return value.isoformat() + "+00:00" if value.tzinfo is None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    return value


def differences(
    truth: list[dict[str, Any]], stored: list[dict[str, Any]], keys: tuple[str, ...]
) -> list[str]:
    """Compare Oura's records with stored rows field by field; return what differs."""
    by_key = {tuple(as_json(row[k]) for k in keys): row for row in stored}
    problems = []
    if len(by_key) != len(stored):
        problems.append(f"duplicate keys among {len(stored)} rows")
    truth_keys = {tuple(record[k] for k in keys) for record in truth}
    if missing := truth_keys - set(by_key):
        problems.append(f"{len(missing)} records missing, e.g. {sorted(missing)[:2]}")
    if extra := set(by_key) - truth_keys:
        problems.append(f"{len(extra)} rows Oura does not have, e.g. {sorted(extra)[:2]}")
    for record in truth:
        row = by_key.get(tuple(record[k] for k in keys))
        if row is None:
            continue
        for field, value in record.items():
            if _same(value, as_json(row.get(field))):
                continue
            problems.append(
                f"{keys}={[record[k] for k in keys]} {field}: {value!r} != {row.get(field)!r}"
            )
            break
    return problems


def _same(expected: Any, stored: Any) -> bool:
    if isinstance(expected, float) or isinstance(stored, float):
        return (
            expected is not None
            and stored is not None
            and abs(float(expected) - float(stored)) < 1e-9
        )
    if isinstance(expected, list) and isinstance(stored, list):
        return len(expected) == len(stored) and all(map(_same, expected, stored))
    if isinstance(expected, dict) and isinstance(stored, dict):
        return expected.keys() == stored.keys() and all(
            _same(expected[k], stored[k]) for k in expected
        )
    return expected == stored
