"""What a run left in PostgreSQL: rows and distinct keys per stream, and a key-by-key comparison.

Rows loaded are counted in `raw_oura.*` after a run. A duplicate is a key stored twice
(`count(*)` > distinct keys; the tables have primary keys, so this should never happen), and the
truth is what the simulator serves for the same windows, as loaded by the floor loader: keys in
the pipeline's tables and not in the floor's are extra, keys only in the floor's are missing.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from tap_oura.routes import ROUTES, Route, Window

RAW_SCHEMA = "raw_oura"
FLOOR_SCHEMA = "floor"
EXAMPLES = 3


def _key_expressions(route: Route) -> list[sql.Composable]:
    """Return a route's key columns in a form both loaders' tables agree on."""
    expressions: list[sql.Composable] = []
    for name in route.primary_keys:
        column = sql.Identifier(name)
        if route.window is Window.DATETIMES and name == "timestamp":
            # raw_oura: timestamp without time zone holding UTC; floor: timestamptz.
            expressions.append(sql.SQL("extract(epoch from {})::bigint").format(column))
        else:
            expressions.append(sql.SQL("{}::text").format(column))
    return expressions


def _exists(connection: psycopg.Connection, schema: str, table: str) -> bool:
    row = connection.execute("select to_regclass(%s)", (f"{schema}.{table}",)).fetchone()
    return bool(row and row[0])


def stream_counts(uri: str, schema: str = RAW_SCHEMA) -> dict[str, dict[str, int] | None]:
    """Return {stream: {rows, distinct_keys}} (None for a table that does not exist)."""
    counts: dict[str, dict[str, int] | None] = {}
    with psycopg.connect(uri, autocommit=True) as connection:
        for route in ROUTES:
            if not _exists(connection, schema, route.name):
                counts[route.name] = None
                continue
            keys: sql.Composable = sql.SQL(", ").join(map(sql.Identifier, route.primary_keys))
            if len(route.primary_keys) > 1:
                keys = sql.SQL("row({})").format(keys)
            query = sql.SQL("select count(*), count(distinct {}) from {}").format(
                keys, sql.Identifier(schema, route.name)
            )
            row = connection.execute(query).fetchone()
            assert row is not None
            counts[route.name] = {"rows": int(row[0]), "distinct_keys": int(row[1])}
    return counts


def totals(counts: dict[str, dict[str, int] | None]) -> dict[str, int]:
    """Return the rows and duplicate keys over every stream."""
    present = [entry for entry in counts.values() if entry]
    rows = sum(entry["rows"] for entry in present)
    return {"rows": rows, "duplicates": rows - sum(entry["distinct_keys"] for entry in present)}


def _keys(uri: str, schema: str, route: Route) -> set[tuple[Any, ...]]:
    with psycopg.connect(uri, autocommit=True) as connection:
        if not _exists(connection, schema, route.name):
            return set()
        query = sql.SQL("select {} from {}").format(
            sql.SQL(", ").join(_key_expressions(route)), sql.Identifier(schema, route.name)
        )
        return set(connection.execute(query).fetchall())


def compare_with_floor(pipeline_uri: str, floor_uri: str) -> dict[str, Any]:
    """Compare the pipeline's keys with the floor's, stream by stream.

    The two runs happened at different moments, so time series are compared on the span both
    cover (rows recorded after the earlier run ended are not a difference).
    """
    streams: dict[str, Any] = {}
    missing_total = extra_total = 0
    for route in ROUTES:
        stored, truth = (
            _keys(pipeline_uri, RAW_SCHEMA, route),
            _keys(floor_uri, FLOOR_SCHEMA, route),
        )
        if route.window is Window.DATETIMES and stored and truth:
            low = max(min(key[0] for key in stored), min(key[0] for key in truth))
            high = min(max(key[0] for key in stored), max(key[0] for key in truth))
            stored = {key for key in stored if low <= key[0] <= high}
            truth = {key for key in truth if low <= key[0] <= high}
        missing, extra = truth - stored, stored - truth
        missing_total += len(missing)
        extra_total += len(extra)
        streams[route.name] = {
            "pipeline_keys": len(stored),
            "floor_keys": len(truth),
            "missing": len(missing),
            "extra": len(extra),
            "missing_examples": [list(key) for key in sorted(missing)[:EXAMPLES]],
            "extra_examples": [list(key) for key in sorted(extra)[:EXAMPLES]],
        }
    return {"missing": missing_total, "extra": extra_total, "streams": streams}
