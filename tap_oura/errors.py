"""What each Oura failure means and what the operator should do about it.

Oura's status codes are overloaded (reference/oura-api.md §8): 401 is an expired token, or a scope
this app was not granted on some routes (§12.11); 403 is an expired membership, or a missing
scope; 426 means the phone app is too old to share a data type. The exceptions below carry the
message an operator needs; none of them ever includes a token.
"""

from __future__ import annotations

import typing as t

from singer_sdk.exceptions import FatalAPIError, RetriableAPIError, SkippableAPIError

if t.TYPE_CHECKING:
    import requests

REAUTHORIZE = (
    "Authorise the Oura application again with `oura-collector auth` (it stores the new "
    "refresh token in the configured token store)."
)


class OuraTapError(Exception):
    """An error the operator must act on; the tap exits non-zero with this message only."""


class CredentialsMissing(OuraTapError):
    """No usable Oura credentials are configured."""


class RefreshTokenRejected(OuraTapError, FatalAPIError):
    """Oura's token endpoint refused the refresh token."""


class AccessTokenRejected(OuraTapError, FatalAPIError):
    """A non-refreshable token (a legacy personal access token) was refused."""


class MembershipExpired(OuraTapError, FatalAPIError):
    """Oura refuses every data route for this user."""


class RequestRejected(OuraTapError, FatalAPIError):
    """Oura rejected a request's parameters (400/422): a bug in the tap or a changed API."""


class RetryWithFreshToken(RetriableAPIError):
    """Oura refused an access token that can be refreshed: refresh it and retry at once."""


class StreamUnavailable(SkippableAPIError):
    """This stream cannot be collected for this user; the other streams still can."""

    #: True when the stream's absence must fail the run once the other streams are done.
    fails_run: bool = False


class StreamNotAuthorized(StreamUnavailable):
    """The app was not granted the scope this route needs (403, or 401 after a fresh token)."""


class StreamNotFound(StreamUnavailable):
    """The route does not exist for this account or API version (404)."""


class AppUpdateRequired(StreamUnavailable):
    """The wearer's Oura app is too old to share this data type (426)."""

    fails_run = True


def api_detail(response: requests.Response) -> str:
    """Return Oura's own explanation from an error body (`detail` string or validation list)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300].strip() or response.reason
    detail = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(detail, list):
        return "; ".join(
            f"{'.'.join(str(part) for part in item.get('loc', []))}: {item.get('msg', item)}"
            for item in detail
            if isinstance(item, dict)
        )
    if isinstance(body, dict) and "error" in body:
        return f"{body['error']}: {body.get('error_description', '')}".strip(": ")
    return str(detail)[:300]


def for_status(
    status: int,
    *,
    stream: str,
    scope: str | None,
    detail: str,
) -> Exception | None:
    """Return the exception for a non-retriable Oura status on a data route, or None if OK."""
    scope_hint = f"the '{scope}' scope" if scope else "the permission it needs"
    if status == 403:
        if stream == "personal_info":
            return MembershipExpired(
                "Oura answered 403 Forbidden for personal_info, which every token may read: "
                "the ring owner's Oura membership has most likely expired (the API serves "
                "members only). Renew it in the Oura app, then run again. Nothing was collected."
            )
        return StreamNotAuthorized(
            f"Oura answered 403 Forbidden for {stream}: this app was not granted {scope_hint}. "
            f"Skipping {stream}; to collect it, re-authorise with that scope "
            f"(`oura-collector auth`)."
        )
    if status == 404:
        return StreamNotFound(
            f"Oura answered 404 Not Found for {stream} ({detail}): the route is not available "
            f"for this account. Skipping {stream}."
        )
    if status == 426:
        return AppUpdateRequired(
            f"Oura answered 426 Upgrade Required for {stream}: the ring owner must update the "
            f"Oura mobile app before Oura shares this data type. The other streams were collected."
        )
    if 400 <= status < 500:
        return RequestRejected(
            f"Oura rejected the request for {stream} ({status}): {detail}. This points at a "
            f"bug in tap-oura's request parameters or a change in Oura's API; please report it."
        )
    return None
