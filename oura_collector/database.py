"""The one-time preparation of the PostgreSQL database that holds the data and Meltano's state.

Meltano keeps its system tables (runs, state) in the schema `meltano` of the target database
(`meltano.yml` puts it first on the search path), but does not create that schema itself. The
raw, token and analytics schemas are created by their writers; creating them here as well lets a
least-privileged role run the pipeline after one `init-db` by an owner.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from tap_oura.redact import MIN_SECRET_LENGTH

if TYPE_CHECKING:
    from collections.abc import Mapping

SCHEMAS = ("meltano", "raw_oura", "oura_auth", "analytics")
CONNECT_TIMEOUT_SECONDS = 10


class DatabaseError(RuntimeError):
    """The database cannot be reached or prepared; the message says which and why."""


@dataclass(frozen=True)
class Database:
    """Where the pipeline writes: one set of settings for load, state, tokens and dbt."""

    host: str
    port: int
    user: str
    password: str
    database: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Database | None:
        """Read TARGET_POSTGRES_*; None when no host is configured."""
        host = env.get("TARGET_POSTGRES_HOST")
        if not host:
            return None
        port = env.get("TARGET_POSTGRES_PORT", "5432")
        if not port.isdigit():
            raise DatabaseError(f"TARGET_POSTGRES_PORT must be a number, not {port!r}.")
        return cls(
            host=host,
            port=int(port),
            user=env.get("TARGET_POSTGRES_USER", "postgres"),
            password=env.get("TARGET_POSTGRES_PASSWORD", ""),
            database=env.get("TARGET_POSTGRES_DATABASE", "oura"),
        )

    def env(self) -> dict[str, str]:
        """Return the TARGET_POSTGRES_* variables Meltano, the tap's token store and dbt read."""
        return {
            "TARGET_POSTGRES_HOST": self.host,
            "TARGET_POSTGRES_PORT": str(self.port),
            "TARGET_POSTGRES_USER": self.user,
            # target-postgres needs a password setting even under trust authentication.
            "TARGET_POSTGRES_PASSWORD": self.password or "unused",
            "TARGET_POSTGRES_DATABASE": self.database,
        }

    def conninfo(self, **overrides: str) -> str:
        """Return a libpq connection string (never logged: it may carry the password)."""
        params: dict[str, object] = {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password or None,
            "dbname": self.database,
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        }
        return make_conninfo(**{**params, **overrides})

    def describe(self) -> str:
        """Name the database without its password, for logs and errors."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"

    def connect(self, **overrides: str) -> psycopg.Connection:
        """Connect with autocommit, turning failures into an error that says where and why."""
        try:
            return psycopg.connect(self.conninfo(**overrides), autocommit=True)
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            if len(self.password) >= MIN_SECRET_LENGTH:  # libpq never echoes it; be sure anyway
                reason = reason.replace(self.password, "***")
            raise DatabaseError(f"Cannot connect to {self.describe()}: {reason}") from None

    def prepare(self) -> None:
        """Create the database when missing (if allowed) and the pipeline's schemas."""
        self._create_database_if_missing()
        with self.connect() as connection:
            for schema in SCHEMAS:
                connection.execute(
                    sql.SQL("create schema if not exists {}").format(sql.Identifier(schema))
                )

    def _create_database_if_missing(self) -> None:
        try:
            with self.connect():
                return
        except DatabaseError as exc:
            if "does not exist" not in str(exc):
                raise
        with self.connect(dbname="postgres") as admin:
            admin.execute(sql.SQL("create database {}").format(sql.Identifier(self.database)))
