"""Everything one running simulator holds: data, tokens, faults and counters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from oura_simulator.auth import AuthServer
from oura_simulator.config import SANDBOX_USER
from oura_simulator.dataset import Dataset
from oura_simulator.faults import Faults
from oura_simulator.stats import Stats

if TYPE_CHECKING:
    from collections.abc import Mapping

    from oura_simulator.config import SimulatorConfig

REVOCATIONS = ("revoke_access_tokens", "revoked_grant")


@dataclass(frozen=True)
class UserCredentials:
    """How a client authenticates as one simulated user."""

    number: int
    timezone: str
    personal_info_id: str
    personal_access_token: str
    refresh_token: str  # the initial one; it rotates away on first use

    def to_json(self) -> dict[str, Any]:
        """Return the credentials as JSON-ready data."""
        return {
            "number": self.number,
            "timezone": self.timezone,
            "personal_info_id": self.personal_info_id,
            "personal_access_token": self.personal_access_token,
            "refresh_token": self.refresh_token,
        }


@dataclass(frozen=True)
class SimulatorState:
    """The shared state behind the HTTP app and the Python API."""

    config: SimulatorConfig
    dataset: Dataset
    auth: AuthServer
    faults: Faults
    stats: Stats

    @classmethod
    def from_config(cls, config: SimulatorConfig) -> SimulatorState:
        """Build a fresh state: data, tokens for every user, no faults, zero counters."""
        dataset = Dataset(config)
        return cls(config, dataset, AuthServer(config, dataset.users), Faults(), Stats())

    def users(self) -> list[UserCredentials]:
        """Return every real user's credentials."""
        return [
            UserCredentials(
                number=user,
                timezone=self.config.timezone_name(user),
                personal_info_id=self.dataset.profile(user).personal_info_id,
                personal_access_token=self.auth.personal_access_tokens[user],
                refresh_token=self.auth.initial_refresh_tokens[user],
            )
            for user in self.dataset.users
        ]

    def apply_faults(self, settings: Mapping[str, Any]) -> None:
        """Apply fault settings; the two revocations act once, now, and are not remembered."""
        remembered = {name: value for name, value in settings.items() if name not in REVOCATIONS}
        for name in REVOCATIONS:
            if not isinstance(settings.get(name, False), bool):
                raise ValueError(f"{name} must be true or false")
        self.faults.update(remembered)  # validates everything before anything changes
        if settings.get("revoke_access_tokens"):
            self.auth.revoke_access_tokens()
        if settings.get("revoked_grant"):
            self.auth.revoke_refresh_tokens()

    def info(self) -> dict[str, Any]:
        """Return the configuration summary and every user's credentials."""
        config = self.config
        return {
            "config": {
                "seed": config.seed,
                "users": config.users,
                "days": config.days,
                "first_day": config.first_day.isoformat() if config.first_day else None,
                "page_size": config.page_size,
                "series_page_size": config.series_page_size,
                "access_token_ttl": config.access_token_ttl,
                "portal": config.portal,
                "client_id": config.client_id,
                "client_secret": config.client_secret,
                "latency_ms": config.latency_ms,
                "now": config.current_time().isoformat(),
            },
            "users": [user.to_json() for user in self.users()],
            "sandbox_user": {
                "number": SANDBOX_USER,
                "timezone": config.timezone_name(SANDBOX_USER),
            },
        }
