"""Failures to switch on at runtime, so clients can be tested against Oura's bad days.

Counted faults (rate_limit, server_error, disconnect) hit the next `count` matching data requests
and then switch themselves off; the others stay until changed or cleared.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from oura_simulator.routes import ROUTES_BY_NAME

COUNTED = ("rate_limit", "server_error", "disconnect")
STANDING = ("latency_ms", "membership_expired", "app_outdated", "extra_fields", "malformed")
# What `extra_fields` adds to every record: fields a newer API version might send.
EXTRA_FIELDS: dict[str, Any] = {
    "future_score": 42,
    "future_detail": {"nested": [1, 2, 3], "note": "added in a later API version"},
}
MALFORMED_VALUE = "not-a-number"
SERVER_ERROR_STATUSES = (500, 502, 503)
# Defaults of a rate_limit fault's headers; Oura publishes no ceilings (reference §7).
RATE_LIMIT_DEFAULTS: dict[str, Any] = {
    "retry_after": 1,
    "limit": 5000,
    "window": 300,
    "tier": "token",
}


@dataclass
class CountedFault:
    """A fault for the next `remaining` requests to `routes` (None: every data route)."""

    remaining: int
    routes: frozenset[str] | None
    settings: dict[str, Any] = field(default_factory=dict)

    def matches(self, route: str) -> bool:
        """Tell whether a request to `route` is hit by this fault."""
        return self.remaining > 0 and (self.routes is None or route in self.routes)

    def describe(self) -> dict[str, Any]:
        """Return the fault as set, with the count still to come."""
        routes = sorted(self.routes) if self.routes is not None else None
        return {"count": self.remaining, "routes": routes, **self.settings}


class Faults:
    """The current fault set; every read-and-decrement is atomic across request threads."""

    def __init__(self) -> None:
        """Start with no faults."""
        self._lock = threading.Lock()
        self._counted: dict[str, CountedFault] = {}
        self.latency_ms = 0
        self.membership_expired = False
        self.app_outdated: frozenset[str] = frozenset()
        self.extra_fields: frozenset[str] = frozenset()
        self.malformed: frozenset[str] = frozenset()

    def update(self, settings: dict[str, Any]) -> None:
        """Set the named faults (None switches one off); raise ValueError for a bad setting."""
        counted = {
            name: _counted(name, value) for name, value in settings.items() if name in COUNTED
        }
        unknown = set(settings) - set(COUNTED) - set(STANDING)
        if unknown:
            raise ValueError(f"unknown fault(s): {', '.join(sorted(unknown))}")
        latency = _integer("latency_ms", settings.get("latency_ms", self.latency_ms) or 0)
        expired = settings.get("membership_expired", self.membership_expired) or False
        if not isinstance(expired, bool):
            raise ValueError("membership_expired must be true or false")
        outdated = settings.get("app_outdated", self.app_outdated) or []
        outdated_routes = _routes("app_outdated", outdated)
        extra = _routes("extra_fields", settings.get("extra_fields", self.extra_fields) or [])
        malformed = _routes("malformed", settings.get("malformed", self.malformed) or [])
        with self._lock:
            for name, fault in counted.items():
                if fault is None:
                    self._counted.pop(name, None)
                else:
                    self._counted[name] = fault
            self.latency_ms, self.membership_expired = latency, expired
            self.app_outdated = outdated_routes
            self.extra_fields, self.malformed = extra, malformed

    def clear(self) -> None:
        """Switch every fault off."""
        with self._lock:
            self._counted.clear()
            self.latency_ms, self.membership_expired = 0, False
            self.app_outdated = frozenset()
            self.extra_fields = self.malformed = frozenset()

    def take(self, name: str, route: str) -> dict[str, Any] | None:
        """Spend one hit of counted fault `name` on a request to `route`; return its settings."""
        with self._lock:
            fault = self._counted.get(name)
            if fault is None or not fault.matches(route):
                return None
            fault.remaining -= 1
            if fault.remaining == 0:
                del self._counted[name]
            return fault.settings

    def snapshot(self) -> dict[str, Any]:
        """Return the current fault set as JSON-ready data."""
        with self._lock:
            current: dict[str, Any] = {name: f.describe() for name, f in self._counted.items()}
            current["latency_ms"] = self.latency_ms
            current["membership_expired"] = self.membership_expired
            current["app_outdated"] = sorted(self.app_outdated)
            current["extra_fields"] = sorted(self.extra_fields)
            current["malformed"] = sorted(self.malformed)
        return current


def tamper(record: dict[str, Any], *, extra: bool, malformed: bool) -> dict[str, Any]:
    """Return the record with unknown fields added and/or its first number made a string."""
    if extra:
        record = {**record, **EXTRA_FIELDS}
    if malformed:
        number = next(
            (k for k, v in record.items() if isinstance(v, int | float) and k not in EXTRA_FIELDS),
            None,
        )
        if number is not None:
            record = {**record, number: MALFORMED_VALUE}
    return record


def _counted(name: str, value: Any) -> CountedFault | None:
    """Validate a counted fault's settings."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be an object like {{'count': 1}}")
    settings = dict(value)
    count = _integer(f"{name}.count", settings.pop("count", 1))
    routes = settings.pop("routes", None)
    chosen = None if routes is None else _routes(f"{name}.routes", routes)
    if name == "rate_limit":
        unknown = set(settings) - set(RATE_LIMIT_DEFAULTS)
        settings = {**RATE_LIMIT_DEFAULTS, **settings}
        for key in ("retry_after", "limit", "window"):
            _integer(f"rate_limit.{key}", settings[key])
    elif name == "server_error":
        unknown = set(settings) - {"status"}
        settings = {"status": 503, **settings}
        if settings["status"] not in SERVER_ERROR_STATUSES:
            raise ValueError(f"server_error.status must be one of {SERVER_ERROR_STATUSES}")
    else:
        unknown = set(settings)
    if unknown:
        raise ValueError(f"unknown {name} setting(s): {', '.join(sorted(unknown))}")
    return CountedFault(count, chosen, settings) if count > 0 else None


def _integer(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer")
    return value


def _routes(name: str, value: Any) -> frozenset[str]:
    if isinstance(value, str) or not all(isinstance(route, str) for route in value):
        raise ValueError(f"{name} must be a list of route names")
    unknown = set(value) - set(ROUTES_BY_NAME)
    if unknown:
        raise ValueError(f"{name}: unknown route(s) {', '.join(sorted(unknown))}")
    return frozenset(value)
