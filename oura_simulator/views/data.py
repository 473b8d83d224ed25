"""Oura's data routes, live and sandbox: faults, bearer auth, scopes, windows and pages."""

from __future__ import annotations

import math
import re
import time
from typing import TYPE_CHECKING, Any

import orjson
from flask import Blueprint, Response, g, request

from oura_simulator import paging
from oura_simulator.config import SANDBOX_USER
from oura_simulator.errors import ApiError, DropConnection, detail, invalid, problem
from oura_simulator.faults import tamper
from oura_simulator.routes import ROUTES_BY_NAME, Filter, Kind
from oura_simulator.views import json_response, simulator_state
from oura_simulator.windows import document_window, filter_params, latest_flag, series_window

if TYPE_CHECKING:
    from oura_simulator.auth import Grant
    from oura_simulator.routes import Route
    from oura_simulator.state import SimulatorState
    from oura_simulator.windows import Window

data = Blueprint("data", __name__)

LIVE = "/v2/usercollection"
SANDBOX = "/v2/sandbox/usercollection"
DOCUMENT_ID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
PERSONAL_FIELDS = ("age", "weight", "height", "biological_sex")
SERVER_ERRORS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


@data.get(f"{LIVE}/<route_name>", defaults={"sandbox": False})
@data.get(f"{SANDBOX}/<route_name>", defaults={"sandbox": True})
def collection(route_name: str, sandbox: bool) -> Response:
    """Answer a collection: personal_info's bare object, or a page of records."""
    route = _served_route(route_name, sandbox)
    grant = _admit(route, sandbox)
    state = simulator_state()
    extra, malformed = route.name in state.faults.extra_fields, route.name in state.faults.malformed
    if route.kind is Kind.SINGLETON:
        g.rows = 1
        info = _personal_info(state, grant)
        return json_response(tamper(info, extra=extra, malformed=malformed))
    bodies, next_token = _page(state, route, SANDBOX_USER if sandbox else grant.user, sandbox)
    g.rows = len(bodies)
    if bodies and (extra or malformed):
        # Every record gains the unknown fields; only a page's first record is malformed.
        records = [tamper(orjson.loads(b), extra=extra, malformed=False) for b in bodies]
        records[0] = tamper(records[0], extra=False, malformed=malformed)
        bodies = [orjson.dumps(record) for record in records]
    page = {"data": [orjson.Fragment(body) for body in bodies], "next_token": next_token}
    return json_response(page)


@data.get(f"{LIVE}/<route_name>/<document_id>", defaults={"sandbox": False})
@data.get(f"{SANDBOX}/<route_name>/<document_id>", defaults={"sandbox": True})
def document(route_name: str, document_id: str, sandbox: bool) -> Response:
    """Answer one document by id: 422 for a malformed id, 404 for an unknown one."""
    route = _served_route(route_name, sandbox)
    if not route.single_documents:
        raise detail(404, "Not Found")
    grant = _admit(route, sandbox)
    if not DOCUMENT_ID.fullmatch(document_id):
        raise invalid(problem("path", "document_id", "Invalid document ID format", document_id))
    user = SANDBOX_USER if sandbox else grant.user
    body = simulator_state().dataset.document_body(route.name, user, document_id)
    if body is None:
        raise detail(404, "Document not found.")
    g.rows = 1
    return json_response(body)


@data.after_request
def count_request(response: Response) -> Response:
    """Count every answered (or dropped) data request per route."""
    route_key = g.get("route_key")
    if route_key:
        outcome = "disconnected" if g.get("dropped") else str(response.status_code)
        simulator_state().stats.count_request(route_key, outcome, g.get("rows", 0))
    return response


def _served_route(name: str, sandbox: bool) -> Route:
    route = ROUTES_BY_NAME.get(name)
    if route is None or (sandbox and not route.sandbox):
        raise detail(404, "Not Found")
    g.route_key = f"sandbox/{name}" if sandbox else name
    return route


def _admit(route: Route, sandbox: bool) -> Grant:
    """Apply latency and faults, then authenticate and authorise; return the caller's grant."""
    state = simulator_state()
    faults = state.faults
    latency = state.config.latency_ms + faults.latency_ms
    if latency:
        time.sleep(latency / 1000)
    if faults.take("disconnect", route.name) is not None:
        raise DropConnection
    limit = faults.take("rate_limit", route.name)
    if limit is not None:
        raise _rate_limited(state, limit)
    failure = faults.take("server_error", route.name)
    if failure is not None:
        raise detail(failure["status"], SERVER_ERRORS[failure["status"]])
    grant = _bearer_grant(state)
    if faults.membership_expired:
        raise detail(403, "The user's Oura membership is not active; data is not available.")
    if route.name in faults.app_outdated:
        raise detail(426, "The user must update the Oura app to share this data type.")
    if not sandbox and route.scope and route.scope not in grant.scopes:
        raise detail(
            route.missing_scope_status,
            f"The access token does not grant the '{route.scope}' scope this route requires.",
        )
    return grant


def _bearer_grant(state: SimulatorState) -> Grant:
    """Return the grant of the request's bearer token (never a query-string token, §1)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    grant = state.auth.authenticate(token.strip()) if scheme.lower() == "bearer" else None
    if grant is None:
        raise ApiError(
            401,
            {"detail": "Invalid, expired or missing access token."},
            {"WWW-Authenticate": "Bearer"},
        )
    return grant


def _rate_limited(state: SimulatorState, limit: dict[str, Any]) -> ApiError:
    """Return a 429 with the five headers Oura sends (reference §7)."""
    retry_after = int(limit["retry_after"])
    reset = math.ceil(state.config.current_time().timestamp()) + retry_after
    headers = {
        "Retry-After": str(retry_after),
        "X-RateLimit-Limit": str(limit["limit"]),
        "X-RateLimit-Window": str(limit["window"]),
        "X-RateLimit-Reset": str(reset),
        "X-RateLimit-Tier": str(limit["tier"]),
    }
    return ApiError(429, {"detail": "Too Many Requests"}, headers)


def _personal_info(state: SimulatorState, grant: Grant) -> dict[str, object]:
    """Return personal info with the fields the grant's scopes do not cover set to null."""
    info = state.dataset.personal_info(grant.user)
    if "personal" not in grant.scopes:
        info.update(dict.fromkeys(PERSONAL_FIELDS))
    if "email" not in grant.scopes:
        info["email"] = None
    return info


def _page(
    state: SimulatorState, route: Route, user: int, sandbox: bool
) -> tuple[list[bytes], str | None]:
    """Return one page of JSON records and the token of the next page, if any."""
    query = request.args
    token = query.get("next_token")
    if token:
        cursor = paging.decode(token, g.route_key)
        paging.check_same_query(cursor, filter_params(route, query))
        window, offset = cursor.window(), cursor.offset
    else:
        window, offset = _window(state, route, user), 0
    bodies = _matching(state, route, user, window)
    if route.kind is Kind.SERIES and not sandbox and latest_flag(query):  # no `latest` in sandbox
        return bodies[-1:], None
    size = state.config.series_page_size if route.kind is Kind.SERIES else state.config.page_size
    page_end = offset + size
    if page_end >= len(bodies):
        return bodies[offset:], None
    next_token = paging.encode(paging.Cursor.resume_at(g.route_key, page_end, window))
    return bodies[offset:page_end], next_token


def _matching(state: SimulatorState, route: Route, user: int, window: Window | None) -> list[bytes]:
    """Return every record of the window as JSON, in page order."""
    if route.kind is not Kind.SERIES:
        span = None if window is None else (window.start, window.end)
        return state.dataset.document_bodies(route.name, user, span)
    if window is None:  # only a forged next_token gets here
        raise detail(400, "Invalid next_token.")
    return state.dataset.series_bodies(route.name, user, window.start, window.end)


def _window(state: SimulatorState, route: Route, user: int) -> Window | None:
    """Return the window a first request asks for; None for routes without a date filter."""
    if route.kind is Kind.SERIES:
        return series_window(route, request.args, state.config.current_time())
    if route.filter is Filter.NONE:
        return None
    dataset = state.dataset
    return document_window(route, request.args, dataset.timezone(user), dataset.today(user))
