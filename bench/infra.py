"""The real pieces a benchmark run drives: the simulator process, PostgreSQL, `meltano run`.

Nothing here is mocked: the simulator is the `oura-simulator` CLI in its own process (so it does
not share a GIL with anything measured), PostgreSQL is a real server (OURA_BENCH_DATABASE_URL or a
private embedded one), and the pipeline is `meltano run ...` in the repository, configured only
through environment variables, the way the collector runs it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import requests
from procmon import (
    BACKEND_LABEL,
    CpuSample,
    TreeMonitor,
    loadavg,
    read_cpu_seconds,
    read_status_kib,
)
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from oura_collector.database import Database

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / ".venv" / "bin"
MELTANO = BIN / "meltano"
SIMULATOR = BIN / "oura-simulator"
PYTHON = BIN / "python"
STATE_ID = "dev:tap-oura-to-target-postgres"
OWN_PREFIXES = ("TAP_OURA_", "TARGET_POSTGRES_", "MELTANO_", "DBT_", "OURA_")
EL = ("tap-oura", "target-postgres")
ELT = (*EL, "dbt-postgres:build")
QUIET_BUSY_CORES = 0.5  # machine CPU use (cores) below which a measurement may start


class BenchError(RuntimeError):
    """A piece of the benchmark failed; the message says which and where its log is."""


# --- the simulator ---------------------------------------------------------------------------


class SimulatorProcess:
    """`oura-simulator` in its own process on a free port, and its /_sim admin API."""

    def __init__(self, days: int, log_path: Path) -> None:
        """Prepare a simulator with `days` days of history for one user."""
        self.days = days
        self.log_path = log_path
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.token = ""
        self.config: dict[str, Any] = {}
        self.http = requests.Session()

    def start(self) -> SimulatorProcess:
        """Start the process and read its one-line JSON announcement."""
        command = [str(SIMULATOR), "--host", "127.0.0.1", "--port", "0", "--days", str(self.days)]
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True
            )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=10)
            raise BenchError(f"oura-simulator did not start; see {self.log_path}")
        announcement = json.loads(line)
        self.base_url = announcement["base_url"]
        self.token = announcement["users"][0]["personal_access_token"]
        config = self.info()["config"]
        self.config = {k: v for k, v in config.items() if k not in ("client_id", "client_secret")}
        return self

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL)."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    @property
    def pid(self) -> int:
        """Return the simulator's process id."""
        assert self.process is not None
        return self.process.pid

    def cpu_seconds(self) -> float:
        """Return the CPU time the simulator process has used so far."""
        return read_cpu_seconds(self.pid) or 0.0

    def peak_rss_mb(self) -> float:
        """Return the simulator's peak resident set size so far."""
        return read_status_kib(self.pid, "VmHWM:") / 1024

    def _admin(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        response = self.http.request(method, f"{self.base_url}/_sim{path}", json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def info(self) -> dict[str, Any]:
        """Return /_sim/info."""
        return self._admin("GET", "/info")

    def stats(self) -> dict[str, Any]:
        """Return /_sim/stats: requests by status and rows served, per route."""
        return self._admin("GET", "/stats")

    def reset_stats(self) -> None:
        """Zero the counters."""
        self._admin("POST", "/stats/reset")

    def set_latency(self, milliseconds: int) -> None:
        """Add `milliseconds` to every data response (0 removes it)."""
        self._admin("POST", "/faults", {"latency_ms": milliseconds})

    def revise(self, days: int) -> list[str]:
        """Have user 1's last `days` days revised, as Oura does after a late sync."""
        return self._admin("POST", "/revise", {"user": 1, "days": days})["days"]


def route_stats(stats: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Flatten /_sim/stats into {url segment: {requests, ok, rows}}."""
    flat = {}
    for route, entry in stats.get("routes", {}).items():
        statuses = entry.get("requests", {})
        flat[route] = {
            "requests": sum(statuses.values()),
            "ok": int(statuses.get("200", 0)),
            "rows": int(entry.get("rows", 0)),
        }
    return flat


# --- PostgreSQL ------------------------------------------------------------------------------


class Postgres:
    """A PostgreSQL server to create one fresh database per measured scenario in."""

    def __init__(self, url: str | None, prefix: str) -> None:
        """Use the superuser URI `url`, else start a private embedded server."""
        self.prefix = prefix
        self.created: list[str] = []
        self._embedded: Any = None
        self._embedded_dir: str | None = None
        if url:
            self.source = "OURA_BENCH_DATABASE_URL"
            self.admin_uri = url
        else:
            with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
                warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
                from oura_collector.embedded_db import EmbeddedPostgres  # noqa: PLC0415

            self._embedded_dir = tempfile.mkdtemp(prefix="oura-bench-postgres-")
            self._embedded = EmbeddedPostgres(self._embedded_dir).start()
            self.source = "embedded"
            self.admin_uri = self._embedded.uri
        parts = conninfo_to_dict(self.admin_uri)
        self.host = str(parts.get("host") or "127.0.0.1")
        self.port = int(parts.get("port") or 5432)
        self.user = str(parts.get("user") or "postgres")
        self.password = str(parts.get("password") or "")
        self.version = self.scalar("show server_version")

    def describe(self) -> str:
        """Name the server without its password."""
        return f"{self.source}: postgresql://{self.user}@{self.host}:{self.port}"

    def scalar(self, query: str) -> Any:
        """Run a query on the admin database; return the first value."""
        with psycopg.connect(self.admin_uri, autocommit=True) as connection:
            row = connection.execute(query).fetchone()  # type: ignore[arg-type]
        return None if row is None else row[0]

    @property
    def local(self) -> bool:
        """Tell whether the server runs on this machine (so its backends' CPU can be read)."""
        return self.host in ("127.0.0.1", "localhost", "::1") or self.host.startswith("/")

    def backends(self, name: str) -> BackendLister | None:
        """Return a lister of the backends connected to database `name` (local servers only)."""
        return BackendLister(self.admin_uri, name) if self.local else None

    def database(self, name: str) -> Database:
        """Return the pipeline's settings for database `name`."""
        return Database(self.host, self.port, self.user, self.password, name)

    def uri(self, name: str) -> str:
        """Return a libpq URI of database `name`."""
        return make_conninfo(self.admin_uri, dbname=name)

    def fresh(self, suffix: str) -> Database:
        """Create an empty database (dropping a leftover of the same name) with the schemas."""
        name = f"{self.prefix}_{suffix}"
        self.drop(name)
        database = self.database(name)
        database.prepare()
        self.created.append(name)
        return database

    def drop(self, name: str) -> None:
        """Drop a database, ending its sessions."""
        with psycopg.connect(self.admin_uri, autocommit=True) as connection:
            connection.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )
        if name in self.created:
            self.created.remove(name)

    def close(self, *, keep: bool) -> None:
        """Drop the databases this run created (unless `keep`); stop an embedded server."""
        if not keep:
            for name in list(self.created):
                with contextlib.suppress(psycopg.Error):
                    self.drop(name)
        if self._embedded is not None:
            if keep:
                print(f"embedded PostgreSQL kept running in {self._embedded_dir}")
            else:
                self._embedded.destroy()


class BackendLister:
    """The pids of the PostgreSQL backends serving one database, asked from pg_stat_activity."""

    def __init__(self, admin_uri: str, database: str) -> None:
        """Connect lazily (in the monitor's thread) to ask about `database`."""
        self.admin_uri = admin_uri
        self.database = database
        self.connection: psycopg.Connection | None = None

    def __call__(self) -> list[int]:
        """Return the current backends' pids."""
        if self.connection is None:
            self.connection = psycopg.connect(self.admin_uri, autocommit=True)
        rows = self.connection.execute(
            "select pid from pg_stat_activity where datname = %s", (self.database,)
        ).fetchall()
        return [int(row[0]) for row in rows]

    def close(self) -> None:
        """Close the connection."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None


# --- the pipeline ----------------------------------------------------------------------------


@dataclass
class RunResult:
    """One measured process tree: a `meltano run` or the floor loader."""

    label: str
    command: list[str]
    wall_seconds: float
    returncode: int
    processes: dict[str, dict[str, Any]]
    machine: dict[str, Any]
    log: str
    extra: dict[str, Any] = field(default_factory=dict)

    def peak(self, label: str) -> float | None:
        """Return the peak RSS in MB of the processes labelled `label`, if any ran."""
        entry = self.processes.get(label)
        return None if entry is None else entry["peak_rss_mb"]

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready figures."""
        return {
            "label": self.label,
            "command": self.command,
            "wall_seconds": round(self.wall_seconds, 3),
            "returncode": self.returncode,
            "processes": self.processes,
            "machine": self.machine,
            "log": self.log,
            **self.extra,
        }


def wait_until_quiet(max_seconds: float) -> float:
    """Wait (up to `max_seconds`) until the machine is nearly idle; return the busy cores seen."""
    deadline = time.monotonic() + max_seconds
    while True:
        before = CpuSample.now()
        time.sleep(1.0)
        busy = CpuSample.now().busy_cores_since(before)
        if busy < QUIET_BUSY_CORES or time.monotonic() >= deadline:
            return busy


def measure(
    label: str,
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    log_path: Path,
    simulator: SimulatorProcess | None,
    timeout: float,
    settle: float,
    backends: BackendLister | None = None,
) -> RunResult:
    """Run `command` in the repository; time it and watch its process tree."""
    busy_before = wait_until_quiet(settle) if settle > 0 else None
    load_before = loadavg()
    sim_cpu_before = simulator.cpu_seconds() if simulator else 0.0
    cpu_before = CpuSample.now()
    started = time.perf_counter()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            list(command),
            cwd=REPO,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        with TreeMonitor(process.pid, backends=backends) as monitor:
            try:
                returncode = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _stop_group(process)
                returncode = -1
            except KeyboardInterrupt:
                _stop_group(process)
                raise
    wall = time.perf_counter() - started
    cpu_after = CpuSample.now()
    if backends is not None:
        backends.close()
    sim_cpu = (simulator.cpu_seconds() if simulator else 0.0) - sim_cpu_before
    processes = {name: entry.to_dict() for name, entry in monitor.by_label().items()}
    postgres = processes.pop(BACKEND_LABEL, None)
    postgres_cpu = postgres["cpu_seconds"] if postgres else 0.0
    tree_cpu = sum(entry["cpu_seconds"] for entry in processes.values())
    busy = cpu_after.busy_cores_since(cpu_before)
    ours = tree_cpu + sim_cpu + postgres_cpu
    machine = {
        "cores": os.cpu_count(),
        "loadavg_before": load_before,
        "loadavg_after": loadavg(),
        "busy_cores_before": None if busy_before is None else round(busy_before, 2),
        "busy_cores": round(busy, 2),
        "bench_cores": round((tree_cpu + sim_cpu) / wall, 2) if wall else None,
        "simulator_cpu_seconds": round(sim_cpu, 2),
        "simulator_peak_rss_mb": round(simulator.peak_rss_mb(), 1) if simulator else None,
        # The backends serving the run's database (None: not a local server).
        "postgres_cpu_seconds": round(postgres_cpu, 2) if backends is not None else None,
        "postgres_cores": round(postgres_cpu / wall, 2) if backends is not None and wall else None,
        # Everything else: other work on the machine (and PostgreSQL's background processes).
        "other_cores": round(max(0.0, busy - ours / wall), 2) if wall else None,
    }
    if returncode != 0:
        tail = log_path.read_text(errors="replace").splitlines()[-25:]
        reason = "timed out" if returncode == -1 else f"exited {returncode}"
        raise BenchError(f"{label} {reason}; log: {log_path}\n" + "\n".join(tail))
    return RunResult(label, list(command), wall, returncode, processes, machine, str(log_path))


def _stop_group(process: subprocess.Popen[Any]) -> None:
    """End the process group this script started for `process` (TERM, then KILL)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


def private_meltano_dir(path: Path) -> Path:
    """Return a Meltano system directory of our own that uses the project's installed plugins.

    Meltano writes each run's catalog to `.meltano/run/<plugin>/tap.properties.json`, one file
    per project: two `meltano run`s at the same time in one checkout (tests, the collector, a
    developer) can read each other's half-written catalog. The benchmark gets its own `run/`
    (MELTANO_SYS_DIR_ROOT) and links the plugin virtualenvs instead of installing them again.
    """
    path.mkdir(parents=True, exist_ok=True)
    for kind in ("extractors", "loaders", "utilities"):
        link = path / kind
        if not link.exists():
            link.symlink_to(REPO / ".meltano" / kind, target_is_directory=True)
    return path


def pipeline_env(
    database: Database,
    simulator: SimulatorProcess,
    *,
    days: int,
    report_path: Path,
    tap_settings: Mapping[str, str],
    target_settings: Mapping[str, str],
    meltano_dir: Path,
) -> dict[str, str]:
    """Return the environment of `meltano run`: database, simulator, backfill and settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(OWN_PREFIXES)}
    env.update(database.env())
    env.update(
        {
            "MELTANO_SYS_DIR_ROOT": str(meltano_dir),
            # dbt's partial-parse cache and manifest, likewise kept apart from other runs.
            "DBT_POSTGRES_TARGET_PATH": str(meltano_dir / "dbt-target"),
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "PGTZ": "UTC",
            "TAP_OURA_API_URL": simulator.base_url,
            "TAP_OURA_PERSONAL_ACCESS_TOKEN": simulator.token,
            "TAP_OURA_DAYS_TO_BACKFILL": str(days),
            "TAP_OURA_RUN_REPORT_PATH": str(report_path),
        }
    )
    env.update({f"TAP_OURA_{key.upper()}": value for key, value in tap_settings.items()})
    env.update({f"TARGET_POSTGRES_{key.upper()}": value for key, value in target_settings.items()})
    return env


def meltano_command(blocks: Sequence[str]) -> list[str]:
    """Return `meltano run <blocks>`."""
    return [str(MELTANO), "run", *blocks]


def floor_env(simulator: SimulatorProcess, dsn: str) -> dict[str, str]:
    """Return the floor loader's environment: ours plus its token and database."""
    return {
        **os.environ,
        "OURA_BENCH_FLOOR_TOKEN": simulator.token,
        "OURA_BENCH_FLOOR_DSN": dsn,
    }


def floor_command(
    simulator: SimulatorProcess, days: int, report_path: Path, batch_rows: int
) -> list[str]:
    """Return the floor loader's command line (token and DSN come from `floor_env`)."""
    return [
        str(PYTHON),
        str(Path(__file__).with_name("floor.py")),
        "--api-url",
        simulator.base_url,
        "--days",
        str(days),
        "--batch-rows",
        str(batch_rows),
        "--report",
        str(report_path),
    ]


def read_json(path: Path) -> dict[str, Any]:
    """Return a JSON file's content ({} when it is missing)."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}


# --- facts about the machine and the code -----------------------------------------------------


def _dist_version(venv: Path, distribution: str) -> str | None:
    """Return the version of a distribution installed in a plugin venv (from its dist-info)."""
    for info in venv.glob(f"lib/python*/site-packages/{distribution}-*.dist-info"):
        return info.name.removeprefix(f"{distribution}-").removesuffix(".dist-info")
    return None


def _git(*args: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    result = subprocess.run(
        [git, *args], cwd=REPO, capture_output=True, text=True, check=False, timeout=30
    )
    return result.stdout.strip() if result.returncode == 0 else None


def _cpu_model() -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return None


def _mem_total_gib() -> float | None:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


def pipeline_config() -> dict[str, Any]:
    """Return meltano.yml's hash and the `config` of each plugin (what a run was tuned with)."""
    path = REPO / "meltano.yml"
    text = path.read_bytes()
    facts: dict[str, Any] = {"meltano_yml_sha256": hashlib.sha256(text).hexdigest()}
    try:
        import yaml  # noqa: PLC0415 - Meltano's dependency; the hash is enough without it
    except ImportError:
        return facts
    project = yaml.safe_load(text) or {}
    for kind, plugins in (project.get("plugins") or {}).items():
        for plugin in plugins or []:
            facts[f"{kind}/{plugin.get('name')}"] = plugin.get("config") or {}
    return facts


def code_state() -> dict[str, Any]:
    """Return what identifies the code measured: commit, uncommitted files and their content."""
    status = _git("status", "--porcelain", "--untracked-files=no") or ""
    diff = _git("diff", "HEAD") or ""
    return {
        "commit": _git("rev-parse", "HEAD"),
        "changed_files": status.splitlines(),
        "diff_sha256": hashlib.sha256(diff.encode()).hexdigest() if diff else None,
    }


def machine_facts(postgres: Postgres) -> dict[str, Any]:
    """Return what a reader needs to compare this run with another one."""
    meltano_dir = REPO / ".meltano"
    status = _git("status", "--porcelain")
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _mem_total_gib(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "loadavg_start": loadavg(),
        "postgres_version": postgres.version,
        "postgres": postgres.describe(),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(status) if status is not None else None,
        # Uncommitted changes change what is measured: name them.
        "git_changes": status.splitlines() if status else [],
        "code_state_start": code_state(),
        "versions": {
            "meltano": _dist_version(REPO / ".venv", "meltano"),
            "singer_sdk_tap": _dist_version(meltano_dir / "extractors/tap-oura/venv", "singer_sdk"),
            "target_postgres": _dist_version(
                meltano_dir / "loaders/target-postgres/venv", "meltanolabs_target_postgres"
            ),
            "singer_sdk_target": _dist_version(
                meltano_dir / "loaders/target-postgres/venv", "singer_sdk"
            ),
            "dbt_core": _dist_version(meltano_dir / "utilities/dbt-postgres/venv", "dbt_core"),
            "psycopg": psycopg.__version__,
        },
    }


@contextlib.contextmanager
def simulator_running(days: int, log_path: Path) -> Iterator[SimulatorProcess]:
    """Run a simulator for the `with` block."""
    simulator = SimulatorProcess(days, log_path).start()
    try:
        yield simulator
    finally:
        simulator.stop()
