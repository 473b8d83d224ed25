"""What a run did, per stream: records, requests, retries, windows, skips.

Logged as one `tap-oura run:` line at the end and, when `run_report_path` is set, written as JSON
for the collector's summary line, /health and /metrics (Meltano owns the tap's stdout).
"""

from __future__ import annotations

import json
import os
import time
import typing as t
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class StreamReport:
    """One stream's figures for this run."""

    records: int = 0
    requests: int = 0
    retries: int = 0
    quarantined: int = 0
    seconds: float = 0.0
    window: tuple[str, str] | None = None
    statuses: Counter[int] = field(default_factory=Counter)
    skipped: str | None = None
    fails_run: bool = False

    def count_status(self, status: int) -> None:
        """Count an error status answer."""
        self.statuses[status] += 1

    def skip(self, reason: str, *, fails_run: bool) -> None:
        """Record why the stream was not collected."""
        self.skipped = reason
        self.fails_run = fails_run


@dataclass
class RunReport:
    """All streams of one run."""

    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    streams: dict[str, StreamReport] = field(default_factory=dict)
    error: str | None = None  # why the run failed, as the operator should read it
    error_type: str | None = None  # the exception's class, e.g. RefreshTokenRejected

    def stream(self, name: str) -> StreamReport:
        """Return the entry for a stream, creating it on first use."""
        return self.streams.setdefault(name, StreamReport())

    def summary(self) -> str:
        """Return a one-line summary: records per stream, then requests and skips."""
        parts = [f"{name}={entry.records}" for name, entry in self.streams.items()]
        requests = sum(entry.requests for entry in self.streams.values())
        retries = sum(entry.retries for entry in self.streams.values())
        skipped = [name for name, entry in self.streams.items() if entry.skipped]
        line = f"{' '.join(parts)} requests={requests} retries={retries}"
        return line + (f" skipped={','.join(skipped)}" if skipped else "")

    def to_dict(self) -> dict[str, t.Any]:
        """Return a JSON-ready dict."""
        data = asdict(self)
        for entry in data["streams"].values():
            entry["statuses"] = {str(code): n for code, n in entry["statuses"].items()}
        return data

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the report atomically (a reader never sees half a file)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True))
        temporary.replace(target)
