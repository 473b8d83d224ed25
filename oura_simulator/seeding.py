"""Deterministic randomness and ids: the same inputs always give the same data, in any order."""

from __future__ import annotations

import random
import uuid

_NAMESPACE = uuid.UUID("0c1f6e0a-7d3b-5b8e-9a41-5f2c8e7d6b10")


def _key(parts: tuple[object, ...]) -> str:
    return "/".join(str(part) for part in parts)


def rng(*parts: object) -> random.Random:
    """Return a generator seeded by `parts` alone, so windows and call order never matter."""
    return random.Random(_key(parts))  # noqa: S311 - synthetic health data, not secrets


def stable_uuid(*parts: object) -> str:
    """Return a UUID that is a pure function of `parts` (uuid5)."""
    return str(uuid.uuid5(_NAMESPACE, _key(parts)))
