"""The collector loop: one Meltano cycle every COLLECTION_INTERVAL seconds, never two at once.

SIGTERM (Kubernetes stopping the pod) ends a running cycle through Meltano's own signal
handling and exits 0; what was loaded stays loaded, the bookmark stays where the target last
confirmed it, and the next start re-reads from there (upserts make re-reading harmless).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from typing import TYPE_CHECKING

from oura_collector.database import Database
from oura_collector.embedded_db import EmbeddedPostgres
from oura_collector.guard import SingleInstance
from oura_collector.health import HealthServer, Metrics, create_app
from oura_collector.pipeline import CYCLE_ARGS, EL_ONLY_ARGS, prune_run_logs, run_meltano
from oura_collector.status import CollectorStatus, CycleResult

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from oura_collector.config import CollectorConfig

logger = logging.getLogger("oura_collector")
EMBEDDED_DATABASE = "oura"


@contextlib.contextmanager
def database_for(config: CollectorConfig) -> Iterator[Database]:
    """Yield the configured database, or start an embedded one for the block's duration."""
    if config.database is not None:
        config.database.prepare()
        yield config.database
        return
    server = EmbeddedPostgres(config.data_dir / "postgres").start()
    database = Database("127.0.0.1", server.port, "postgres", "", EMBEDDED_DATABASE)
    try:
        database.prepare()
        logger.info(
            "No database configured (TARGET_POSTGRES_HOST is not set): using an embedded "
            "PostgreSQL in %s. While the collector runs, connect with: psql %s",
            (config.data_dir / "postgres").resolve(),
            server.uri_for(EMBEDDED_DATABASE),
        )
        yield database
    finally:
        server.stop()


def summary_line(result: CycleResult) -> str:
    """Return the one-line cycle summary operators grep for."""
    windows = [entry["window"] for entry in result.streams.values() if entry.get("window")]
    window = (
        f"{min(w[0] for w in windows)[:10]}..{max(w[1] for w in windows)[:10]}" if windows else "-"
    )
    counts = " ".join(f"{name}={e['records']}" for name, e in sorted(result.streams.items()))
    outcome = "ok" if result.ok else "stopped" if result.stopped else "FAILED"
    line = (
        f"Collection summary: {outcome} records={result.records} window={window} "
        f"duration={result.seconds:.1f}s streams=[{counts}]"
    )
    if not result.ok and result.error:
        line += f" error={result.error}"
    return line


class Collector:
    """Runs cycles, keeps the health status, and stops cleanly on SIGTERM or SIGINT."""

    def __init__(self, config: CollectorConfig) -> None:
        """Prepare the status, metrics and stop signal; nothing starts yet."""
        self.config = config
        self.status = CollectorStatus(config.collection_interval)
        self.metrics = Metrics()
        self.stop = threading.Event()

    def handle_signals(self) -> None:
        """Turn SIGTERM and SIGINT into a clean stop."""

        def on_signal(signum: int, _frame: object) -> None:
            logger.info("Received %s: finishing up.", signal.Signals(signum).name)
            self.stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

    def serve_health(self) -> HealthServer:
        """Start /health and /metrics."""
        app = create_app(self.status, self.metrics)
        server = HealthServer(app, self.config.health_host, self.config.health_port).start()
        logger.info("Health endpoint on http://%s:%d/health", self.config.health_host, server.port)
        return server

    def run(self, *, once: bool, args: Sequence[str] | None = None, env: dict | None = None) -> int:
        """Loop (or run once); return the process exit code."""
        logger.info("oura-collector starting: %s", self.config.describe())
        if args is None:
            args = CYCLE_ARGS if self.config.run_transform else EL_ONLY_ARGS
        with database_for(self.config) as database, SingleInstance(database):
            job_env = {**self.config.job_env(database), **(env or {})}
            while not self.stop.is_set():
                result = self.cycle(args, job_env)
                if result.stopped or self.stop.is_set():
                    return 0
                if once:
                    return 0 if result.ok else 1
                self.stop.wait(self.config.collection_interval)
        return 0

    def cycle(self, args: Sequence[str], env: dict[str, str]) -> CycleResult:
        """Run one Meltano job and record its outcome."""
        self.status.cycle_started()
        report = self.config.data_dir / "run-report.json"
        try:
            result = run_meltano(args, env, report_path=report, stop=self.stop)
        except OSError as exc:  # meltano missing or not executable
            now = time.time()
            result = CycleResult(ok=False, started_at=now, finished_at=now, error=str(exc))
        prune_run_logs()
        next_run = None if self.stop.is_set() else time.time() + self.config.collection_interval
        self.status.cycle_finished(result, next_run)
        self.metrics.observe(result)
        log = logger.info if result.ok or result.stopped else logger.error
        log("%s", summary_line(result))
        return result
