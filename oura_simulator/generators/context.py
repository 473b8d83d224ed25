"""What a record generator knows about the user-day it fills, and how it draws values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from oura_simulator import seeding

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date
    from random import Random
    from zoneinfo import ZoneInfo

    from oura_simulator.profile import Profile
    from oura_simulator.schedule import DaySchedule


class Reviser:
    """Shifts the values of a revised day; a day never revised keeps its original values."""

    def __init__(self, rng: Random | None) -> None:
        """Shift with `rng`; None means the day is unrevised and nothing moves."""
        self._rng = rng

    @property
    def active(self) -> bool:
        """Tell whether this day has been revised."""
        return self._rng is not None

    def shift(self, value: int, spread: int, low: int, high: int) -> int:
        """Move `value` by 1..`spread` within [low, high] (always a real change when possible)."""
        if self._rng is None:
            return value
        step = self._rng.randint(1, spread)
        moved = value + step if value + step <= high else value - step
        return max(low, moved)

    def amount(self, low: int, high: int) -> int:
        """Return a revision-specific amount in [low, high]; 0 for an unrevised day."""
        return 0 if self._rng is None else self._rng.randint(low, high)

    def shift_float(self, value: float, spread: float, digits: int) -> float:
        """Move `value` by up to ±`spread`, rounded to `digits`."""
        if self._rng is None:
            return value
        return round(value + self._rng.uniform(-spread, spread), digits)


@dataclass(frozen=True)
class DayContext:
    """One user-day, as seen by the generators of every route."""

    seed: int
    user: int
    day: date
    revision: int
    today: date
    tz: ZoneInfo
    profile: Profile
    plans: Callable[[date], DaySchedule]

    def rng(self, route: str, *parts: object) -> Random:
        """Return the revision-independent generator for `route` on this day."""
        return seeding.rng(self.seed, self.user, route, self.day, *parts)

    def reviser(self, route: str) -> Reviser:
        """Return the shifter for this day's current revision of `route`."""
        if self.revision == 0:
            return Reviser(None)
        return Reviser(seeding.rng(self.seed, self.user, route, self.day, "rev", self.revision))

    def document_id(self, route: str, index: object = 0) -> str:
        """Return the stable id of the `index`-th document of `route` on this day."""
        return seeding.stable_uuid(self.seed, self.user, route, self.day, index)

    def plan(self, days_after: int = 0) -> DaySchedule:
        """Return the schedule of this day, or of a day `days_after` it."""
        return self.plans(self.day + timedelta(days=days_after))
