"""Who each simulated wearer is: body, goals and habits that keep their records plausible."""

from __future__ import annotations

from dataclasses import dataclass

from oura_simulator import seeding


@dataclass(frozen=True)
class Profile:
    """A wearer's fixed traits; every generator reads these instead of inventing its own."""

    user: int
    personal_info_id: str
    age: int
    weight: float
    height: float
    biological_sex: str
    email: str
    resting_heart_rate: int
    vo2_max: int
    target_meters: int
    target_calories: int
    vo2_weekday: int  # weekday of the weekly VO2 max estimate
    tag_weekday: int  # weekday of the weekly (deprecated) tag
    ring_id: str


def make_profile(seed: int, user: int) -> Profile:
    """Return the deterministic profile of `user` under `seed`."""
    rng = seeding.rng(seed, user, "profile")
    sex = rng.choice(("female", "male"))
    height = round(rng.uniform(1.58, 1.75) if sex == "female" else rng.uniform(1.68, 1.95), 2)
    return Profile(
        user=user,
        personal_info_id=seeding.stable_uuid(seed, user, "personal_info"),
        age=rng.randint(24, 62),
        weight=round(height * height * rng.uniform(20.0, 27.0), 1),
        height=height,
        biological_sex=sex,
        email=f"sim-user-{user}@example.com",
        resting_heart_rate=rng.randint(46, 64),
        vo2_max=rng.randint(32, 52),
        target_meters=rng.randrange(7000, 12001, 500),
        target_calories=rng.randrange(350, 701, 50),
        vo2_weekday=rng.randrange(7),
        tag_weekday=rng.randrange(7),
        ring_id=seeding.stable_uuid(seed, user, "ring").replace("-", ""),
    )
