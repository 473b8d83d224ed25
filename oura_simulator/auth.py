"""Who may read whose data: the OAuth application, personal tokens, codes and token rotation.

Refresh tokens are single-use and rotate on every refresh (reference §9.1); every check-and-spend
happens under one lock, so two concurrent refreshes of one token cannot both succeed.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from oura_simulator.config import SimulatorConfig

ALL_SCOPES: tuple[str, ...] = (
    "email",
    "personal",
    "daily",
    "heartrate",
    "workout",
    "tag",
    "session",
    "spo2",
    "ring_configuration",
    "stress",
    "heart_health",
)
# The spec documents `spo2Daily`; Oura grants it as `spo2` (reference §9.2).
SCOPE_ALIASES = {"spo2Daily": "spo2"}
CODE_LIFETIME = 600  # seconds an authorisation code stays usable (reference §9.1)


@dataclass(frozen=True)
class Grant:
    """What a token lets its holder read: one user's data, within some scopes."""

    user: int
    scopes: frozenset[str]

    @property
    def scope_text(self) -> str:
        """Return the scopes space-separated, in Oura's canonical order."""
        return " ".join(scope for scope in ALL_SCOPES if scope in self.scopes)


@dataclass(frozen=True)
class _Issued:
    grant: Grant
    expires_at: float


@dataclass(frozen=True)
class _PendingCode:
    grant: Grant
    redirect_uri: str
    expires_at: float


class OAuthError(Exception):
    """A refusal in RFC 6749 terms: HTTP status, `error` code and a description."""

    def __init__(self, status: int, error: str, description: str) -> None:
        """Describe the refusal; the token endpoint turns it into a JSON answer."""
        super().__init__(status, error, description)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        """Return the JSON body Oura's token endpoint answers with."""
        return {"error": self.error, "error_description": self.description}


def requested_scopes(text: str | None) -> frozenset[str]:
    """Return the known scopes in a space-separated request; unknown ones are tolerated (§9.2)."""
    if text is None:
        return frozenset(ALL_SCOPES)
    names = (SCOPE_ALIASES.get(name, name) for name in text.split())
    return frozenset(name for name in names if name in ALL_SCOPES)


class AuthServer:
    """The OAuth application's token state, safe to use from many request threads."""

    def __init__(self, config: SimulatorConfig, users: Iterable[int]) -> None:
        """Issue each user a personal access token and an initial refresh token (all scopes)."""
        self._config = config
        self._lock = threading.Lock()
        everything = frozenset(ALL_SCOPES)
        self.personal_access_tokens = {user: _new_token("pat") for user in users}
        self.initial_refresh_tokens = {user: _new_token("rt") for user in users}
        self._personal = {
            token: Grant(user, everything) for user, token in self.personal_access_tokens.items()
        }
        self._refresh = {
            token: Grant(user, everything) for user, token in self.initial_refresh_tokens.items()
        }
        self._access: dict[str, _Issued] = {}
        self._codes: dict[str, _PendingCode] = {}

    def authenticate(self, token: str) -> Grant | None:
        """Return the grant behind a bearer token, or None if it is unknown or expired."""
        if token in self._personal:
            return self._personal[token]
        issued = self._access.get(token)
        if issued is None or issued.expires_at <= self._now():
            return None
        return issued.grant

    def check_client(self, client_id: str | None, client_secret: str | None) -> None:
        """Refuse anything but this application's own credentials."""
        valid_id = secrets.compare_digest(client_id or "", self._config.client_id)
        valid_secret = secrets.compare_digest(client_secret or "", self._config.client_secret)
        if not (valid_id and valid_secret):
            raise OAuthError(401, "invalid_client", "Client authentication failed.")

    def authorize(self, user: int, scopes: frozenset[str], redirect_uri: str) -> str:
        """Record a consent and return its single-use authorisation code."""
        code = _new_token("code")
        with self._lock:
            self._codes[code] = _PendingCode(
                Grant(user, scopes), redirect_uri, self._now() + CODE_LIFETIME
            )
        return code

    def exchange_code(self, code: str, redirect_uri: str | None) -> dict[str, Any]:
        """Spend an authorisation code for a token pair."""
        with self._lock:
            pending = self._codes.pop(code, None)
            if pending is None or pending.expires_at <= self._now():
                raise OAuthError(
                    400, "invalid_grant", "The authorization code is invalid, expired or used."
                )
            if redirect_uri != pending.redirect_uri:
                raise OAuthError(
                    400, "invalid_grant", "redirect_uri does not match the authorization request."
                )
            return self._issue(pending.grant)

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """Spend a refresh token for a new token pair; the old access token stays valid."""
        with self._lock:
            grant = self._refresh.pop(refresh_token, None)
            if grant is None:
                raise OAuthError(
                    400,
                    "invalid_grant",
                    "The refresh token is invalid, revoked or already used "
                    "(a refresh token can only be used once).",
                )
            return self._issue(grant)

    def revoke_access_tokens(self) -> None:
        """Invalidate every OAuth access token issued so far (personal tokens are kept)."""
        with self._lock:
            self._access.clear()

    def revoke_refresh_tokens(self) -> None:
        """Invalidate every refresh token issued so far, as when a user revokes the app."""
        with self._lock:
            self._refresh.clear()

    def _issue(self, grant: Grant) -> dict[str, Any]:
        """Return a new token pair for `grant` (the caller holds the lock)."""
        access, refresh = _new_token("at"), _new_token("rt")
        ttl = self._config.access_token_ttl
        self._access[access] = _Issued(grant, self._now() + ttl)
        self._refresh[refresh] = grant
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": ttl,
            "token_type": "bearer",
            "scope": grant.scope_text,
        }

    def _now(self) -> float:
        return self._config.current_time().timestamp()


def _new_token(kind: str) -> str:
    return f"sim-{kind}-{secrets.token_urlsafe(24)}"
