"""Everything HTTP for every Oura stream: base URL, auth, paging, retries, what errors mean.

Streams (`streams.py`) only decide which windows to ask for; this class decides how to ask.
"""

from __future__ import annotations

import gzip
import random
import time
import typing as t
import uuid
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime

import fastjsonschema
import orjson
import requests
from singer_sdk import RESTStream
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.pagination import JSONPathPaginator

from tap_oura import errors
from tap_oura.schemas import OURA_SCHEMAS

if t.TYPE_CHECKING:
    from collections.abc import Generator, Iterable, Iterator

    from singer_sdk.helpers._batch import BaseBatchFileEncoding, BatchConfig
    from singer_sdk.helpers.types import Context

    from tap_oura.report import StreamReport
    from tap_oura.routes import Route
    from tap_oura.tap import TapOura

COLLECTION_PATH = "/v2/usercollection"
SANDBOX_PATH = "/v2/sandbox/usercollection"
MAX_RETRY_WAIT_SECONDS = 300.0  # a longer Retry-After fails the run instead of stalling it
WRITE_CHUNK_RECORDS = 1000
BATCH_FILE_MAX_BYTES = 1024 * 1024  # uncompressed JSON per BATCH file: the target reads it whole,
# with every number as a Decimal (~100 bytes each), so 1 MB of JSON is ~20-40 MB in the target


class NextTokenPaginator(JSONPathPaginator):
    """Follow `next_token` until it is null, even across an empty page (Oura never promised)."""

    def continue_if_empty(self, response: requests.Response) -> bool:
        """Keep paging while the server hands out a token."""
        return self.has_more(response)


class OuraStream(RESTStream):
    """An Oura collection route: requests, retries and error meanings; windows are subclasses'."""

    next_page_token_jsonpath = "$.next_token"
    # Every record is validated against the spec-derived schema in `checked()` and arrives as
    # plain JSON types, so the SDK's per-field conformance pass (a third of the tap's time at
    # heart-rate volumes) has nothing left to do; `checked()` drops unknown fields itself.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: TapOura, route: Route) -> None:
        """Build the stream described by `route`, with its schema from the vendored spec."""
        self.route = route
        super().__init__(
            tap,
            name=route.name,
            schema=OURA_SCHEMAS.get_schema(route.url_segment, key_properties=route.primary_keys),
            path=f"/{route.url_segment}",
        )
        self.primary_keys = route.primary_keys
        self.replication_key = route.replication_key
        self._validate = fastjsonschema.compile(self.schema)
        self._advance_bookmark = True
        self._reported_unknown: set[str] = set()
        self._newest: tuple[t.Any, dict[str, t.Any]] | None = None

    @property
    def oura_tap(self) -> TapOura:
        """Return the tap, for its shared authenticator, HTTP session and run report."""
        return t.cast("TapOura", self._tap)

    @property
    def report(self) -> StreamReport:
        """Return this stream's entry in the run report."""
        return self.oura_tap.report.stream(self.name)

    @property
    def url_base(self) -> str:
        """Return the collection root, live or sandbox."""
        prefix = SANDBOX_PATH if self.config.get("sandbox") else COLLECTION_PATH
        return self.config["api_url"].rstrip("/") + prefix

    @property
    def authenticator(self) -> t.Any:
        """Share one authenticator across streams, so a refresh serves them all."""
        return self.oura_tap.authenticator

    @property
    def requests_session(self) -> requests.Session:
        """Share one connection pool across streams."""
        return self.oura_tap.http_session

    @property
    def timeout(self) -> int:
        """Return the per-request timeout from `api_timeout`."""
        return int(self.config["api_timeout"])

    @property
    def user_agent(self) -> str:
        """Identify the tap to Oura."""
        return f"tap-oura/{self.oura_tap.plugin_version}"

    def get_new_paginator(self) -> NextTokenPaginator:
        """Page with `next_token`."""
        return NextTokenPaginator(self.next_page_token_jsonpath)

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        """Send the window's filters on every page, plus the page token (reference §5)."""
        params = dict(context or {})
        if next_page_token:
            params["next_token"] = next_page_token
        return params

    def request_records(self, context: Context | None) -> Iterator[dict[str, t.Any]]:
        """Follow `next_token`, fetching the next page while this page's records are processed.

        One request is in flight at a time, as in the SDK's loop, but it overlaps the work on the
        previous page, so API latency hides behind processing on long, paginated backfills.
        """
        paginator = self.get_new_paginator()
        fetch = self.request_decorator(self._request)
        with (
            self.get_http_request_counter() as counter,
            ThreadPoolExecutor(1, thread_name_prefix=f"{self.name}-page") as pool,
        ):
            counter.with_context(context)
            pending = pool.submit(
                fetch, self._prepare_request(context=context, page=paginator), context
            )
            while pending is not None:
                response = pending.result()
                counter.increment()
                paginator.advance(response)
                pending = None
                if not paginator.finished:
                    request = self._prepare_request(context=context, page=paginator)
                    pending = pool.submit(fetch, request, context)
                yield from self.parse_response(response)

    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        """Return the page's records (floats stay floats; no JSONPath walk per record)."""
        body = orjson.loads(response.content)
        if b"\\u0000" in response.content:  # PostgreSQL text cannot hold NUL: drop it here, once
            body = _without_nul(body)
        return [body] if self.route.singleton else body.get("data") or []

    # --- errors and retries ------------------------------------------------------------------

    def validate_response(self, response: requests.Response) -> None:
        """Classify a response: fine, retriable, refresh-and-retry, skip this stream, or fatal."""
        self.report.requests += 1
        status = response.status_code
        if status < 400:
            return
        self.report.count_status(status)
        if status == 429 or status >= 500:
            raise RetriableAPIError(self.response_error_message(response), response)
        if status == 401:
            raise self._unauthorized(response)
        problem = errors.for_status(
            status, stream=self.name, scope=self.route.scope, detail=errors.api_detail(response)
        )
        if problem is not None:
            raise problem

    def _unauthorized(self, response: requests.Response) -> Exception:
        """Refresh once; a brand-new token that is still refused means a missing scope."""
        used = response.request.headers.get("Authorization", "").removeprefix("Bearer ")
        authenticator = self.authenticator
        if not authenticator.can_refresh:
            return errors.AccessTokenRejected(
                "Oura refused the personal access token (401 Unauthorized). Oura retired "
                "personal access tokens in December 2025; configure OAuth instead (client_id, "
                f"client_secret, refresh_token). {errors.REAUTHORIZE}"
            )
        if authenticator.was_refreshed_here(used):
            scope = f"the '{self.route.scope}' scope" if self.route.scope else "its scope"
            return errors.StreamNotAuthorized(
                f"Oura answered 401 for {self.name} even with a freshly refreshed token: this app "
                f"was probably not granted {scope}. Skipping {self.name}; re-authorise with that "
                f"scope to collect it."
            )
        authenticator.invalidate(used)
        return errors.RetryWithFreshToken("401 Unauthorized: refreshing the token", response)

    def response_error_message(self, response: requests.Response) -> str:
        """Describe a failed response by route and status (never headers, which carry auth)."""
        detail = errors.api_detail(response)
        return f"Oura answered {response.status_code} for {self.name} ({self.path}): {detail}"

    def request_decorator(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """Retry as the SDK does; once retries run out, say what failed and that we gave up."""
        with_retries = super().request_decorator(func)
        attempts = self.backoff_max_tries()

        def request(*args: t.Any, **kwargs: t.Any) -> t.Any:
            try:
                return with_retries(*args, **kwargs)
            except RetriableAPIError as exc:
                msg = f"{exc} - gave up after {attempts} attempts; Oura may be overloaded or down. "
                raise errors.OuraTapError(msg + "The next run tries again.") from None
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                msg = f"Could not reach Oura at {self.config['api_url']} for {self.name} "
                msg += (
                    f"({type(exc).__name__}, {attempts} attempts). Check the network and api_url."
                )
                raise errors.OuraTapError(msg) from None

        return request

    def backoff_max_tries(self) -> int:
        """Try once plus `max_retries` times."""
        return int(self.config["max_retries"]) + 1

    def backoff_wait_generator(self) -> Generator[float, t.Any, None]:
        """Wait as Oura asks on 429, at once after a token refresh, else `retry_delay` x 2^n."""
        attempt = 0
        exception = yield 0.0
        while True:
            attempt += 1
            exception = yield self._retry_wait(exception, attempt)

    def _retry_wait(self, exception: Exception, attempt: int) -> float:
        if isinstance(exception, errors.RetryWithFreshToken):
            return 0.0
        response = getattr(exception, "response", None)
        if response is not None and response.status_code == 429:
            wait = _rate_limit_wait(response)
            if wait is not None:
                if wait > MAX_RETRY_WAIT_SECONDS:
                    msg = f"Oura rate-limited {self.name} and asks to wait {wait:.0f} s (over "
                    msg += f"{MAX_RETRY_WAIT_SECONDS:.0f} s); stopping this run, retry later."
                    raise errors.OuraTapError(msg) from exception
                return wait
        return float(self.config["retry_delay"]) * 2 ** (attempt - 1)

    def backoff_jitter(self, value: float) -> float:
        """Add up to 10% jitter, so parallel collectors do not retry in lockstep."""
        return value * (1 + random.random() / 10)  # noqa: S311 (not cryptographic)

    def backoff_handler(self, details: t.Any) -> None:
        """Log each retry with its reason; the run report counts them."""
        self.report.retries += 1
        exception = details.get("exception")
        reason = (
            self.response_error_message(exception.response)
            if getattr(exception, "response", None) is not None
            else type(exception).__name__
        )
        self.logger.warning(
            "Retrying %s in %.1f s (attempt %d): %s",
            self.name,
            details.get("wait", 0.0),
            details.get("tries", 0),
            reason,
        )

    # --- records -----------------------------------------------------------------------------

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """Yield this run's records; a stream Oura will not serve is skipped with a warning."""
        started, report = time.monotonic(), self.report
        self._newest = None
        try:
            for record in self.collect(context):
                report.records += 1
                yield record
            self._move_bookmark(context)
        except errors.StreamUnavailable as exc:
            report.skip(str(exc), fails_run=exc.fails_run)
            self.logger.warning("%s", exc)
        finally:
            report.seconds += time.monotonic() - started

    def collect(self, context: Context | None) -> Iterator[dict[str, t.Any]]:
        """Yield the stream's records; full-table by default, windowed in subclasses."""
        yield from self.checked(self.request_records(None))

    def checked(self, records: Iterable[dict[str, t.Any]]) -> Iterator[dict[str, t.Any]]:
        """Fill fallback keys and hold back records that do not match the schema."""
        known = self.schema["properties"].keys()
        for record in records:
            if unknown := record.keys() - known:
                self._drop_unknown(record, unknown)
            for key, fallback in self.route.key_fallbacks.items():
                if record.get(key) in (None, "") and record.get(fallback) is not None:
                    record[key] = record[fallback]
            try:
                self._validate(record)
            except fastjsonschema.JsonSchemaValueException as exc:
                self.quarantine(record, exc.message)
                continue
            yield record

    def _drop_unknown(self, record: dict[str, t.Any], unknown: set[str]) -> None:
        """Drop fields the spec does not know (a newer API); say so once per field."""
        new = unknown - self._reported_unknown
        if new:
            self._reported_unknown |= new
            self.logger.warning(
                "%s records carry fields the Oura spec 1.37 lacks (dropped): %s",
                self.name,
                ", ".join(sorted(new)),
            )
        for name in unknown:
            del record[name]

    def quarantine(self, record: dict[str, t.Any], reason: str) -> None:
        """Skip a malformed record loudly, and keep the bookmark where it was so it is re-read."""
        key = {name: record.get(name) for name in self.primary_keys}
        self.report.quarantined += 1
        self.logger.error(
            "Malformed %s record %s skipped: %s. The stream's bookmark stays put so it is read "
            "again next run; the run will end with an error.",
            self.name,
            key,
            reason.removeprefix("data."),
        )
        self._advance_bookmark = False  # the bookmark only ever moves in `_move_bookmark`

    def _increment_stream_state(
        self, latest_record: dict[str, t.Any], *, context: Context | None = None
    ) -> None:
        """Remember the newest record; the bookmark moves once, when the stream has finished.

        The SDK would update the state for every record (a tenth of the tap's time at heart-rate
        volumes); our streams are unsorted, so only the final maximum ever counts anyway.
        """
        key = self.replication_key
        if not key or latest_record.get(key) is None:
            return
        value = self.bookmark_order(latest_record[key])
        if self._newest is None or value > self._newest[0]:
            self._newest = (value, latest_record)

    def bookmark_order(self, value: t.Any) -> t.Any:
        """Return the replication value in a form that sorts in time order."""
        return value

    def _move_bookmark(self, context: Context | None) -> None:
        """Move the bookmark to the newest record seen, if this run may move it at all."""
        newest, self._newest = self._newest, None
        if newest is not None and self._advance_bookmark:
            super()._increment_stream_state(newest[1], context=context)

    # Heart-rate and battery rows hold integers only, which the target keeps small: their files
    # are bounded by `batch_size` alone (fewer, larger COPYs); documents by bytes as well.
    batch_file_max_bytes = BATCH_FILE_MAX_BYTES

    def get_batches(
        self, batch_config: BatchConfig, context: Context | None = None
    ) -> Iterator[tuple[BaseBatchFileEncoding, list[str]]]:
        """Stream records into BATCH files with orjson and fast gzip, a bounded size per file.

        The SDK's batcher holds `batch_size` records before writing (a year of per-minute
        activity documents is ~100 MB) and uses simplejson with gzip level 9. Here each record is
        written as it comes, and a file ends at `batch_size` records or BATCH_FILE_MAX_BYTES, so
        the target, which reads one file at a time, stays small too.
        """
        storage = batch_config.storage
        sync_id = f"{self.tap_name}--{self.name}-{uuid.uuid4()}"
        records = iter(self._sync_records(context, write_messages=False))
        for number, first in enumerate(records, start=1):
            filename = f"{storage.prefix or ''}{sync_id}-{number}.json.gz"
            with (
                storage.open(filename, "wb") as handle,
                gzip.GzipFile(fileobj=handle, mode="wb", compresslevel=1) as gz,
            ):
                lines = [orjson.dumps(first)]
                count, size = 1, len(lines[0])
                while count < batch_config.batch_size and size < self.batch_file_max_bytes:
                    record = next(records, None)
                    if record is None:
                        break
                    lines.append(orjson.dumps(record))
                    count, size = count + 1, size + len(lines[-1])
                    if len(lines) == WRITE_CHUNK_RECORDS:  # one compress call per chunk
                        gz.write(b"\n".join(lines) + b"\n")
                        lines.clear()
                if lines:
                    gz.write(b"\n".join(lines) + b"\n")
            yield batch_config.encoding, [storage.get_url(filename)]


def _without_nul(value: t.Any) -> t.Any:
    """Return `value` with NUL characters removed from every string in it."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {key: _without_nul(item) for key, item in value.items()}
    return value


def _rate_limit_wait(response: requests.Response) -> float | None:
    """Read how long Oura asks us to wait: Retry-After (seconds or date), else X-RateLimit-Reset."""
    headers = response.headers
    retry_after = headers.get("Retry-After")
    if retry_after:
        if retry_after.strip().isdigit():
            return float(retry_after)
        try:
            return max(0.0, parsedate_to_datetime(retry_after).timestamp() - time.time())
        except (TypeError, ValueError):
            pass
    reset = headers.get("X-RateLimit-Reset")
    if reset and reset.strip().isdigit():
        return max(0.0, float(reset) - time.time())
    return None
