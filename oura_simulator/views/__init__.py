"""HTTP views, one blueprint per audience: data clients, OAuth clients, test harnesses."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response, current_app

from oura_simulator.state import SimulatorState

STATE_KEY = "oura_simulator"


def simulator_state() -> SimulatorState:
    """Return the state of the app serving the current request."""
    state = current_app.extensions[STATE_KEY]
    if not isinstance(state, SimulatorState):
        raise TypeError("the Flask app was not built by oura_simulator.app.create_app")
    return state


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Return `body` serialised with orjson (bytes are sent as they are)."""
    payload = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(payload, status=status, headers=headers, mimetype="application/json")
