"""The collector's configuration: the old env contract, AWS secrets (on a real loopback server),
precedence, and clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from oura_collector.config import CORE_STREAMS, ConfigError, load_config
from oura_collector.database import Database
from oura_collector.secrets import SecretsError, read_secret
from tests.conftest import secrets_client

COLLECTOR = Path(sys.executable).with_name("oura-collector")
DB = Database("db.example", 5432, "app", "pw-secret-123", "oura")


def test_defaults_are_the_old_collectors() -> None:
    config = load_config({})
    assert (
        config.collection_interval,
        config.days_to_backfill,
        config.run_once,
        config.log_level,
        config.api_timeout,
        config.max_retries,
        config.retry_delay,
    ) == (3600, 30, False, "INFO", 30, 3, 5)
    assert config.database is None  # -> embedded PostgreSQL
    env = config.pipeline_env(DB)
    assert env["TAP_OURA_DAYS_TO_BACKFILL"] == "30"
    assert env["TAP_OURA_API_TIMEOUT"] == "30"
    assert env["TAP_OURA_MAX_RETRIES"] == "3"
    assert env["TAP_OURA_RETRY_DELAY"] == "5"
    assert env["TARGET_POSTGRES_HOST"] == "db.example"
    assert "TAP_OURA__SELECT" not in env  # every stream


def test_old_names_map_onto_the_tap_and_explicit_tap_settings_win() -> None:
    config = load_config(
        {
            "DAYS_TO_BACKFILL": "60",
            "RUN_ONCE": "true",
            "MAX_RETRIES": "0",
            "TAP_OURA_MAX_RETRIES": "7",
            "LOG_LEVEL": "debug",
        }
    )
    env = config.pipeline_env(DB)
    assert config.run_once and config.log_level == "DEBUG"
    assert env["TAP_OURA_DAYS_TO_BACKFILL"] == "60"
    assert env["TAP_OURA_MAX_RETRIES"] == "7"


def test_invalid_values_are_all_named_at_once() -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_config(
            {
                "COLLECTION_INTERVAL": "hourly",
                "DAYS_TO_BACKFILL": "0",
                "RUN_ONCE": "maybe",
                "LOG_LEVEL": "LOUD",
                "TARGET_POSTGRES_HOST": "h",
                "TARGET_POSTGRES_PORT": "five",
            }
        )
    message = str(excinfo.value)
    for expected in (
        "COLLECTION_INTERVAL must be a whole number, not 'hourly'",
        "DAYS_TO_BACKFILL must be at least 1",
        "RUN_ONCE must be true or false",
        "LOG_LEVEL must be one of",
        "TARGET_POSTGRES_PORT must be a number",
    ):
        assert expected in message


def test_a_bad_setting_stops_the_process_with_exit_2_and_the_reason() -> None:
    result = subprocess.run(
        [str(COLLECTOR), "once"],
        env={"PATH": "/usr/bin:/bin", "COLLECTION_INTERVAL": "-5", "HOME": "/tmp"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "COLLECTION_INTERVAL must be at least 1, not -5" in result.stderr


def _put(aws: dict[str, str], name: str, value: dict) -> None:
    secrets_client(aws).create_secret(Name=name, SecretString=json.dumps(value))


def test_secrets_fill_the_settings_and_env_vars_override_them(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in aws.items():
        monkeypatch.setenv(key, value)
    _put(
        aws,
        "oura/api-credentials",
        {
            "client_id": "cid",
            "client_secret": "csecret-abcdef",
            "refresh_token": "rt-abcdef",
            "oura_personal_access_token": "pat-abcdef",
            "collection_interval": 900,
            "days_to_backfill": 14,
            "collect_all_endpoints": False,
        },
    )
    _put(
        aws,
        "postgres/app-user",
        {"username": "app", "password": "pw", "host": "pg.internal", "port": 6543, "database": "o"},
    )
    config = load_config({**aws, "DAYS_TO_BACKFILL": "45", "TARGET_POSTGRES_HOST": "override"})
    assert config.collection_interval == 900  # from the secret
    assert config.days_to_backfill == 45  # the env wins
    assert config.database == Database("override", 6543, "app", "pw", "o")
    env = config.pipeline_env(config.database)
    assert env["TAP_OURA_CLIENT_ID"] == "cid"
    assert env["TAP_OURA_REFRESH_TOKEN"] == "rt-abcdef"
    assert env["TAP_OURA_PERSONAL_ACCESS_TOKEN"] == "pat-abcdef"
    assert env["TAP_OURA_TOKEN_STORE"] == "aws"  # rotated tokens go back to the secret
    assert env["TAP_OURA_TOKEN_STORE_SECRET"] == "oura/api-credentials"
    assert json.loads(env["TAP_OURA__SELECT"]) == [f"{name}.*" for name in CORE_STREAMS]


def test_a_missing_secret_is_named_with_the_way_out(aws: dict[str, str], monkeypatch) -> None:
    for key, value in aws.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SecretsError, match=r"'oura/api-credentials' \(ResourceNotFoundException\)"):
        read_secret("oura/api-credentials")
    with pytest.raises(ConfigError, match="OURA_SECRET_NAME"):
        load_config(aws)
    config = load_config({**aws, "OURA_SECRET_NAME": "", "POSTGRES_SECRET_NAME": ""})
    assert config.secrets_source == ""


def test_secrets_are_not_read_without_a_region_or_when_switched_off() -> None:
    def refuse(name: str) -> dict:
        raise AssertionError(f"read {name}")

    assert load_config({}, secret_reader=refuse).secrets_source is None
    no = {"AWS_REGION": "eu-west-1", "SECRETS_BACKEND": "none"}
    assert load_config(no, secret_reader=refuse).secrets_source is None
