"""`oura-collector`: run, once, backfill, reset-state, check, auth, demo, init-db."""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

from oura_collector.config import CollectorConfig, ConfigError, load_config, secret_values
from oura_collector.database import DatabaseError
from oura_collector.embedded_db import EmbeddedPostgresError
from oura_collector.guard import AlreadyRunning
from oura_collector.logs import configure_logging, hide
from oura_collector.oauth import AuthError
from oura_collector.secrets import SecretsError
from tap_oura.errors import OuraTapError
from tap_oura.token_store import TokenStoreError

logger = logging.getLogger("oura_collector")
OPERATOR_ERRORS = (
    ConfigError,
    DatabaseError,
    EmbeddedPostgresError,
    AlreadyRunning,
    SecretsError,
    AuthError,
    OuraTapError,
    TokenStoreError,
)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, load the configuration and run the command."""
    args = _parser().parse_args(argv)
    configure_logging(os.environ.get("LOG_LEVEL", "INFO").upper(), "text")
    try:
        config = load_config()
        configure_logging(config.log_level, config.log_format)
        hide(*secret_values(config, os.environ))
        return int(args.command(config, args) or 0)
    except OPERATOR_ERRORS as exc:
        logger.error("%s", exc)
        return 2 if isinstance(exc, ConfigError) else 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oura-collector",
        description="Keep Oura Ring data in PostgreSQL: Meltano (tap-oura -> target-postgres -> "
        "dbt) on a loop, with /health, AWS Secrets Manager and an embedded-PostgreSQL default.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, handler: object, text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        sub.set_defaults(command=handler)
        return sub

    command("run", _run, "Collect every COLLECTION_INTERVAL seconds (once if RUN_ONCE=true).")
    command("once", _once, "Run one cycle; exit 0 on success, 1 with the reason on failure.")
    backfill = command(
        "backfill", _backfill, "Re-collect a bounded range without moving the main bookmark."
    )
    backfill.add_argument("--days", type=int, help="the last N days, today included")
    backfill.add_argument("--start", type=date.fromisoformat, help="first day (YYYY-MM-DD)")
    backfill.add_argument("--end", type=date.fromisoformat, help="last day (default: today)")
    backfill.add_argument("--no-transform", action="store_true", help="skip dbt")
    reset = command("reset-state", _reset_state, "Clear the bookmarks: the next run backfills.")
    reset.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    command("check", _check, "Check the database, the token store and Oura authorisation.")
    auth = command("auth", _auth, "Authorise an Oura app (OAuth2) and store its tokens.")
    auth.add_argument("--redirect-uri", default="http://localhost:8765/callback")
    auth.add_argument("--code", help="an authorisation code pasted from the browser")
    auth.add_argument("--paste", action="store_true", help="paste the code (headless server)")
    auth.add_argument("--scopes", default=" ".join(_default_scopes()))
    auth.add_argument("--authorize-url", default="https://cloud.ouraring.com/oauth/authorize")
    auth.add_argument("--timeout", type=float, default=600, help="seconds to wait for consent")
    demo = command("demo", _demo, "Run one full cycle against the bundled Oura simulator.")
    demo.add_argument("--days", type=int, default=30)
    demo.add_argument("--keep-running", action="store_true", help="keep the database up")
    command("init-db", _init_db, "Create the database's schemas (meltano, raw_oura, ...).")
    return parser


def _default_scopes() -> list[str]:
    from oura_collector.oauth import DEFAULT_SCOPES  # noqa: PLC0415

    return list(DEFAULT_SCOPES)


# --- commands ------------------------------------------------------------------------------


def _run(config: CollectorConfig, _args: argparse.Namespace) -> int:
    from oura_collector.service import Collector  # noqa: PLC0415

    collector = Collector(config)
    collector.handle_signals()
    server = collector.serve_health()
    try:
        return collector.run(once=config.run_once)
    finally:
        server.stop()


def _once(config: CollectorConfig, _args: argparse.Namespace) -> int:
    from oura_collector.service import Collector  # noqa: PLC0415

    collector = Collector(config)
    collector.handle_signals()
    return collector.run(once=True)


def _backfill(config: CollectorConfig, args: argparse.Namespace) -> int:
    from oura_collector.pipeline import backfill_args  # noqa: PLC0415
    from oura_collector.service import Collector  # noqa: PLC0415

    today = datetime.now(UTC).date()
    if args.days is not None and args.start is not None:
        raise ConfigError("Give either --days or --start/--end, not both.")
    if args.days is not None:
        if args.days < 1:
            raise ConfigError("--days must be at least 1.")
        start, end = today - timedelta(days=args.days - 1), today
    elif args.start is not None:
        start, end = args.start, args.end or today
    else:
        raise ConfigError("backfill needs --days N or --start YYYY-MM-DD [--end YYYY-MM-DD].")
    if start > end:
        raise ConfigError(f"--start {start} is after --end {end}.")
    env = {
        "TAP_OURA_START_DATE": start.isoformat(),
        "TAP_OURA_END_DATE": end.isoformat(),
        # The range decides, not the cap: a backfill may reach further back than the loop does.
        "TAP_OURA_DAYS_TO_BACKFILL": str(max(config.days_to_backfill, (today - start).days + 1)),
    }
    logger.info("Backfilling %s .. %s (the main bookmark is left as it is).", start, end)
    collector = Collector(config)
    collector.handle_signals()
    return collector.run(once=True, args=backfill_args(not args.no_transform), env=env)


def _reset_state(config: CollectorConfig, args: argparse.Namespace) -> int:
    from oura_collector.pipeline import PROJECT_DIR, meltano_executable, state_id  # noqa: PLC0415
    from oura_collector.service import database_for  # noqa: PLC0415

    with database_for(config) as database:
        env = config.job_env(database)
        target = state_id(env)
        if not args.yes:
            question = (
                f"Clear the bookmarks of {target} in {database.describe()}? The next run "
                f"re-collects the last {config.days_to_backfill} days. Type 'yes' to confirm: "
            )
            if input(question).strip().lower() != "yes":
                print("Nothing changed.")  # noqa: T201
                return 1
        done = subprocess.run(
            [meltano_executable(), "state", "clear", "--force", target],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        logger.error("Could not clear the state %s: %s", target, done.stderr.strip()[-1000:])
        return 1
    logger.info(
        "Cleared the state %s; the next run collects the last %d days.",
        target,
        config.days_to_backfill,
    )
    return 0


def _check(config: CollectorConfig, _args: argparse.Namespace) -> int:
    from oura_collector.check import run_checks  # noqa: PLC0415

    return run_checks(config)


def _auth(config: CollectorConfig, args: argparse.Namespace) -> int:
    from oura_collector.oauth import authorise  # noqa: PLC0415

    return authorise(config, args)


def _demo(config: CollectorConfig, args: argparse.Namespace) -> int:
    from oura_collector.demo import run_demo  # noqa: PLC0415

    return run_demo(config, days=args.days, keep_running=args.keep_running)


def _init_db(config: CollectorConfig, _args: argparse.Namespace) -> int:
    if config.database is None:
        raise ConfigError("init-db needs TARGET_POSTGRES_HOST (and the other TARGET_POSTGRES_*).")
    config.database.prepare()
    print(f"DB OK: {config.database.describe()} has the schemas the pipeline needs.")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
