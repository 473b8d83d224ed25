"""How a simulator instance is set up: users, history length, page sizes, OAuth client, clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from collections.abc import Callable

Portal = Literal["legacy", "new"]

# User 1 lives in a zone with DST at the end of October, user 2 west of UTC, user 3 east of it.
DEFAULT_TIMEZONES: tuple[str, ...] = (
    "Europe/Paris",
    "America/New_York",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Los_Angeles",
    "Asia/Kolkata",
)
SANDBOX_USER = 0
SANDBOX_TIMEZONE = "UTC"


def utc_now() -> datetime:
    """Return the real current time; the default clock."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything that shapes one simulated Oura: who exists, what history, which limits."""

    seed: int = 7
    users: int = 1
    days: int = 30
    first_day: date | None = None
    timezones: tuple[str, ...] = DEFAULT_TIMEZONES
    now: Callable[[], datetime] = field(default=utc_now, compare=False)
    page_size: int = 500
    series_page_size: int = 10_000
    access_token_ttl: int = 86_400
    portal: Portal = "legacy"
    client_id: str = "sim-client-id"
    client_secret: str = "sim-client-secret"
    latency_ms: int = 0

    def __post_init__(self) -> None:
        """Refuse settings that would make a silently broken simulator."""
        if self.users < 1 or self.days < 1:
            raise ValueError("users and days must be at least 1")
        if self.page_size < 1 or self.series_page_size < 1:
            raise ValueError("page sizes must be at least 1")
        if self.portal not in ("legacy", "new"):
            raise ValueError(f"portal must be 'legacy' or 'new', not {self.portal!r}")
        if not self.timezones:
            raise ValueError("at least one timezone is needed")
        for name in self.timezones:
            ZoneInfo(name)  # raises for an unknown zone

    def timezone_name(self, user: int) -> str:
        """Return the IANA zone a user lives in (the list is cycled; the sandbox user is UTC)."""
        if user == SANDBOX_USER:
            return SANDBOX_TIMEZONE
        return self.timezones[(user - 1) % len(self.timezones)]

    def current_time(self) -> datetime:
        """Return the simulator's 'now' as an aware UTC datetime."""
        return self.now().astimezone(UTC)
