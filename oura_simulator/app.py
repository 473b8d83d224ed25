"""The Flask application: blueprints for data, OAuth and the test harness, FastAPI-style errors."""

from __future__ import annotations

import socket

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from oura_simulator.errors import ApiError, DropConnection
from oura_simulator.state import SimulatorState
from oura_simulator.views import STATE_KEY, json_response
from oura_simulator.views.admin import admin
from oura_simulator.views.data import data
from oura_simulator.views.oauth import oauth


def create_app(state: SimulatorState) -> Flask:
    """Return an app serving `state`; every app has its own state, so tests never share one."""
    app = Flask(__name__)
    app.extensions[STATE_KEY] = state
    app.register_blueprint(data)
    app.register_blueprint(oauth)
    app.register_blueprint(admin)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(DropConnection, _drop_connection)
    app.register_error_handler(HTTPException, _http_error)
    return app


def _api_error(error: ApiError) -> Response:
    return json_response(error.body, error.status, error.headers)


def _http_error(error: HTTPException) -> Response:
    """Answer routing errors (404, 405) the way Oura's FastAPI does: {"detail": reason}."""
    return json_response({"detail": error.name}, error.code or 500)


def _drop_connection(_: DropConnection) -> Response:
    """Shut the client's socket so it sees the connection close without any answer."""
    g.dropped = True
    connection = request.environ.get("werkzeug.socket")
    if isinstance(connection, socket.socket):
        connection.shutdown(socket.SHUT_RDWR)
    return Response(status=502)  # only reaches clients of servers without a socket to drop
