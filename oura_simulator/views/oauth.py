"""OAuth endpoints: consent (auto-granted), and the legacy and new-portal token URLs (§9.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, request

from oura_simulator.auth import OAuthError, requested_scopes
from oura_simulator.views import json_response, simulator_state

if TYPE_CHECKING:
    from werkzeug.datastructures import MultiDict

    from oura_simulator.config import Portal
    from oura_simulator.state import SimulatorState

oauth = Blueprint("oauth", __name__)


@oauth.get("/oauth/authorize")
def authorize() -> Response:
    """Consent on behalf of user `user` (default 1) and redirect back with a code."""
    state = simulator_state()
    args = request.args
    redirect_uri = args.get("redirect_uri")
    if args.get("response_type") != "code":
        return _refusal(400, "unsupported_response_type", "response_type must be 'code'.")
    if args.get("client_id") != state.config.client_id:
        return _refusal(400, "invalid_client", "Unknown client_id.")
    if not redirect_uri:
        return _refusal(400, "invalid_request", "redirect_uri is required.")
    user = args.get("user", "1")
    if not user.isdigit() or int(user) not in state.dataset.users:
        return _refusal(400, "invalid_request", f"No simulated user {user!r}.")
    code = state.auth.authorize(int(user), requested_scopes(args.get("scope")), redirect_uri)
    answer = {"code": code, **({"state": args["state"]} if "state" in args else {})}
    separator = "&" if "?" in redirect_uri else "?"
    return redirect(f"{redirect_uri}{separator}{urlencode(answer)}", 302)


@oauth.post("/oauth/token", defaults={"portal": "legacy"})
@oauth.post("/oauth/v2/ext/oauth-token", defaults={"portal": "new"})
def token(portal: Portal) -> Response:
    """Exchange a code or spend a refresh token; count the call by grant type and outcome."""
    state = simulator_state()
    grant_type = request.form.get("grant_type") or "missing"
    try:
        body = _grant(state, portal, grant_type, request.form)
    except OAuthError as refusal:
        state.stats.count_token(grant_type, refusal.error)
        return json_response(refusal.body(), refusal.status)
    state.stats.count_token(grant_type, "ok")
    return json_response(body, headers={"Cache-Control": "no-store"})


def _grant(
    state: SimulatorState, portal: Portal, grant_type: str, form: MultiDict[str, str]
) -> dict[str, object]:
    if portal != state.config.portal:
        _refuse_other_portal(state.config.portal, grant_type)
    credentials = request.authorization
    client_id = form.get("client_id") or (credentials.username if credentials else None)
    client_secret = form.get("client_secret") or (credentials.password if credentials else None)
    state.auth.check_client(client_id, client_secret)
    if grant_type == "refresh_token":
        return state.auth.refresh(_required(form, "refresh_token"))
    if grant_type == "authorization_code":
        return state.auth.exchange_code(_required(form, "code"), form.get("redirect_uri"))
    raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant_type {grant_type!r}.")


def _refuse_other_portal(app_portal: Portal, grant_type: str) -> None:
    """Refuse a token request sent to the other portal's URL, as Oura does (§9.1, §12.13)."""
    if app_portal == "new" and grant_type == "authorization_code":
        raise OAuthError(401, "invalid_client", "This application is not known at this URL.")
    raise OAuthError(
        400, "invalid_request", "This application's tokens are issued at another token URL."
    )


def _required(form: MultiDict[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise OAuthError(400, "invalid_request", f"{name} is required.")
    return value


def _refusal(status: int, error: str, description: str) -> Response:
    return json_response(OAuthError(status, error, description).body(), status)
