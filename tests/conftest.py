"""Shared fixtures: a real PostgreSQL and a real Oura simulator, never mocks.

PostgreSQL: `OURA_TEST_DATABASE_URL` (a superuser URI, e.g. postgresql://postgres@127.0.0.1/postgres)
when set; otherwise an embedded server in a temporary directory, started once per session. Each
test that asks for `database` gets a fresh, empty database of its own.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from oura_simulator import Simulator


@pytest.fixture(scope="session")
def postgres_admin_uri() -> Iterator[str]:
    """Return a superuser URI of a running PostgreSQL: the configured one or an embedded one."""
    configured = os.environ.get("OURA_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    from oura_collector.embedded_db import EmbeddedPostgres  # noqa: PLC0415

    # Not under pytest's tmp_path: pytest deletes old numbered directories when another pytest
    # session starts, which would pull the data directory from under a running server.
    data_dir = tempfile.mkdtemp(prefix="oura-test-postgres-")
    server = EmbeddedPostgres(data_dir).start()
    try:
        yield server.uri
    finally:
        server.destroy()


@contextmanager
def fresh_database(admin_uri: str, *, timezone: str | None = None) -> Iterator[str]:
    """Create an empty database (optionally with a default time zone); drop it afterwards."""
    name = f"oura_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_uri, autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        if timezone:
            admin.execute(
                sql.SQL("alter database {} set timezone = {}").format(
                    sql.Identifier(name), sql.Literal(timezone)
                )
            )
    try:
        yield make_conninfo(admin_uri, dbname=name)
    finally:
        with psycopg.connect(admin_uri, autocommit=True) as admin:
            admin.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


@pytest.fixture
def database(postgres_admin_uri: str) -> Iterator[str]:
    """Create an empty database for one test and return its URI; drop it afterwards."""
    with fresh_database(postgres_admin_uri) as uri:
        yield uri


def connection_parts(uri: str) -> dict[str, str]:
    """Split a libpq URI into host, port, user, password and dbname."""
    parts = conninfo_to_dict(uri)
    return {
        "host": parts.get("host", "127.0.0.1"),
        "port": str(parts.get("port", "5432")),
        "user": parts.get("user", "postgres"),
        "password": parts.get("password", ""),
        "dbname": parts.get("dbname", "postgres"),
    }


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    """Run a fresh Oura simulator (30 days, one user) on an ephemeral port."""
    from oura_simulator import Simulator, SimulatorConfig  # noqa: PLC0415

    with Simulator(SimulatorConfig(days=30), host="127.0.0.1", port=0) as sim:
        yield sim


def oauth_config(sim: Simulator, tmp_path: Path, **overrides: object) -> dict[str, object]:
    """Return a tap config that authenticates against the simulator with OAuth."""
    config: dict[str, object] = {
        "api_url": sim.base_url,
        "client_id": sim.client_id,
        "client_secret": sim.client_secret,
        "refresh_token": sim.users[0].refresh_token,
        "token_url": f"{sim.base_url}/oauth/token",
        "token_url_fallback": f"{sim.base_url}/oauth/v2/ext/oauth-token",
        "token_store_path": str(tmp_path / "tokens.json"),
        "retry_delay": 0,
        "days_to_backfill": 7,
    }
    config.update(overrides)
    return config


@pytest.fixture
def aws() -> Iterator[dict[str, str]]:
    """Run a real AWS-API-compatible server (moto's server mode) on loopback.

    Returns the environment that points boto3 at it; `boto3.client("secretsmanager")` made with
    that environment talks HTTP to it, exactly as the collector does.
    """
    import requests  # noqa: PLC0415
    from moto.server import ThreadedMotoServer  # noqa: PLC0415

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        yield {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "eu-west-1",
            "AWS_DEFAULT_REGION": "eu-west-1",
        }
    finally:
        requests.post(f"{endpoint}/moto-api/reset", timeout=10)
        server.stop()


def secrets_client(aws_env: dict[str, str]) -> Any:
    """Return a boto3 Secrets Manager client for the loopback AWS server."""
    import boto3  # noqa: PLC0415

    return boto3.client(
        "secretsmanager",
        endpoint_url=aws_env["AWS_ENDPOINT_URL"],
        region_name=aws_env["AWS_REGION"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
