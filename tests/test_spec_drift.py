"""The tap covers Oura's spec: every route a stream, every model field a schema property.

The expectations are read from the raw vendored spec with a plain `$ref` walk, independently of
`tap_oura.schemas`, so a fault in the schema plumbing cannot hide behind itself. When Oura
publishes a new spec, drop it into tap_oura/openapi/ and this file lists what changed.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from tap_oura.routes import ROUTES
from tap_oura.schemas import SPEC_FILE
from tap_oura.tap import TapOura

SPEC = json.loads(SPEC_FILE.read_text())
COMPONENTS = SPEC["components"]["schemas"]
PREFIX = "/v2/usercollection/"


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return _resolve(COMPONENTS[node["$ref"].rsplit("/", 1)[-1]])
    for variant in node.get("anyOf", []):
        if variant.get("type") != "null":
            return _resolve(variant)
    return node


def _field_paths(model: dict[str, Any], prefix: str = "") -> set[str]:
    """Return every property path of a model, nested objects and array items included."""
    paths = set()
    for name, node in model.get("properties", {}).items():
        path = f"{prefix}{name}"
        paths.add(path)
        resolved = _resolve(node)
        if "properties" in resolved:
            paths |= _field_paths(resolved, f"{path}.")
        items = resolved.get("items")
        if items and "properties" in _resolve(items):
            paths |= _field_paths(_resolve(items), f"{path}[].")
    return paths


def _record_model(route: str) -> dict[str, Any]:
    schema = SPEC["paths"][PREFIX + route]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    envelope = _resolve(schema)
    if "data" in envelope.get("properties", {}):
        return _resolve(envelope["properties"]["data"]["items"])
    return envelope


SPEC_ROUTES = sorted(
    p.removeprefix(PREFIX) for p in SPEC["paths"] if p.startswith(PREFIX) and "{" not in p
)
STREAMS = TapOura(config={}, validate_config=False).streams


def test_every_spec_route_has_a_stream_and_no_stream_is_made_up() -> None:
    assert sorted(route.url_segment for route in ROUTES) == SPEC_ROUTES
    assert len(STREAMS) == 19


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
def test_stream_schema_carries_every_model_field(route) -> None:
    expected = _field_paths(_record_model(route.url_segment))
    actual = _field_paths(STREAMS[route.name].schema)
    missing = expected - actual
    assert not missing, f"{route.name} lacks spec fields: {sorted(missing)}"
    assert actual == expected, (
        f"{route.name} has fields the spec lacks: {sorted(actual - expected)}"
    )


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
def test_stream_schema_is_valid_json_schema_with_keys_required(route) -> None:
    schema = STREAMS[route.name].schema
    jsonschema.Draft7Validator.check_schema(schema)
    assert set(route.primary_keys) <= set(schema["properties"])
    assert schema.get("required") == list(route.primary_keys)
    if route.replication_key:
        assert route.replication_key in schema["properties"]


def test_dates_and_utc_instants_are_typed_but_local_times_keep_their_offset_as_text() -> None:
    sleep = STREAMS["sleep"].schema["properties"]
    assert sleep["day"]["format"] == "date"
    assert "format" not in sleep["bedtime_start"]  # "...+02:00" must reach the database intact
    assert STREAMS["heartrate"].schema["properties"]["timestamp"]["format"] == "date-time"


def test_a_record_with_fields_the_spec_lacks_is_kept_without_them() -> None:
    stream = STREAMS["heartrate"]
    record = {
        "timestamp": "2026-11-24T10:00:00+00:00",
        "timestamp_unix": 1795514400000,
        "bpm": 61,
        "source": "rest",
        "field_from_a_newer_api": {"anything": [1, 2]},
    }
    expected = {key: value for key, value in record.items() if key != "field_from_a_newer_api"}
    assert list(stream.checked([dict(record)])) == [expected]


def test_the_installed_command_describes_itself_and_discovers_19_streams(tmp_path) -> None:
    import subprocess  # noqa: PLC0415

    from tests.tap_harness import TAP_EXECUTABLE  # noqa: PLC0415

    about = subprocess.run(
        [str(TAP_EXECUTABLE), "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    settings = set(json.loads(about.stdout)["settings"]["properties"])
    assert {"days_to_backfill", "lookback_days", "refresh_token", "token_store"} <= settings
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"personal_access_token": "x" * 20}))
    discover = subprocess.run(
        [str(TAP_EXECUTABLE), "--config", str(config), "--discover"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    streams = {s["tap_stream_id"] for s in json.loads(discover.stdout)["streams"]}
    assert streams == {route.name for route in ROUTES}
    assert len(streams) == 19


def test_an_authorisation_asks_for_every_scope_oura_grants() -> None:
    from oura_simulator.auth import ALL_SCOPES  # noqa: PLC0415
    from tap_oura.routes import SCOPES  # noqa: PLC0415

    assert sorted(SCOPES) == sorted(ALL_SCOPES)
