"""Cursor pagination with an opaque `next_token` that remembers the original query (§5)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict, dataclass

import orjson

from oura_simulator.errors import detail
from oura_simulator.windows import Window


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts, and the window of the request that began the listing."""

    route: str  # the route key, "sandbox/" included, so a token only works where it came from
    offset: int
    start: float | None
    end: float | None
    params: dict[str, str]  # the window parameters as first sent

    @classmethod
    def resume_at(cls, route: str, offset: int, window: Window | None) -> Cursor:
        """Return the cursor of the page starting at `offset` of a listing over `window`."""
        if window is None:
            return cls(route, offset, None, None, {})
        return cls(route, offset, window.start, window.end, window.params)

    def window(self) -> Window | None:
        """Return the window of the listing this cursor continues (None: no date filter)."""
        if self.start is None or self.end is None:
            return None
        return Window(self.start, self.end, self.params)


def encode(cursor: Cursor) -> str:
    """Return the cursor as an opaque URL-safe token."""
    return base64.urlsafe_b64encode(orjson.dumps(asdict(cursor))).rstrip(b"=").decode()


def decode(token: str, route: str) -> Cursor:
    """Return the cursor inside a token from `route`; 400 for anything else."""
    try:
        padded = token + "=" * (-len(token) % 4)
        cursor = Cursor(**orjson.loads(base64.urlsafe_b64decode(padded)))
    except (binascii.Error, orjson.JSONDecodeError, TypeError, ValueError):
        raise detail(400, "Invalid next_token.") from None
    valid = (
        isinstance(cursor.offset, int)
        and cursor.offset >= 0
        and isinstance(cursor.params, dict)
        and all(isinstance(v, (int, float)) or v is None for v in (cursor.start, cursor.end))
    )
    if not valid or cursor.route != route:
        raise detail(400, "Invalid next_token.")
    return cursor


def check_same_query(cursor: Cursor, params: dict[str, str]) -> None:
    """Refuse a follow-up page whose resent window parameters differ from the first request's."""
    if params and params != cursor.params:
        raise detail(400, "The query parameters do not match those of the next_token.")
