"""tap-oura: the settings, the streams, and how a run ends."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
import typing as t
from datetime import date
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg
import requests
from psycopg.conninfo import conninfo_to_dict
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError

from tap_oura import windows
from tap_oura.auth import (
    LEGACY_TOKEN_URL,
    NEW_PORTAL_TOKEN_URL,
    OuraOAuthAuthenticator,
    PersonalTokenAuthenticator,
    TokenEndpoint,
)
from tap_oura.errors import CredentialsMissing, MembershipExpired, OuraTapError
from tap_oura.redact import REDACTOR
from tap_oura.report import RunReport
from tap_oura.streams import build_streams
from tap_oura.token_store import (
    FileTokenStore,
    PostgresTokenStore,
    SecretsManagerTokenStore,
    TokenStore,
    TokenStoreError,
)

if t.TYPE_CHECKING:
    from tap_oura.client import OuraStream
    from tap_oura.routes import Route

TOKEN_STORES = ("file", "postgres", "aws")
BATCH_FILE_MAX_AGE_SECONDS = 24 * 3600
SECRET_SETTINGS = ("client_secret", "refresh_token", "personal_access_token")

CONFIG_SCHEMA = th.PropertiesList(
    # --- credentials -------------------------------------------------------------------------
    th.Property("client_id", th.StringType, description="OAuth2 client id of your Oura app."),
    th.Property("client_secret", th.StringType, secret=True, description="OAuth2 client secret."),
    th.Property(
        "refresh_token",
        th.StringType,
        secret=True,
        description=(
            "OAuth2 refresh token from `oura-collector auth`. Only needed to seed the token "
            "store: Oura rotates it on every refresh and the store keeps the current one."
        ),
    ),
    th.Property(
        "personal_access_token",
        th.StringType,
        secret=True,
        description="Legacy personal access token (retired by Oura in Dec 2025; OAuth wins).",
    ),
    th.Property(
        "token_url",
        th.StringType,
        default=LEGACY_TOKEN_URL,
        description="OAuth2 token endpoint.",
    ),
    th.Property(
        "token_url_fallback",
        th.StringType,
        default=NEW_PORTAL_TOKEN_URL,
        description=(
            "Token endpoint tried when `token_url` refuses the client: apps from Oura's new "
            "developer portal need it. Empty to disable."
        ),
    ),
    th.Property(
        "token_store",
        th.StringType,
        default="file",
        allowed_values=list(TOKEN_STORES),
        description=(
            "Where rotated OAuth tokens are kept: `file`, `postgres`, or `aws` (the Secrets "
            "Manager secret `token_store_secret`, with a copy in the postgres table when "
            "`token_store_uri` is set, else in the file)."
        ),
    ),
    th.Property(
        "token_store_path",
        th.StringType,
        default=".oura/tokens.json",
        description="Token file for `token_store: file` (created with mode 0600).",
    ),
    th.Property(
        "token_store_uri",
        th.StringType,
        secret=True,
        description="PostgreSQL URI for `token_store: postgres`, e.g. postgresql://u:p@host/db.",
    ),
    th.Property(
        "token_store_table",
        th.StringType,
        default="oura_auth.oauth_tokens",
        description="Schema-qualified table for `token_store: postgres` (created if missing).",
    ),
    th.Property(
        "token_store_secret",
        th.StringType,
        default="oura/api-credentials",
        description="Secrets Manager secret for `token_store: aws` (JSON; other fields kept).",
    ),
    th.Property(
        "token_store_key",
        th.StringType,
        description="Row/entry name in the token store; defaults to the client id.",
    ),
    # --- what to collect ---------------------------------------------------------------------
    th.Property(
        "days_to_backfill",
        th.IntegerType(minimum=1),
        default=30,
        description="No run reaches further back than today minus this many days.",
    ),
    th.Property(
        "lookback_days",
        th.IntegerType(minimum=0),
        description=(
            "Days re-read before each bookmark, for every stream. Unset: 7 for daily "
            "documents, sleep, workouts and sessions, 14 for tags and rest mode, 3 for heart "
            "rate and battery."
        ),
    ),
    th.Property(
        "start_date",
        th.StringType,
        description="Manual backfill: first day (YYYY-MM-DD) to collect, ignoring bookmarks.",
    ),
    th.Property(
        "end_date",
        th.StringType,
        description="Last day (YYYY-MM-DD, inclusive) to collect; default today.",
    ),
    th.Property(
        "timezone",
        th.StringType,
        default="UTC",
        description="IANA time zone that decides what 'today' is: use the ring owner's.",
    ),
    # --- HTTP ----------------------------------------------------------------------------------
    th.Property("api_url", th.StringType, default="https://api.ouraring.com"),
    th.Property(
        "sandbox",
        th.BooleanType,
        default=False,
        description="Read Oura's sandbox (/v2/sandbox/usercollection, no personal_info).",
    ),
    th.Property(
        "api_timeout", th.IntegerType(minimum=1), default=30, description="Seconds per request."
    ),
    th.Property(
        "max_retries",
        th.IntegerType(minimum=0),
        default=3,
        description="Retries of a request after 429, 5xx, timeouts or dropped connections.",
    ),
    th.Property(
        "retry_delay",
        th.IntegerType(minimum=0),  # whole seconds, as the old collector's RETRY_DELAY
        default=5,
        description="First retry wait in seconds, doubled each time (429 waits as Oura asks).",
    ),
    th.Property(
        "run_report_path",
        th.StringType,
        description="Write a JSON report of the run (per-stream counts, windows, skips) here.",
    ),
).to_dict()


class TapOura(Tap):
    """Singer tap for the Oura Ring API v2."""

    name = "tap-oura"
    config_jsonschema = CONFIG_SCHEMA
    message_writer_class = MsgSpecWriter  # the SDK's msgspec encoder: ~2x simplejson

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Validate the settings that JSON Schema cannot, and hide every secret from logs."""
        super().__init__(*args, **kwargs)
        REDACTOR.install()
        REDACTOR.add(*(self.config.get(name) for name in SECRET_SETTINGS))
        if uri := self.config.get("token_store_uri"):
            REDACTOR.add(uri, _password_of(uri))
        self.report = RunReport()
        if kwargs.get("validate_config", True):
            self._check_config()

    def discover_streams(self) -> list[OuraStream]:
        """Return one stream per Oura route."""
        return build_streams(self)

    # --- settings ------------------------------------------------------------------------------

    def _check_config(self) -> None:
        problems = []
        try:
            ZoneInfo(self.config["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(
                f"timezone {self.config['timezone']!r} is not an IANA zone (e.g. Europe/Paris)."
            )
        start, end = (self._config_date(name, problems) for name in ("start_date", "end_date"))
        if start and end and start > end:
            problems.append(f"start_date {start} is after end_date {end}.")
        if self.config["token_store"] == "postgres" and not self.config.get("token_store_uri"):
            problems.append("token_store is 'postgres' but token_store_uri is not set.")
        if problems:
            raise ConfigValidationError("Invalid tap-oura settings", errors=problems)

    def _config_date(self, name: str, problems: list[str]) -> date | None:
        value = self.config.get(name)
        if not value:
            return None
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            problems.append(f"{name} {value!r} is not a date (YYYY-MM-DD).")
            return None

    @cached_property
    def timezone(self) -> ZoneInfo:
        """Return the zone that decides what 'today' is."""
        return ZoneInfo(self.config["timezone"])

    def window_settings(self, route: Route) -> windows.Settings:
        """Return the window settings for a route (a global `lookback_days` wins)."""
        lookback = self.config.get("lookback_days")
        return windows.Settings(
            days_to_backfill=int(self.config["days_to_backfill"]),
            lookback_days=route.lookback_days if lookback is None else int(lookback),
            start=self._config_date("start_date", []),
            end=self._config_date("end_date", []),
        )

    # --- shared HTTP and auth ----------------------------------------------------------------

    @cached_property
    def http_session(self) -> requests.Session:
        """Return the connection pool every stream shares."""
        return requests.Session()

    @cached_property
    def authenticator(self) -> OuraOAuthAuthenticator | PersonalTokenAuthenticator:
        """Return OAuth when an app is configured, else a legacy personal token."""
        config = self.config
        if config.get("client_id") and config.get("client_secret"):
            endpoint = TokenEndpoint(
                [config["token_url"], config.get("token_url_fallback") or ""],
                client_id=config["client_id"],
                client_secret=config["client_secret"],
                timeout=float(config["api_timeout"]),
            )
            return OuraOAuthAuthenticator(
                endpoint=endpoint,
                store=self.token_store(),
                configured_refresh_token=config.get("refresh_token"),
            )
        if config.get("personal_access_token"):
            return PersonalTokenAuthenticator(token=config["personal_access_token"])
        msg = (
            "No Oura credentials are configured. Set client_id, client_secret and refresh_token "
            "(run `oura-collector auth` to obtain them), or a legacy personal_access_token."
        )
        raise CredentialsMissing(msg)

    def token_store(self) -> TokenStore:
        """Return the configured token store."""
        config = self.config
        kind = config["token_store"]
        local: TokenStore = FileTokenStore(config["token_store_path"])
        if kind == "postgres" or (kind == "aws" and config.get("token_store_uri")):
            local = PostgresTokenStore(
                config["token_store_uri"],
                table=config["token_store_table"],
                key=config.get("token_store_key") or config["client_id"],
            )
        if kind == "aws":
            return SecretsManagerTokenStore(config["token_store_secret"], companion=local)
        return local

    # --- the run -------------------------------------------------------------------------------

    def sync_all(self) -> None:
        """Sync every selected stream, then fail the run if something needs a human."""
        try:
            _ = self.authenticator  # missing credentials fail before any stream starts
            self._remove_old_batch_files()
            super().sync_all()
            self._raise_for_unfinished_business()
        except Exception as exc:
            self.report.error = str(exc) or type(exc).__name__
            self.report.error_type = type(exc).__name__
            raise
        finally:
            self._finish_report()

    def _remove_old_batch_files(self) -> None:
        """Delete this tap's BATCH files older than a day: the target has long loaded them."""
        root = ((self.config.get("batch_config") or {}).get("storage") or {}).get("root") or ""
        if not root.startswith("file://"):
            return
        cutoff = time.time() - BATCH_FILE_MAX_AGE_SECONDS
        for path in Path(root.removeprefix("file://")).glob(f"{self.name}--*"):
            with contextlib.suppress(OSError):  # another run may be deleting it too
                if path.stat().st_mtime < cutoff:
                    path.unlink()

    def _finish_report(self) -> None:
        report = self.report
        report.finished_at = time.time()
        self.logger.info("tap-oura run: %s", report.summary())
        if path := self.config.get("run_report_path"):
            report.write(path)

    def _raise_for_unfinished_business(self) -> None:
        streams = self.report.streams
        attempted = [entry for entry in streams.values() if entry.requests or entry.skipped]
        if attempted and all(entry.skipped for entry in attempted):
            msg = (
                "Oura refused every stream (403/401): the ring owner's membership has most "
                "likely expired, or the authorisation grants no data scope. Nothing was "
                "collected. Check the membership, then re-authorise (`oura-collector auth`)."
            )
            raise MembershipExpired(msg)
        failing = [entry.skipped for entry in streams.values() if entry.fails_run]
        quarantined = {name: e.quarantined for name, e in streams.items() if e.quarantined}
        if failing or quarantined:
            parts = list(filter(None, failing))
            if quarantined:
                parts.append(
                    f"Malformed records were held back ({quarantined}); their streams keep their "
                    f"bookmarks so the records are re-read once tap-oura understands them."
                )
            raise OuraTapError(" ".join(parts))

    @classmethod
    def invoke(cls, **kwargs: t.Any) -> None:
        """Run the CLI; an operator-facing error ends it with its message and exit code 1."""
        try:
            super().invoke(**kwargs)
        except (OuraTapError, TokenStoreError) as exc:
            logging.getLogger(cls.name).error("%s", exc)
            sys.exit(1)


def _password_of(uri: str) -> str | None:
    """Return the password inside a libpq URI, to register it as a secret."""
    try:
        return conninfo_to_dict(uri).get("password")
    except psycopg.ProgrammingError:  # an unparsable URI fails later, with psycopg's message
        return None


if __name__ == "__main__":
    TapOura.cli()
