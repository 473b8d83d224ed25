"""`oura-collector demo`: the whole pipeline on a fresh machine, with nothing to configure.

Starts the bundled Oura simulator and an embedded PostgreSQL, runs one full cycle (extract,
load, transform) exactly as the service would, then shows what landed and how to query it.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import signal
import threading
from typing import TYPE_CHECKING

from oura_collector.database import Database
from oura_collector.embedded_db import EmbeddedPostgres
from oura_collector.service import EMBEDDED_DATABASE, Collector

if TYPE_CHECKING:
    from oura_collector.config import CollectorConfig

logger = logging.getLogger("oura_collector")
QUERY_HINT = "select * from analytics.daily_summary order by day desc limit 7"
SAMPLE_QUERY = """
select day, readiness_score, sleep_score, activity_score, steps, is_provisional
from analytics.daily_summary order by day desc limit 7
"""


def run_demo(config: CollectorConfig, *, days: int, keep_running: bool) -> int:
    """Run one cycle against the simulator into a fresh embedded database; 0 on success."""
    from oura_simulator import Simulator, SimulatorConfig  # noqa: PLC0415

    demo_dir = config.data_dir / "demo"
    # Each demo starts clean: the simulator's accounts (and OAuth tokens) are new every time.
    shutil.rmtree(demo_dir, ignore_errors=True)
    with Simulator(SimulatorConfig(days=days + 5), host="127.0.0.1", port=0) as simulator:
        server = EmbeddedPostgres(demo_dir / "postgres").start()
        try:
            database = Database("127.0.0.1", server.port, "postgres", "", EMBEDDED_DATABASE)
            demo = dataclasses.replace(
                config, database=database, data_dir=demo_dir, days_to_backfill=days, run_once=True
            )
            collector = Collector(demo)
            collector.handle_signals()
            code = collector.run(once=True, env=_simulator_env(simulator))
            if code == 0:
                _show(database, server.uri_for(EMBEDDED_DATABASE), simulator.base_url)
                if keep_running:
                    print("The database stays up until Ctrl-C.", flush=True)  # noqa: T201
                    _wait_for_interrupt()
            return code
        finally:
            server.stop()


def _simulator_env(simulator: object) -> dict[str, str]:
    user = simulator.users[0]  # type: ignore[attr-defined]
    base = simulator.base_url  # type: ignore[attr-defined]
    return {
        "TAP_OURA_API_URL": base,
        "TAP_OURA_TOKEN_URL": f"{base}/oauth/token",
        "TAP_OURA_CLIENT_ID": simulator.client_id,  # type: ignore[attr-defined]
        "TAP_OURA_CLIENT_SECRET": simulator.client_secret,  # type: ignore[attr-defined]
        "TAP_OURA_REFRESH_TOKEN": user.refresh_token,
        "TAP_OURA_TIMEZONE": str(user.timezone),
    }


def _show(database: Database, uri: str, api: str) -> None:
    with database.connect() as connection:
        raw = connection.execute(
            "select relname, n_live_tup from pg_stat_user_tables where schemaname = 'raw_oura' "
            "order by relname"
        ).fetchall()
        counts = {
            table: connection.execute(f"select count(*) from raw_oura.{table}").fetchone()[0]  # noqa: S608
            for table, _ in raw
        }
        marts = [
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = "
                "'analytics' and table_type = 'BASE TABLE' order by 1"
            )
        ]
        sample = connection.execute(SAMPLE_QUERY)
        header = [column.name for column in sample.description or []]
        rows = sample.fetchall()
    lines = [
        "",
        f"Demo done: Oura data from the simulator at {api} is in an embedded PostgreSQL.",
        f"  raw tables (schema raw_oura): {sum(counts.values())} rows in {len(counts)} tables",
        "    " + ", ".join(f"{table}={count}" for table, count in counts.items()),
        f"  marts (schema analytics): {', '.join(marts)}",
        "",
        "The last days (analytics.daily_summary):",
        "  " + " | ".join(header),
        *("  " + " | ".join("" if v is None else str(v) for v in row) for row in rows),
        "",
        "Query it yourself while the database runs (`oura-collector demo --keep-running`):",
        f"  psql {uri} -c '{QUERY_HINT}'",
        "",
    ]
    print("\n".join(lines), flush=True)  # noqa: T201


def _wait_for_interrupt() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
