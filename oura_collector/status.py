"""What the collector knows about itself, shared by the loop (writer) and /health (reader)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

# Failures that no retry will fix: a human must re-authorise or renew the membership.
AUTH_ERRORS = (
    "CredentialsMissing",
    "RefreshTokenRejected",
    "AccessTokenRejected",
    "MembershipExpired",
)


STUCK_CYCLE_SECONDS = 3 * 3600  # a five-year backfill takes minutes; hours means wedged


@dataclass
class CycleResult:
    """The outcome of one Meltano run."""

    ok: bool
    started_at: float
    finished_at: float
    streams: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> records, window
    error: str | None = None
    error_type: str | None = None
    exit_code: int = 0
    stopped: bool = False  # ended by SIGTERM, not by a failure

    @property
    def seconds(self) -> float:
        """Return the cycle's wall time."""
        return self.finished_at - self.started_at

    @property
    def records(self) -> int:
        """Return the records extracted, all streams together."""
        return sum(int(entry.get("records", 0)) for entry in self.streams.values())


class CollectorStatus:
    """Thread-safe health state: starting, then the outcome of each cycle."""

    def __init__(self, interval: int, *, clock: Any = time.time) -> None:
        """Track a collector that runs every `interval` seconds."""
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self.started_at = clock()
        self.running_since: float | None = None
        self.last: CycleResult | None = None
        self.last_success: float | None = None
        self.last_failure: float | None = None
        self.last_error: str | None = None
        self.next_run: float | None = None
        self.cycles = 0

    def cycle_started(self) -> None:
        """Note that a cycle is running."""
        with self._lock:
            self.running_since = self._clock()
            self.next_run = None

    def cycle_finished(self, result: CycleResult, next_run: float | None) -> None:
        """Record a cycle's outcome and when the next one starts."""
        with self._lock:
            self.running_since = None
            self.cycles += 1
            self.last = result
            self.next_run = next_run
            if result.ok:
                self.last_success = result.finished_at
            else:
                self.last_failure = result.finished_at
                self.last_error = result.error

    def alive(self) -> tuple[bool, str]:
        """Return (alive, why): only a cycle running far longer than any cycle should is fatal.

        A failing Oura or database is not cured by restarting the pod (and a restart spends a
        new cycle on it); a wedged job is. Kubernetes' liveness probe asks this, readiness asks
        `snapshot`.
        """
        with self._lock:
            if self.running_since is None:
                return True, "idle" if self.last else "starting"
            running = self._clock() - self.running_since
            limit = max(2 * self.interval, STUCK_CYCLE_SECONDS)
            if running > limit:
                return False, f"a cycle has been running for {running:.0f} s (limit {limit} s)"
            return True, "running"

    def snapshot(self) -> tuple[bool, dict[str, Any]]:
        """Return (healthy, the JSON body of /health)."""
        with self._lock:
            now = self._clock()
            last = self.last
            auth_ok = not (last and not last.ok and last.error_type in AUTH_ERRORS)
            since = self.last_success or self.started_at
            stale = now - since > 2 * self.interval
            if last is None:
                status = "starting"
            elif not last.ok:
                status = "failing"
            else:
                status = "ok"
            reasons = []
            if last is not None and not last.ok:
                reasons.append("the last cycle failed")
            if stale:
                reasons.append(f"no successful cycle for over {2 * self.interval} s")
            if not auth_ok:
                reasons.append("Oura authorisation is broken: re-authorise")
            healthy = not reasons
            if not healthy and status == "starting":
                status = "failing"
            body = {
                "status": status,
                "healthy": healthy,
                "reasons": reasons,
                "auth_ok": auth_ok,
                "cycles": self.cycles,
                "running": self.running_since is not None,
                "started_at": _iso(self.started_at),
                "last_success": _iso(self.last_success),
                "last_failure": _iso(self.last_failure),
                "last_error": self.last_error if last is not None and not last.ok else None,
                "next_run": _iso(self.next_run),
                "last_cycle": None
                if last is None
                else {
                    "ok": last.ok,
                    "seconds": round(last.seconds, 1),
                    "records": last.records,
                    "streams": {
                        name: entry.get("records", 0)
                        for name, entry in sorted(last.streams.items())
                    },
                },
            }
        return healthy, body


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
