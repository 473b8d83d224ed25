"""The floor: the same Oura data fetched and loaded by the most direct loader this machine runs.

For each of the tap's 19 routes, request exactly the windows the tap requests (`tap_oura.windows`,
same settings, no bookmark), follow `next_token` with one keep-alive `requests.Session`, parse
pages with orjson, keep a window's records the way the tap does (inside the window, once per key),
and load them in large batches: `COPY` into a temporary table, then `INSERT ... ON CONFLICT (keys)
DO UPDATE` into `floor.<stream>`. Sequential, like the tap; one process, one connection.

Heart rate and battery rows get typed columns (like target-postgres makes them); documents get
their key columns and the whole record as `jsonb`.

Run alone (the token and DSN may come from $OURA_BENCH_FLOOR_TOKEN / $OURA_BENCH_FLOOR_DSN):
    .venv/bin/python bench/floor.py --api-url URL --token PAT --dsn postgresql://... --days 365
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import psycopg
import requests
from psycopg import sql

from tap_oura import windows
from tap_oura.routes import ROUTES, Route, Window

COLLECTION_PATH = "/v2/usercollection"
# Secrets travel in the environment, not on the command line (visible in ps, kept in results).
TOKEN_ENV = "OURA_BENCH_FLOOR_TOKEN"
DSN_ENV = "OURA_BENCH_FLOOR_DSN"
SCHEMA = "floor"
DEFAULT_BATCH_ROWS = 50_000
# Typed columns of the two time series (the fields Oura sends), the rest are documents.
SERIES_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "heartrate": (
        ("timestamp", "timestamptz"),
        ("timestamp_unix", "bigint"),
        ("bpm", "integer"),
        ("source", "text"),
    ),
    "ring_battery_level": (
        ("timestamp", "timestamptz"),
        ("timestamp_unix", "bigint"),
        ("charging", "boolean"),
        ("in_charger", "boolean"),
        ("level", "integer"),
    ),
}


@dataclass
class StreamFigures:
    """What the floor did for one route."""

    records: int = 0
    requests: int = 0
    bytes: int = 0
    rows: int = 0
    seconds: float = 0.0


@dataclass
class FloorFigures:
    """What the floor did in total."""

    days: int
    streams: dict[str, StreamFigures] = field(default_factory=dict)
    fetch_seconds: float = 0.0
    load_seconds: float = 0.0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready figures, with totals."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        rows = sum(entry.rows for entry in self.streams.values())
        return {
            "days": self.days,
            "rows": rows,
            "records": sum(entry.records for entry in self.streams.values()),
            "requests": sum(entry.requests for entry in self.streams.values()),
            "bytes": sum(entry.bytes for entry in self.streams.values()),
            "seconds": round(self.seconds, 3),
            "fetch_seconds": round(self.fetch_seconds, 3),
            "load_seconds": round(self.load_seconds, 3),
            "rows_per_second": round(rows / self.seconds, 1) if self.seconds else None,
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "streams": {
                name: {
                    "records": entry.records,
                    "requests": entry.requests,
                    "bytes": entry.bytes,
                    "rows": entry.rows,
                    "seconds": round(entry.seconds, 3),
                }
                for name, entry in self.streams.items()
            },
        }


class TableLoader:
    """Batches of one route's rows: COPY into a temp table, upsert into floor.<route>."""

    def __init__(self, connection: psycopg.Connection, route: Route, batch_rows: int) -> None:
        """Create floor.<route> and its staging table."""
        self.connection = connection
        self.route = route
        self.batch_rows = batch_rows
        self.rows: list[tuple[Any, ...]] = []
        self.seconds = 0.0
        typed = SERIES_COLUMNS.get(route.name)
        if typed is not None:
            self.columns = tuple(name for name, _ in typed)
            definitions = typed
        else:
            self.columns = (*route.primary_keys, "record")
            definitions = (*((key, "text") for key in route.primary_keys), ("record", "jsonb"))
        table = sql.Identifier(SCHEMA, route.name)
        self.stage = sql.Identifier(f"stage_{route.name}")
        columns = sql.SQL(", ").join(map(sql.Identifier, self.columns))
        keys = sql.SQL(", ").join(map(sql.Identifier, route.primary_keys))
        others = [name for name in self.columns if name not in route.primary_keys]
        updates = sql.SQL(", ").join(
            sql.SQL("{0} = excluded.{0}").format(sql.Identifier(name)) for name in others
        )
        column_definitions = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind))
            for name, kind in definitions
        )
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("create table {} ({}, primary key ({}))").format(
                    table, column_definitions, keys
                )
            )
            cursor.execute(
                sql.SQL("create temporary table {} (like {}) on commit delete rows").format(
                    self.stage, table
                )
            )
        connection.commit()
        self.copy_sql = sql.SQL("copy {} ({}) from stdin").format(self.stage, columns)
        self.upsert_sql = sql.SQL(
            "insert into {table} ({columns}) select {columns} from {stage} "
            "on conflict ({keys}) do update set {updates}"
        ).format(table=table, columns=columns, stage=self.stage, keys=keys, updates=updates)

    def add(self, record: dict[str, Any], key: tuple[Any, ...]) -> None:
        """Queue one record; load the batch when it is full."""
        if self.route.name in SERIES_COLUMNS:
            self.rows.append(tuple(record.get(name) for name in self.columns))
        else:
            self.rows.append((*key, orjson.dumps(record).decode()))
        if len(self.rows) >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        """Load the queued rows in one transaction."""
        if not self.rows:
            return
        started = time.perf_counter()
        with self.connection.cursor() as cursor:
            with cursor.copy(self.copy_sql) as copy:
                for row in self.rows:
                    copy.write_row(row)
            cursor.execute(self.upsert_sql)
        self.connection.commit()
        self.rows.clear()
        self.seconds += time.perf_counter() - started

    def count(self) -> int:
        """Return the rows in floor.<route>."""
        query = sql.SQL("select count(*) from {}").format(sql.Identifier(SCHEMA, self.route.name))
        row = self.connection.execute(query).fetchone()
        self.connection.commit()
        return int(row[0]) if row else 0


def plan(route: Route, days: int, tz: ZoneInfo) -> list[windows.Request | None]:
    """Return the tap's requests for a first run of `route` (None: one unfiltered request)."""
    if route.window is Window.NONE:
        return [None]
    settings = windows.Settings(days_to_backfill=days, lookback_days=route.lookback_days)
    planner = windows.plan_dates if route.window is Window.DATES else windows.plan_instants
    return list(planner(settings, now=datetime.now(UTC), tz=tz, bookmark=None).requests)


def record_key(route: Route, record: dict[str, Any]) -> tuple[Any, ...]:
    """Return a record's primary key, with the tap's fallbacks for records lacking a key field."""
    return tuple(
        record.get(name)
        if record.get(name) is not None
        else record.get(route.key_fallbacks.get(name, name))
        for name in route.primary_keys
    )


def window_value(route: Route, record: dict[str, Any]) -> str:
    """Return the record's replication key in the form the window bounds compare with."""
    value = record[route.replication_key or ""]
    if route.window is Window.DATETIMES:
        return windows.comparable_instant(value)
    return str(value)


def run(
    api_url: str,
    token: str,
    dsn: str,
    days: int,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    timezone: str = "UTC",
) -> FloorFigures:
    """Fetch and load every route for a `days`-day backfill; return what was done."""
    figures = FloorFigures(days=days)
    tz = ZoneInfo(timezone)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    base = api_url.rstrip("/") + COLLECTION_PATH
    started = time.perf_counter()
    with psycopg.connect(dsn) as connection:
        connection.execute(
            sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(SCHEMA))
        )
        connection.execute(sql.SQL("create schema {}").format(sql.Identifier(SCHEMA)))
        connection.commit()
        for route in ROUTES:
            stream_started = time.perf_counter()
            entry = figures.streams.setdefault(route.name, StreamFigures())
            loader = TableLoader(connection, route, batch_rows)
            url = f"{base}/{route.url_segment}"
            for request in plan(route, days, tz):
                seen: set[tuple[Any, ...]] = set()
                params = dict(request.params) if request is not None else {}
                while True:
                    fetch_started = time.perf_counter()
                    response = session.get(url, params=params, timeout=120)
                    response.raise_for_status()
                    body = orjson.loads(response.content)
                    figures.fetch_seconds += time.perf_counter() - fetch_started
                    entry.requests += 1
                    entry.bytes += len(response.content)
                    records = [body] if route.singleton else body.get("data") or []
                    for record in records:
                        if request is not None and not request.emits(window_value(route, record)):
                            continue
                        key = record_key(route, record)
                        if key in seen:
                            continue
                        seen.add(key)
                        entry.records += 1
                        loader.add(record, key)
                    next_token = None if route.singleton else body.get("next_token")
                    if not next_token:
                        break
                    params["next_token"] = next_token
            loader.flush()
            figures.load_seconds += loader.seconds
            entry.seconds = time.perf_counter() - stream_started
            entry.rows = loader.count()
    figures.seconds = time.perf_counter() - started
    return figures


def main(argv: list[str] | None = None) -> int:
    """Run the floor loader from the command line; print (or write) its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-url", required=True)
    parser.add_argument(
        "--token",
        default=os.environ.get(TOKEN_ENV),
        help=f"bearer token (personal access token); default ${TOKEN_ENV}",
    )
    parser.add_argument(
        "--dsn",
        default=os.environ.get(DSN_ENV),
        help=f"libpq URI of an existing database; default ${DSN_ENV}",
    )
    parser.add_argument("--days", type=int, required=True)
    parser.add_argument("--batch-rows", type=int, default=DEFAULT_BATCH_ROWS)
    parser.add_argument("--timezone", default="UTC")
    parser.add_argument("--report", type=Path, help="write the JSON figures here")
    args = parser.parse_args(argv)
    if not args.token or not args.dsn:
        parser.error(f"--token and --dsn (or ${TOKEN_ENV} and ${DSN_ENV}) are required")
    figures = run(
        args.api_url,
        args.token,
        args.dsn,
        args.days,
        batch_rows=args.batch_rows,
        timezone=args.timezone,
    )
    text = json.dumps(figures.to_dict(), indent=2)
    if args.report:
        args.report.write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
