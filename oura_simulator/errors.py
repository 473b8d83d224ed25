"""Error answers in Oura's shapes: FastAPI `detail` bodies for data routes (reference §8)."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An HTTP error answer: its status, JSON body and extra headers."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        """Describe the answer; the app's error handler sends it."""
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}


class DropConnection(Exception):
    """Close the client's connection without answering (a simulated network failure)."""


def detail(status: int, message: str) -> ApiError:
    """Return an error with a plain `{"detail": message}` body."""
    return ApiError(status, {"detail": message})


def problem(
    where: str, name: str, message: str, value: str | None, kind: str = "value_error"
) -> dict[str, Any]:
    """Return one FastAPI validation problem about a query or path parameter."""
    return {"type": kind, "loc": [where, name], "msg": message, "input": value}


def invalid(*problems: dict[str, Any]) -> ApiError:
    """Return a 422 listing every validation problem, as FastAPI does."""
    return ApiError(422, {"detail": list(problems)})


def invalid_query(
    name: str, message: str, value: str | None, kind: str = "value_error"
) -> ApiError:
    """Return a 422 about one query parameter."""
    return invalid(problem("query", name, message, value, kind))
