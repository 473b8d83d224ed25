"""Counters of what clients asked for, so tests can check requests, statuses and refreshes."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from typing import Any


class Stats:
    """Per-route request outcomes and rows served; token-endpoint calls by grant and outcome."""

    def __init__(self) -> None:
        """Start with every counter at zero."""
        self._lock = threading.Lock()
        self._requests: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._rows: Counter[str] = Counter()
        self._token: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def count_request(self, route: str, outcome: str, rows: int) -> None:
        """Count one data request to `route` (e.g. "sleep", "sandbox/sleep") and its rows."""
        with self._lock:
            self._requests[route][outcome] += 1
            self._rows[route] += rows

    def count_token(self, grant_type: str, outcome: str) -> None:
        """Count one token-endpoint call, e.g. ("refresh_token", "ok"/"invalid_grant")."""
        with self._lock:
            self._token[grant_type][outcome] += 1

    def snapshot(self) -> dict[str, Any]:
        """Return the counters as JSON-ready data."""
        with self._lock:
            routes = {
                route: {"requests": dict(outcomes), "rows": self._rows[route]}
                for route, outcomes in self._requests.items()
            }
            token = {grant: dict(outcomes) for grant, outcomes in self._token.items()}
        return {"routes": routes, "token": token}

    def reset(self) -> None:
        """Set every counter back to zero."""
        with self._lock:
            self._requests.clear()
            self._rows.clear()
            self._token.clear()
