"""`oura-collector auth`: the OAuth2 authorization-code bootstrap for an Oura app.

Prints the consent URL, receives the code on a local callback (or takes it pasted, for headless
servers), exchanges it, and stores the token pair in the configured token store, where the
pipeline finds it. The old refresh token (configured or stored) is recorded as spent, so a stale
copy in the environment or a secret can never start a competing lineage.
"""

from __future__ import annotations

import http.server
import logging
import secrets
import threading
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlparse

from oura_collector.config import ConfigError
from oura_collector.service import database_for
from oura_collector.tap_config import resolved_tap_config
from tap_oura.routes import SCOPES

if TYPE_CHECKING:
    import argparse

    from oura_collector.config import CollectorConfig

logger = logging.getLogger("oura_collector")
DEFAULT_SCOPES = SCOPES  # every route's scope (tap_oura.routes)


class AuthError(RuntimeError):
    """The authorisation did not complete; the message says why."""


def authorise(config: CollectorConfig, args: argparse.Namespace) -> int:
    """Run the consent flow and store the tokens; return the exit code."""
    from tap_oura.auth import TokenEndpoint  # noqa: PLC0415
    from tap_oura.errors import OuraTapError  # noqa: PLC0415
    from tap_oura.tap import TapOura  # noqa: PLC0415
    from tap_oura.token_store import HISTORY_LENGTH, fingerprint  # noqa: PLC0415

    with database_for(config) as database:
        tap_config = resolved_tap_config(config.job_env(database))
        client_id, client_secret = tap_config.get("client_id"), tap_config.get("client_secret")
        if not client_id or not client_secret:
            msg = "auth needs the Oura app's client_id and client_secret: set "
            msg += "TAP_OURA_CLIENT_ID and TAP_OURA_CLIENT_SECRET (or put them in the secret)."
            raise ConfigError(msg)
        state = secrets.token_urlsafe(16)
        query = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": args.redirect_uri,
            "scope": args.scopes,
            "state": state,
        }
        print(  # noqa: T201
            "Open this address in a browser, sign in to Oura and allow access:\n\n"
            f"  {args.authorize_url}?{urlencode(query)}\n",
            flush=True,
        )
        if args.code:
            code = args.code
        elif args.paste:
            code = _code_from(input("Paste the code, or the whole address you were sent to: "))
        else:
            code = wait_for_code(args.redirect_uri, state, args.timeout)
        endpoint = TokenEndpoint(
            [tap_config["token_url"], tap_config.get("token_url_fallback") or ""],
            client_id=client_id,
            client_secret=client_secret,
        )
        try:
            tokens = endpoint.exchange_code(code, args.redirect_uri)
        except OuraTapError as exc:
            raise AuthError(str(exc)) from None
        tap = TapOura(config=tap_config)
        store = tap.token_store()
        with store.lock():
            previous = store.load()
            spent = [tap_config.get("refresh_token"), previous and previous.refresh_token]
            earlier = previous.history if previous else []
            tokens.seed = fingerprint(tokens.refresh_token)
            tokens.history = [*earlier, *(fingerprint(t) for t in spent if t)][-HISTORY_LENGTH:]
            store.save(tokens)
    granted = tokens.scope or "(not reported)"
    print(f"Authorised. Granted scopes: {granted}. Tokens saved in {store.describe()}.")  # noqa: T201
    missing = set(args.scopes.split()) - set((tokens.scope or "").split())
    if tokens.scope and missing:
        print(f"Not granted: {' '.join(sorted(missing))}; those streams will be skipped.")  # noqa: T201
    return 0


def wait_for_code(redirect_uri: str, state: str, timeout: float) -> str:
    """Serve the redirect URI on its host and port until Oura redirects the browser to it."""
    target = urlparse(redirect_uri)
    result: dict[str, str] = {}
    done = threading.Event()

    class Callback(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path != (target.path or "/"):
                self.send_error(404)
                return
            params = {key: values[0] for key, values in parse_qs(url.query).items()}
            if params.get("state") != state:
                result["error"] = "the callback's state does not match (a stale or forged link)"
            elif "error" in params:
                result["error"] = f"Oura answered {params['error']}"
            else:
                result["code"] = params.get("code", "")
            body = (
                "Oura authorisation received; you can close this tab."
                if "code" in result
                else (f"Authorisation failed: {result.get('error')}")
            )
            self.send_response(200 if "code" in result else 400)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(body.encode())
            done.set()

        def log_message(self, *args: object) -> None:
            """Quiet: the request line carries the authorisation code."""

    server = http.server.HTTPServer((target.hostname or "localhost", target.port or 80), Callback)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"Waiting for Oura to redirect to {redirect_uri} ...", flush=True)  # noqa: T201
    try:
        if not done.wait(timeout):
            raise AuthError(f"No authorisation arrived within {timeout:.0f} s; run auth again.")
    finally:
        server.shutdown()
        server.server_close()
    if "error" in result:
        raise AuthError(f"Authorisation failed: {result['error']}.")
    return result["code"]


def _code_from(text: str) -> str:
    """Accept a bare code or the full redirect address."""
    text = text.strip()
    if "code=" in text:
        return parse_qs(urlparse(text).query).get("code", [""])[0]
    return text
