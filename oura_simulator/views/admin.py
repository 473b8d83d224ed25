"""Test-harness controls under /_sim (no auth): info, faults, revisions, counters."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from oura_simulator.errors import detail
from oura_simulator.views import json_response, simulator_state

admin = Blueprint("admin", __name__, url_prefix="/_sim")


@admin.get("/info")
def info() -> Response:
    """Return the configuration summary and every user's credentials."""
    return json_response(simulator_state().info())


@admin.get("/faults")
def faults() -> Response:
    """Return the current fault set."""
    return json_response(simulator_state().faults.snapshot())


@admin.post("/faults")
def set_faults() -> Response:
    """Set faults from a JSON object (same names as `Simulator.set_faults`)."""
    state = simulator_state()
    try:
        state.apply_faults(_json_object())
    except ValueError as error:
        raise detail(400, str(error)) from None
    return json_response(state.faults.snapshot())


@admin.delete("/faults")
def clear_faults() -> Response:
    """Switch every fault off."""
    state = simulator_state()
    state.faults.clear()
    return json_response(state.faults.snapshot())


@admin.post("/revise")
def revise() -> Response:
    """Revise a user's recent days: {"user": 1, "days": 3}."""
    body = _json_object()
    user, days = body.get("user", 1), body.get("days", 3)
    if not all(isinstance(value, int) and value > 0 for value in (user, days)):
        raise detail(400, "user and days must be positive integers")
    try:
        revised = simulator_state().dataset.revise(user, days)
    except ValueError as error:
        raise detail(400, str(error)) from None
    return json_response({"user": user, "days": [day.isoformat() for day in revised]})


@admin.get("/stats")
def stats() -> Response:
    """Return the request and token counters."""
    return json_response(simulator_state().stats.snapshot())


@admin.post("/stats/reset")
def reset_stats() -> Response:
    """Set every counter back to zero."""
    state = simulator_state()
    state.stats.reset()
    return json_response(state.stats.snapshot())


def _json_object() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise detail(400, "The body must be a JSON object.")
    return body
