"""One collection cycle: the Meltano job as a subprocess, and what it did.

The collector never imports the tap: it runs exactly what an operator would run
(`meltano run oura-elt`), reads the tap's JSON run report for per-stream figures, and turns a
failure into one readable reason.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from oura_collector.status import CycleResult

if TYPE_CHECKING:
    from collections.abc import Sequence

logger = logging.getLogger(__name__)
meltano_log = logging.getLogger("oura_collector.meltano")

PROJECT_DIR = Path(os.environ.get("OURA_PROJECT_DIR", Path(__file__).resolve().parent.parent))
STOP_GRACE_SECONDS = 30.0
LOG_RETENTION_DAYS = 7.0
PR_SET_PDEATHSIG = 1
_PRCTL = None
with contextlib.suppress(OSError, AttributeError):  # Linux only; elsewhere a kill may orphan
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
TAIL_LINES = 60
ANSI = re.compile(r"\x1b\[[0-9;]*m")
ERROR_LINE = re.compile(r"\b(error|failed|exception)\b", re.IGNORECASE)

# The scheduled cycle: extract, load and transform (the `oura-elt` job of meltano.yml). `--force`
# skips Meltano's stale-job check, which only the collector lock (guard.py) makes safe.
CYCLE_ARGS = ("run", "--force", "oura-elt")
EL_ONLY_ARGS = ("run", "--force", "tap-oura", "target-postgres")


def meltano_executable() -> str:
    """Return the `meltano` next to this Python, else the one on PATH."""
    beside = Path(sys.executable).with_name("meltano")
    if beside.exists():
        return str(beside)
    found = shutil.which("meltano")
    if found is None:
        raise FileNotFoundError("`meltano` is not installed; run `make install`.")
    return found


def state_id(env: dict[str, str]) -> str:
    """Return the Meltano state id of the main pipeline in the job's environment."""
    return f"{env.get('MELTANO_ENVIRONMENT', 'dev')}:tap-oura-to-target-postgres"


def backfill_args(transform: bool = True) -> tuple[str, ...]:
    """Return the run of a bounded backfill: no stored state read, none written."""
    blocks = ("tap-oura", "target-postgres", *(("dbt-postgres:build",) if transform else ()))
    return ("run", "--force", "--full-refresh", "--no-state-update", *blocks)


def run_meltano(
    args: Sequence[str],
    env: dict[str, str],
    *,
    report_path: Path,
    stop: threading.Event | None = None,
) -> CycleResult:
    """Run `meltano <args>`; on `stop`, end it with SIGTERM (SIGKILL after a grace period)."""
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.unlink(missing_ok=True)
    env = {**env, "TAP_OURA_RUN_REPORT_PATH": str(report_path)}
    started = time.time()
    process = subprocess.Popen(
        [meltano_executable(), *args],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,  # its own process group: a stop reaches tap, target and dbt
        preexec_fn=_stop_with_parent,  # noqa: PLW1509 (only a pre-resolved libc call runs)
    )
    stopped = threading.Event()
    if stop is not None:
        threading.Thread(target=_stop_on, args=(stop, process, stopped), daemon=True).start()
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    assert process.stdout is not None
    for raw in process.stdout:
        line = ANSI.sub("", raw.rstrip())
        tail.append(line)
        meltano_log.debug("%s", line)
    code = process.wait()
    finished = time.time()
    report = _read_report(report_path)
    result = CycleResult(
        ok=code == 0,
        started_at=started,
        finished_at=finished,
        streams={
            name: {"records": entry.get("records", 0), "window": entry.get("window")}
            for name, entry in report.get("streams", {}).items()
        },
        exit_code=code,
        stopped=stopped.is_set(),
    )
    if code != 0:
        result.error, result.error_type = _reason(code, report, tail, stopped.is_set())
        logger.debug("Last lines of the Meltano run:\n%s", "\n".join(tail))
    return result


def meltano_log_dir() -> Path:
    """Return where Meltano keeps one log directory per run (it never deletes them)."""
    return platformdirs.user_log_path("meltano") / "elt"  # as meltano.core.project_dirs_service


def prune_run_logs(keep_days: float = LOG_RETENTION_DAYS, root: Path | None = None) -> int:
    """Delete Meltano's per-run log directories older than `keep_days`; return how many.

    Each run leaves 20-110 kB; an hourly collector would fill a small volume in months.
    """
    root = root or meltano_log_dir()
    cutoff = time.time() - keep_days * 86400
    removed = 0
    for run in root.glob("*/*"):
        with contextlib.suppress(OSError):
            if run.is_dir() and run.stat().st_mtime < cutoff:
                shutil.rmtree(run)
                removed += 1
    return removed


def _stop_with_parent() -> None:
    """In the child: get SIGTERM if the collector dies, even by SIGKILL (Linux prctl).

    Without it a killed collector would leave its Meltano job running, and the next collector
    would start a second one beside it.
    """
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM)


def _stop_on(stop: threading.Event, process: subprocess.Popen, stopped: threading.Event) -> None:
    while process.poll() is None:
        if stop.wait(0.5):
            break
    if process.poll() is not None:
        return
    stopped.set()
    logger.info("Stopping the running Meltano job (SIGTERM) ...")
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        logger.warning("Meltano did not stop within %.0f s; killing it.", STOP_GRACE_SECONDS)
        _signal_group(process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _read_report(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def _reason(code: int, report: dict, tail: deque[str], stopped: bool) -> tuple[str, str | None]:
    """Say why the run failed: the tap's own message first, else Meltano's last error lines."""
    if stopped:
        return "stopped by a signal before the cycle finished", "Stopped"
    if report.get("error"):
        return str(report["error"]), report.get("error_type")
    errors = [line for line in tail if ERROR_LINE.search(line)]
    detail = " | ".join(_short(line) for line in errors[-3:]) or _short(tail[-1] if tail else "")
    return f"meltano exited with code {code}: {detail}", None


def _short(line: str) -> str:
    """Drop Meltano's timestamp and level prefix from a log line."""
    return re.sub(r"^\S+Z \[\s*\w+\s*\]\s*", "", line).strip()[:400]
