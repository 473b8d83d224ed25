"""The wearer and their rings: personal_info and ring_configuration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from oura_simulator import seeding

if TYPE_CHECKING:
    from oura_simulator.profile import Profile

Record = dict[str, Any]

# An old ring reports this set-up time (reference §3.18, §12.10).
EPOCH_SENTINEL = "1970-01-01T00:00:00+00:00"
CURRENT_RING_COLORS = ("brushed_silver", "silver", "stealth_black", "matt_gold", "rose", "titanium")


def personal_info(profile: Profile) -> Record:
    """Return the wearer's personal info, every field filled (scopes may blank some later)."""
    return {
        "id": profile.personal_info_id,
        "age": profile.age,
        "weight": profile.weight,
        "height": profile.height,
        "biological_sex": profile.biological_sex,
        "email": profile.email,
    }


def ring_configuration(seed: int, profile: Profile) -> list[Record]:
    """Return the wearer's two rings: an old Gen3 and the current Gen4."""
    rng = seeding.rng(seed, profile.user, "ring_configuration")
    size = rng.randint(6, 13)
    set_up = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 300 * 86_400))
    return [
        {
            "id": seeding.stable_uuid(seed, profile.user, "ring_configuration", 0),
            "color": "stealth_black",
            "design": "heritage",
            "firmware_version": "2.9.26",
            "hardware_type": "gen3",
            "set_up_at": EPOCH_SENTINEL,
            "size": size,
        },
        {
            "id": seeding.stable_uuid(seed, profile.user, "ring_configuration", 1),
            "color": rng.choice(CURRENT_RING_COLORS),
            "design": "horizon",
            "firmware_version": f"3.{rng.randint(0, 4)}.{rng.randint(0, 30)}",
            "hardware_type": "gen4",
            "set_up_at": set_up.isoformat(timespec="seconds"),
            "size": size,
        },
    ]
