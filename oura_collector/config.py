"""The collector's configuration: the old collector's env contract, AWS secrets, then ours.

Precedence, highest first: explicit environment variables (the old names, TAP_OURA_*,
TARGET_POSTGRES_*), then the AWS Secrets Manager secrets, then defaults. Everything the Meltano
job needs leaves here as environment variables (`CollectorConfig.pipeline_env`).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oura_collector.database import Database, DatabaseError
from oura_collector.secrets import SecretsError, read_secret

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

logger = logging.getLogger(__name__)

# What the old collector collected when `collect_all_endpoints` was false.
CORE_STREAMS = (
    "personal_info",
    "sleep",
    "daily_sleep",
    "daily_activity",
    "daily_readiness",
    "workout",
    "daily_stress",
    "heartrate",
    "daily_spo2",
    "session",
    "tag",
)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")
# Passed to the Meltano job untouched (explicit settings always win over derived ones).
PASSTHROUGH_PREFIXES = ("TAP_OURA_", "TARGET_POSTGRES_", "MELTANO_", "DBT_", "AWS_", "PG")
OURA_SECRET_FIELDS = {  # secret field -> tap setting
    "oura_personal_access_token": "TAP_OURA_PERSONAL_ACCESS_TOKEN",
    "client_id": "TAP_OURA_CLIENT_ID",
    "client_secret": "TAP_OURA_CLIENT_SECRET",
    "refresh_token": "TAP_OURA_REFRESH_TOKEN",
}
SENSITIVE_SUFFIXES = ("TOKEN", "SECRET", "PASSWORD")


class ConfigError(ValueError):
    """The configuration is invalid; the message lists every problem and the variable to fix."""


@dataclass(frozen=True)
class CollectorConfig:
    """Resolved settings of one collector process."""

    collection_interval: int = 3600
    days_to_backfill: int = 30
    run_once: bool = False
    log_level: str = "INFO"
    log_format: str = "text"
    api_timeout: int = 30
    max_retries: int = 3
    retry_delay: int = 5
    collect_all_endpoints: bool = True
    run_transform: bool = True  # dbt after each load; false when dbt runs on its own schedule
    health_host: str = "0.0.0.0"  # noqa: S104 (the probe comes from the kubelet, not loopback)
    health_port: int = 8080
    data_dir: Path = Path(".oura")
    database: Database | None = None
    secrets_source: str | None = None  # which secrets were read, for the start-up log
    oura_secret_name: str | None = None  # set when the OAuth tokens live in that secret
    tap_env: dict[str, str] = field(default_factory=dict)  # from secrets, before env overrides
    passthrough: dict[str, str] = field(default_factory=dict)  # explicit env of the job

    @property
    def streams(self) -> tuple[str, ...] | None:
        """Return the streams to collect, or None for all of them."""
        return None if self.collect_all_endpoints else CORE_STREAMS

    def pipeline_env(self, database: Database) -> dict[str, str]:
        """Return the environment of a Meltano run: derived settings, then explicit ones."""
        env = {
            "TAP_OURA_DAYS_TO_BACKFILL": str(self.days_to_backfill),
            "TAP_OURA_API_TIMEOUT": str(self.api_timeout),
            "TAP_OURA_MAX_RETRIES": str(self.max_retries),
            "TAP_OURA_RETRY_DELAY": str(self.retry_delay),
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            **self.tap_env,
            **database.env(),
        }
        if self.oura_secret_name and "TAP_OURA_CLIENT_ID" in env:
            # Rotated refresh tokens go back into the secret they came from.
            env["TAP_OURA_TOKEN_STORE"] = "aws"
            env["TAP_OURA_TOKEN_STORE_SECRET"] = self.oura_secret_name
        if self.streams is not None:
            env["TAP_OURA__SELECT"] = json.dumps([f"{name}.*" for name in self.streams])
        env.update(self.passthrough)
        return env

    def job_env(self, database: Database) -> dict[str, str]:
        """Return the whole environment of a Meltano subprocess: this process's, then ours."""
        return {**os.environ, **self.pipeline_env(database)}

    def describe(self) -> str:
        """Summarise the settings for the start-up log (nothing secret)."""
        where = self.database.describe() if self.database else "embedded PostgreSQL"
        return (
            f"interval={self.collection_interval}s days_to_backfill={self.days_to_backfill} "
            f"run_once={self.run_once} api_timeout={self.api_timeout}s "
            f"max_retries={self.max_retries} retry_delay={self.retry_delay}s "
            f"streams={'all' if self.streams is None else len(self.streams)} database={where} "
            f"secrets={self.secrets_source or 'none'}"
        )


def load_config(
    env: Mapping[str, str] = os.environ,
    *,
    secret_reader: Callable[[str], dict[str, Any]] = read_secret,
) -> CollectorConfig:
    """Resolve the configuration from `env` and, when configured, AWS Secrets Manager."""
    problems: list[str] = []
    oura_secret, postgres_secret, source, oura_secret_name = {}, {}, None, None
    if _uses_aws(env, problems):
        names = {
            "OURA_SECRET_NAME": env.get("OURA_SECRET_NAME", "oura/api-credentials"),
            "POSTGRES_SECRET_NAME": env.get("POSTGRES_SECRET_NAME", "postgres/app-user"),
        }
        try:
            if names["OURA_SECRET_NAME"]:
                oura_secret = secret_reader(names["OURA_SECRET_NAME"])
                oura_secret_name = names["OURA_SECRET_NAME"]
            if names["POSTGRES_SECRET_NAME"]:
                postgres_secret = secret_reader(names["POSTGRES_SECRET_NAME"])
        except SecretsError as exc:
            raise ConfigError(str(exc)) from None
        source = ", ".join(f"aws:{name}" for name in names.values() if name)

    def setting(name: str, secret_key: str | None = None) -> str | None:
        if name in env:
            return env[name]
        if secret_key and oura_secret.get(secret_key) is not None:
            return str(oura_secret[secret_key])
        return None

    values = {
        "collection_interval": _integer(
            "COLLECTION_INTERVAL",
            setting("COLLECTION_INTERVAL", "collection_interval"),
            3600,
            1,
            problems,
        ),
        "days_to_backfill": _integer(
            "DAYS_TO_BACKFILL", setting("DAYS_TO_BACKFILL", "days_to_backfill"), 30, 1, problems
        ),
        "run_once": _boolean("RUN_ONCE", env.get("RUN_ONCE"), False, problems),
        "api_timeout": _integer("API_TIMEOUT", env.get("API_TIMEOUT"), 30, 1, problems),
        "max_retries": _integer("MAX_RETRIES", env.get("MAX_RETRIES"), 3, 0, problems),
        "retry_delay": _integer("RETRY_DELAY", env.get("RETRY_DELAY"), 5, 0, problems),
        "collect_all_endpoints": _boolean(
            "COLLECT_ALL_ENDPOINTS",
            setting("COLLECT_ALL_ENDPOINTS", "collect_all_endpoints"),
            True,
            problems,
        ),
        "run_transform": _boolean("RUN_TRANSFORM", env.get("RUN_TRANSFORM"), True, problems),
        "health_port": _integer("HEALTH_PORT", env.get("HEALTH_PORT"), 8080, 0, problems),
    }
    log_level = env.get("LOG_LEVEL", "INFO").upper()
    if log_level not in LOG_LEVELS:
        problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}.")
    log_format = env.get("LOG_FORMAT", "text").lower()
    if log_format not in ("text", "json"):
        problems.append(f"LOG_FORMAT must be 'text' or 'json', not {log_format!r}.")

    tap_env = {
        variable: str(oura_secret[key])
        for key, variable in OURA_SECRET_FIELDS.items()
        if oura_secret.get(key)
    }
    database = None
    try:
        database = Database.from_env({**_postgres_secret_env(postgres_secret), **env})
    except DatabaseError as exc:
        problems.append(str(exc))
    if problems:
        raise ConfigError("Invalid collector configuration:\n  - " + "\n  - ".join(problems))
    return CollectorConfig(
        **values,
        log_level=log_level,
        log_format=log_format,
        data_dir=Path(env.get("OURA_DATA_DIR", ".oura")),
        database=database,
        secrets_source=source,
        oura_secret_name=oura_secret_name,
        tap_env=tap_env,
        passthrough={k: v for k, v in env.items() if k.startswith(PASSTHROUGH_PREFIXES)},
    )


def secret_values(config: CollectorConfig, env: Mapping[str, str]) -> list[str]:
    """Return every secret value the process knows, for log redaction."""
    candidates = {**config.tap_env, **config.passthrough, **env}
    values = [v for k, v in candidates.items() if k.upper().endswith(SENSITIVE_SUFFIXES)]
    if config.database and config.database.password:
        values.append(config.database.password)
    return values


def _uses_aws(env: Mapping[str, str], problems: list[str]) -> bool:
    """Secrets Manager is used when SECRETS_BACKEND=aws, or by default when a region is set."""
    backend = env.get("SECRETS_BACKEND", "").lower()
    if backend not in ("", "aws", "none"):
        problems.append(f"SECRETS_BACKEND must be 'aws' or 'none', not {backend!r}.")
        return False
    if backend:
        return backend == "aws"
    return bool(env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"))


def _postgres_secret_env(secret: Mapping[str, Any]) -> dict[str, str]:
    mapping = {
        "host": "TARGET_POSTGRES_HOST",
        "port": "TARGET_POSTGRES_PORT",
        "username": "TARGET_POSTGRES_USER",
        "password": "TARGET_POSTGRES_PASSWORD",
        "database": "TARGET_POSTGRES_DATABASE",
    }
    return {variable: str(secret[key]) for key, variable in mapping.items() if secret.get(key)}


def _integer(name: str, raw: str | None, default: int, minimum: int, problems: list[str]) -> int:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        problems.append(f"{name} must be a whole number, not {raw!r}.")
        return default
    if value < minimum:
        problems.append(f"{name} must be at least {minimum}, not {value}.")
    return value


def _boolean(name: str, raw: str | None, default: bool, problems: list[str]) -> bool:
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    problems.append(f"{name} must be true or false, not {raw!r}.")
    return default
