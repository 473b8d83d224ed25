"""Authentication: OAuth2 with Oura's single-use refresh tokens, or a legacy personal token.

Oura retired personal access tokens in December 2025; OAuth2 is the real path (reference
/oura-api.md §9). Every refresh returns a new refresh token and voids the old one, so the
authenticator refreshes only while holding the token store's lock, re-reads the store first (another
process may have refreshed already), and saves the new pair before using the access token.
"""

from __future__ import annotations

import logging
import time
import typing as t

import requests
from singer_sdk.authenticators import BearerTokenAuthenticator, OAuthAuthenticator

from tap_oura.errors import (
    REAUTHORIZE,
    CredentialsMissing,
    OuraTapError,
    RefreshTokenRejected,
    api_detail,
)
from tap_oura.token_store import TokenSet, fingerprint

if t.TYPE_CHECKING:
    from collections.abc import Sequence

    from tap_oura.token_store import TokenStore

LEGACY_TOKEN_URL = "https://api.ouraring.com/oauth/token"
# Apps registered on Oura's new developer portal are refused by the legacy URL (reference §9.1).
NEW_PORTAL_TOKEN_URL = "https://moi.ouraring.com/oauth/v2/ext/oauth-token"

logger = logging.getLogger("tap-oura.auth")


class TokenEndpoint:
    """Oura's OAuth token endpoint(s): code exchange and refresh, trying fallback URLs in order."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        client_id: str,
        client_secret: str,
        timeout: float = 30,
        connect_retries: int = 3,
    ) -> None:
        """Try `urls` in order; a URL that refuses the client (400/401) hands over to the next."""
        self.urls = [url for url in dict.fromkeys(urls) if url]
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        self.connect_retries = connect_retries
        # No automatic retries on the session: a refresh that reached Oura and lost its answer
        # must not be replayed blindly (the token it spent is gone either way).
        self.session = requests.Session()

    def refresh(self, refresh_token: str, *, preferred_url: str | None = None) -> TokenSet:
        """Spend `refresh_token` for a new token pair."""
        return self._grant(
            {"grant_type": "refresh_token", "refresh_token": refresh_token},
            preferred_url=preferred_url,
            spent="refresh token",
        )

    def exchange_code(self, code: str, redirect_uri: str) -> TokenSet:
        """Exchange an authorisation code (from the consent redirect) for a token pair."""
        return self._grant(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            preferred_url=None,
            spent="authorisation code",
        )

    def _grant(self, form: dict[str, str], *, preferred_url: str | None, spent: str) -> TokenSet:
        urls = [preferred_url, *self.urls] if preferred_url else self.urls
        refusals: list[str] = []
        for url in dict.fromkeys(urls):
            try:
                response = self._post(url, form)
            except TokenEndpointUnreachable as exc:
                if not refusals:
                    raise
                refusals.append(f"{url} could not be reached ({exc.reason})")
                break
            if response.ok:
                return self._token_set(response, url)
            refusals.append(f"{url} answered {response.status_code} ({api_detail(response)})")
            if response.status_code not in (400, 401):
                break
        raise RefreshTokenRejected(_refusal_message(spent, refusals))

    def _post(self, url: str, form: dict[str, str]) -> requests.Response:
        body = {**form, "client_id": self.client_id, "client_secret": self.client_secret}
        for attempt in range(self.connect_retries + 1):
            try:
                return self.session.post(url, data=body, timeout=self.timeout)
            except requests.exceptions.ConnectionError as exc:
                # Safe to retry only when the request never reached the server.
                if (
                    isinstance(exc, requests.exceptions.ReadTimeout)
                    or attempt == self.connect_retries
                ):
                    raise TokenEndpointUnreachable(url, type(exc).__name__) from None
                time.sleep(2**attempt)
            except requests.exceptions.Timeout:
                msg = f"Oura's token endpoint {url} did not answer within {self.timeout:.0f} s. "
                msg += "If it processed the refresh, the new token was lost: " + REAUTHORIZE
                raise RefreshTokenRejected(msg) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _token_set(self, response: requests.Response, url: str) -> TokenSet:
        body = response.json()
        expires_in = body.get("expires_in")
        return TokenSet(
            access_token=body["access_token"],
            refresh_token=body["refresh_token"],
            expires_at=time.time() + float(expires_in) if expires_in else None,
            scope=body.get("scope"),
            token_url=url,
        )


def _refusal_message(spent: str, refusals: list[str]) -> str:
    """Explain a refused grant: which endpoint said what, and what to do."""
    said = "; ".join(refusals)
    if "invalid_client" in said:
        return f"Oura refused the OAuth client ({said}). Check client_id and client_secret."
    if "invalid_grant" in said:
        return (
            f"Oura refused the {spent} ({said}). Refresh tokens are single-use: this one was "
            f"already spent (perhaps by another copy of the collector) or the authorisation was "
            f"revoked. {REAUTHORIZE}"
        )
    return f"Oura's token endpoint refused the {spent} ({said}). {REAUTHORIZE}"


class TokenEndpointUnreachable(OuraTapError):
    """The token endpoint could not be reached: nothing was spent, a later run may succeed."""

    def __init__(self, url: str, reason: str) -> None:
        """Say which endpoint and why."""
        self.url, self.reason = url, reason
        super().__init__(
            f"Could not reach Oura's token endpoint {url}: {reason}. Check the network and "
            f"token_url, then run again."
        )


class OuraOAuthAuthenticator(OAuthAuthenticator):
    """OAuth2 bearer auth whose refreshes are serialised and persisted through a `TokenStore`."""

    can_refresh = True

    def __init__(
        self,
        *,
        endpoint: TokenEndpoint,
        store: TokenStore,
        configured_refresh_token: str | None,
    ) -> None:
        """Use `store` for the current tokens; `configured_refresh_token` seeds a new lineage."""
        super().__init__(
            client_id=endpoint.client_id,
            client_secret=endpoint.client_secret,
            auth_endpoint=endpoint.urls[0],
        )
        self.endpoint = endpoint
        self.store = store
        self._configured = configured_refresh_token
        self._tokens: TokenSet | None = None
        self._rejected: set[str] = set()
        self._refreshed: set[str] = set()

    def is_token_valid(self) -> bool:
        """Return True while the current access token is unexpired and not refused by Oura."""
        tokens = self._tokens
        return (
            tokens is not None
            and tokens.access_token not in self._rejected
            and tokens.access_token_valid()
        )

    def update_access_token(self) -> None:
        """Adopt a valid stored token, or refresh under the store's lock and save before use."""
        with self.store.lock():
            current = self._lineage(self.store.load())
            if current.access_token_valid() and current.access_token not in self._rejected:
                self._adopt(current)
                return
            refreshed = self.endpoint.refresh(
                current.refresh_token, preferred_url=current.token_url
            )
            tokens = current.successor(refreshed)
            self.store.save(tokens)
        self._refreshed.add(tokens.access_token or "")
        logger.info(
            "Refreshed the Oura access token; the new pair is saved in %s.", self.store.describe()
        )
        self._adopt(tokens)

    def invalidate(self, access_token: str) -> None:
        """Remember that Oura refused this access token, so the next request refreshes."""
        self._rejected.add(access_token)

    def was_refreshed_here(self, access_token: str) -> bool:
        """Return True when this process obtained the token by refreshing (so it is brand new)."""
        return access_token in self._refreshed

    def _lineage(self, stored: TokenSet | None) -> TokenSet:
        """Pick the stored tokens, or start over from a newly configured refresh token."""
        configured = self._configured
        if configured and (stored is None or not stored.knows(configured)):
            if stored is not None:
                logger.info("A new refresh_token is configured; it replaces the stored one.")
            return TokenSet(refresh_token=configured, seed=fingerprint(configured))
        if stored is None:
            msg = (
                f"No OAuth refresh token: the token store ({self.store.describe()}) is empty and "
                f"no refresh_token is configured. {REAUTHORIZE}"
            )
            raise CredentialsMissing(msg)
        return stored

    def _adopt(self, tokens: TokenSet) -> None:
        self._tokens = tokens
        self.access_token = tokens.access_token


class PersonalTokenAuthenticator(BearerTokenAuthenticator):
    """A legacy personal access token: no refresh exists, so a 401 is final."""

    can_refresh = False

    def invalidate(self, access_token: str) -> None:
        """Nothing to do: a personal token cannot be renewed."""

    def was_refreshed_here(self, access_token: str) -> bool:
        """Personal tokens are never refreshed."""
        return False
