"""Shared test helpers: a fixed clock, configurations and an HTTP client for a simulator."""

from __future__ import annotations

import functools
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from oura_simulator import SimulatorConfig

if TYPE_CHECKING:
    from oura_simulator import Simulator

# Mid-afternoon in Paris, four days after the end of summer time (2025-10-26), so the history
# holds a night that starts at +02:00 and ends at +01:00.
NOW = datetime(2025, 10, 30, 14, 0, tzinfo=UTC)
TODAY = date(2025, 10, 30)
DST_NIGHT = date(2025, 10, 26)


class Clock:
    """A settable clock for `SimulatorConfig.now`."""

    def __init__(self, now: datetime = NOW) -> None:
        """Start at `now`."""
        self.now = now

    def __call__(self) -> datetime:
        """Return the current simulated time."""
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward, e.g. advance(hours=25)."""
        self.now += timedelta(**delta)


def make_config(**overrides: Any) -> SimulatorConfig:
    """Return a 30-day, fixed-clock configuration with `overrides` applied."""
    settings: dict[str, Any] = {"days": 30, "now": Clock()}
    settings.update(overrides)
    return SimulatorConfig(**settings)


class Api:
    """A keep-alive HTTP client for one simulator, authenticated as one token."""

    def __init__(self, sim: Simulator, token: str | None) -> None:
        """Send `token` as the bearer token on every request (None: no header)."""
        self.sim = sim
        self.session = requests.Session()
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params: Any) -> requests.Response:
        """GET a path of the simulator."""
        return self.session.get(f"{self.sim.base_url}{path}", params=params, timeout=30)

    def collection(self, route: str, **params: Any) -> requests.Response:
        """GET a live collection route."""
        return self.get(f"/v2/usercollection/{route}", **params)

    def every_page(self, route: str, *, resend: bool = True, **params: Any) -> list[dict]:
        """Follow next_token to the end; resend the filters with it, or send the token alone."""
        response = self.collection(route, **params)
        records: list[dict] = []
        while True:
            assert response.status_code == 200, response.text
            body = response.json()
            records += body["data"]
            if not body.get("next_token"):
                return records
            follow = dict(params) if resend else {}
            follow["next_token"] = body["next_token"]
            response = self.collection(route, **follow)


SPEC_PATH = Path(__file__).resolve().parents[2] / "tap_oura" / "openapi" / "oura-openapi-1.37.json"
SPEC_URI = "urn:oura-openapi-1.37"


@functools.cache
def spec() -> dict[str, Any]:
    """Return the vendored OpenAPI spec, Oura's own description of every route and model."""
    return json.loads(SPEC_PATH.read_text())


def model_properties(model: str) -> set[str]:
    """Return every property name of a spec model."""
    return set(spec()["components"]["schemas"][model]["properties"])


def spec_validator(schema: dict[str, Any]) -> Draft202012Validator:
    """Return a validator of `schema` whose $refs resolve inside the spec."""
    resource = Resource.from_contents(spec(), default_specification=DRAFT202012)
    registry: Registry = Registry().with_resource(SPEC_URI, resource)
    return Draft202012Validator(
        schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def model_validator(model: str) -> Draft202012Validator:
    """Return a validator of one record model, e.g. "PublicDailySleep"."""
    return spec_validator({"$ref": f"{SPEC_URI}#/components/schemas/{model}"})


def response_validator(path: str) -> Draft202012Validator:
    """Return a validator of a route's whole 200 response body, e.g. "/v2/usercollection/sleep"."""
    response = spec()["paths"][path]["get"]["responses"]["200"]
    schema = response["content"]["application/json"]["schema"]
    return spec_validator(_rebased(schema))


def _rebased(schema: Any) -> Any:
    """Point the schema's local $refs at the spec resource."""
    if isinstance(schema, dict):
        return {
            key: f"{SPEC_URI}{value}" if key == "$ref" else _rebased(value)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_rebased(item) for item in schema]
    return schema
