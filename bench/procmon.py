"""Peak memory and CPU of a process tree, read from /proc (Linux), polled in a thread.

Meltano starts the tap, the target and dbt as child processes; their peak resident set size is
`VmHWM` in /proc/<pid>/status (the kernel's high-water mark, so a 100 ms poll cannot miss a peak
as long as the process is seen once after it). A process that exits between two polls keeps the
last figures read. CPU seconds are utime + stime from /proc/<pid>/stat, at the last poll.

Also here: machine-wide CPU use from /proc/stat, so a run can say how busy the machine was.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass
class ProcessFigures:
    """What was seen of one process."""

    pid: int
    label: str
    argv: list[str]
    first_seen: float  # seconds since the monitor started
    last_seen: float
    hwm_kib: int = 0
    cpu_seconds: float = 0.0


@dataclass
class LabelFigures:
    """All processes of one kind (e.g. every `tap-oura` of a run) folded together."""

    processes: int = 0
    peak_rss_mb: float = 0.0  # the largest VmHWM of any of them
    cpu_seconds: float = 0.0  # summed
    first_seen: float | None = None
    last_seen: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready figures."""
        return {
            "processes": self.processes,
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "cpu_seconds": round(self.cpu_seconds, 2),
            "first_seen_s": None if self.first_seen is None else round(self.first_seen, 2),
            "last_seen_s": None if self.last_seen is None else round(self.last_seen, 2),
        }


def classify(argv: list[str], parent_label: str | None) -> str:
    """Name a process of a run: meltano, tap-oura(-discover), target-postgres, dbt, floor."""
    names = [Path(arg).name for arg in argv[:3]]
    if "tap-oura" in names:
        return "tap-oura-discover" if "--discover" in argv else "tap-oura"
    if "target-postgres" in names:
        return "target-postgres"
    if any(name.startswith("dbt") for name in names):
        return "dbt"
    if "meltano" in names:
        return "meltano"
    if "floor.py" in names:
        return "floor"
    # Helpers (multiprocessing trackers, shells) count as part of their parent.
    return parent_label or (names[0] if names else "?")


def read_status_kib(pid: int, field_name: str) -> int:
    """Return a `kB` field of /proc/<pid>/status (0 when the process is gone)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:  # noqa: PTH123 - hot path
            for line in status:
                if line.startswith(field_name.encode()):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
        return 0
    return 0


def read_cpu_seconds(pid: int) -> float | None:
    """Return utime + stime of a process in seconds (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:  # noqa: PTH123 - hot path
            raw = stat.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name may hold spaces and parentheses: split after its closing one.
    fields = raw[raw.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def read_argv(pid: int) -> list[str] | None:
    """Return a process's command line (None when it is gone or a zombie)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return None
    if not raw:
        return None
    return [part.decode(errors="replace") for part in raw.rstrip(b"\0").split(b"\0")]


def children_of(pid: int) -> list[int]:
    """Return the direct children of a process (all its threads' children)."""
    found: list[int] = []
    try:
        tasks = [task.name for task in Path(f"/proc/{pid}/task").iterdir()]
    except (FileNotFoundError, ProcessLookupError):
        return found
    for task in tasks:
        try:
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        found.extend(int(child) for child in text.split())
    return found


BACKEND_LABEL = "postgres"
BACKEND_REFRESH_POLLS = 5  # ask PostgreSQL for its backends' pids every 5th poll


class TreeMonitor:
    """Poll a process and its descendants every `interval` seconds until stopped.

    `backends`, when given, returns the pids of the PostgreSQL backends serving the run (a local
    server only); their CPU time is counted under the label `postgres`, without memory (a
    backend's RSS is mostly shared buffers).
    """

    def __init__(
        self,
        root_pid: int,
        interval: float = 0.1,
        backends: Callable[[], Iterable[int]] | None = None,
    ) -> None:
        """Watch `root_pid` (already started) and whatever it spawns."""
        self.root_pid = root_pid
        self.interval = interval
        self.backends = backends
        self._backend_pids: set[int] = set()
        self._polls = 0
        self.processes: dict[int, ProcessFigures] = {}
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-monitor", daemon=True)

    def __enter__(self) -> TreeMonitor:
        """Start polling."""
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop polling (one last poll first)."""
        self.stop()

    def stop(self) -> None:
        """Stop the polling thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll()
            self._stop.wait(self.interval)

    def poll(self) -> None:
        """Read the figures of every process currently in the tree."""
        now = time.monotonic() - self._started
        self._poll_backends(now)
        stack = [(self.root_pid, None)]
        while stack:
            pid, parent_label = stack.pop()
            figures = self.processes.get(pid)
            if figures is None:
                argv = read_argv(pid)
                if argv is None:
                    continue
                figures = ProcessFigures(pid, classify(argv, parent_label), argv, now, now)
                self.processes[pid] = figures
            cpu = read_cpu_seconds(pid)
            if cpu is None:
                continue
            figures.last_seen = now
            figures.cpu_seconds = max(figures.cpu_seconds, cpu)
            figures.hwm_kib = max(figures.hwm_kib, read_status_kib(pid, "VmHWM:"))
            stack.extend((child, figures.label) for child in children_of(pid))

    def _poll_backends(self, now: float) -> None:
        if self.backends is None:
            return
        if self._polls % BACKEND_REFRESH_POLLS == 0:
            try:
                self._backend_pids.update(self.backends())
            except Exception:  # a failed look-up only loses the attribution
                self.backends = None
        self._polls += 1
        for pid in self._backend_pids:
            cpu = read_cpu_seconds(pid)
            if cpu is None:
                continue
            figures = self.processes.get(pid)
            if figures is None:
                figures = ProcessFigures(pid, BACKEND_LABEL, [], now, now)
                self.processes[pid] = figures
            figures.last_seen = now
            figures.cpu_seconds = max(figures.cpu_seconds, cpu)

    def by_label(self) -> dict[str, LabelFigures]:
        """Fold the processes seen into one entry per label."""
        folded: dict[str, LabelFigures] = {}
        for figures in self.processes.values():
            entry = folded.setdefault(figures.label, LabelFigures())
            entry.processes += 1
            entry.peak_rss_mb = max(entry.peak_rss_mb, figures.hwm_kib / 1024)
            entry.cpu_seconds += figures.cpu_seconds
            entry.first_seen = (
                figures.first_seen
                if entry.first_seen is None
                else min(entry.first_seen, figures.first_seen)
            )
            entry.last_seen = (
                figures.last_seen
                if entry.last_seen is None
                else max(entry.last_seen, figures.last_seen)
            )
        return folded


@dataclass
class CpuSample:
    """Machine-wide jiffies at one moment (from the `cpu` line of /proc/stat)."""

    busy: int
    total: int
    at: float = field(default_factory=time.monotonic)

    @classmethod
    def now(cls) -> CpuSample:
        """Read /proc/stat."""
        with open("/proc/stat", "rb") as stat:  # noqa: PTH123
            values = [int(value) for value in stat.readline().split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
        return cls(busy=sum(values) - idle, total=sum(values))

    def busy_cores_since(self, earlier: CpuSample) -> float:
        """Return the average number of busy cores between two samples."""
        total = self.total - earlier.total
        if total <= 0:
            return 0.0
        return (self.busy - earlier.busy) / total * (os.cpu_count() or 1)


def loadavg() -> list[float]:
    """Return the 1, 5 and 15 minute load averages."""
    return [float(value) for value in Path("/proc/loadavg").read_text().split()[:3]]


def self_peak_rss_mb() -> float:
    """Return this process's own VmHWM in MB."""
    return read_status_kib(os.getpid(), "VmHWM:") / 1024
