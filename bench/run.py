"""Benchmark of the Oura pipeline against what this machine can do, measured side by side.

    .venv/bin/python bench/run.py [--quick] [--scenarios backfill,floor,steady,scaling,latency]
                                  [--days 365] [--days-scaling 30,365,1800] [--latency-days 1800]
                                  [--variant NAME] [--target-setting KEY=VALUE ...]
                                  [--output bench/results/<timestamp>.json]

Against the bundled simulator (its own process) and a real PostgreSQL (OURA_BENCH_DATABASE_URL,
else a private embedded server), with one fresh database per measured run:

  backfill  `meltano run tap-oura target-postgres` for a first run of --days days, then the same
            with `dbt-postgres:build`: rows loaded, wall seconds, rows/s, peak RSS per process.
  floor     the same windows fetched and COPY-upserted by bench/floor.py: rows/s, and the
            pipeline/floor ratio; the pipeline's keys are checked against the floor's.
  steady    on the backfilled database, the hourly job after Oura revised recent days, then a run
            with nothing new: requests per stream (vs pages actually needed), rows re-read.
  scaling   first runs of 30, 365 and 1,800 days: rows/s and peak RSS (flat? linear?).
  latency   a first run of 1,800 days with 100 ms added to every API response.

Prints a table per section with each target next to its figure, and writes everything as JSON.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from checks import compare_with_floor, stream_counts
from infra import (
    EL,
    ELT,
    REPO,
    BenchError,
    Postgres,
    SimulatorProcess,
    code_state,
    floor_command,
    floor_env,
    machine_facts,
    measure,
    meltano_command,
    pipeline_config,
    pipeline_env,
    private_meltano_dir,
    read_json,
    route_stats,
)
from procmon import loadavg

from tap_oura import windows
from tap_oura.routes import ROUTES, Window

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from oura_collector.database import Database

SCENARIOS = ("backfill", "floor", "steady", "scaling", "latency")
RESULTS_DIR = Path(__file__).resolve().parent / "results"
# Target-postgres settings worth comparing (see /work/shared/reference/perf.md), as overrides of
# meltano.yml's config ("defaults": none, meltano.yml as it is); --target-setting adds to a preset.
PRESETS: dict[str, dict[str, str]] = {
    "defaults": {},
    "copy": {"use_copy": "true", "batch_size_rows": "100000"},
    "lean": {"use_copy": "true", "batch_size_rows": "100000", "validate_records": "false"},
}
TARGETS = {
    "ratio": 0.5,  # pipeline rows/s over floor rows/s, 365-day backfill
    "rss_growth": 1.2,  # peak RSS at the largest backfill over the smallest
    "latency_seconds": 120.0,  # 1,800-day backfill with 100 ms per response
}
REVISED_DAYS = 2  # days Oura re-issues before the steady-state ("hourly") run
FLOOR_BATCH_ROWS = 50_000
RSS_LABELS = ("tap-oura", "target-postgres", "meltano", "dbt")
NOISY_OTHER_CORES = 0.5  # other work using more than this during a run makes its figure noisy


# --- command line ----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Read the command line; --quick picks small sizes unless sizes are given."""
    parser = argparse.ArgumentParser(
        prog="bench/run.py", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: a 1-2 minute smoke run")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    parser.add_argument("--days", type=int, help="backfill/floor/steady days (365; quick 30)")
    parser.add_argument("--days-scaling", help="comma-separated days (30,365,1800; quick 7,30)")
    parser.add_argument("--latency-days", type=int, help="latency backfill days (1800; quick 30)")
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument(
        "--variant", default="defaults", help=f"label; presets: {', '.join(PRESETS)}"
    )
    parser.add_argument(
        "--target-setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="target-postgres setting, e.g. use_copy=true (as TARGET_POSTGRES_<KEY>)",
    )
    parser.add_argument(
        "--tap-setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="tap-oura setting, e.g. lookback_days=1 (as TAP_OURA_<KEY>)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="repeat backfill EL and floor runs")
    parser.add_argument(
        "--settle",
        type=float,
        help="wait up to this many seconds for an idle machine before each run (15; quick 3)",
    )
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    parser.add_argument("--output", type=Path, help="JSON file (default bench/results/<ts>.json)")
    parser.add_argument("--keep-databases", action="store_true")
    args = parser.parse_args(argv)
    args.scenarios = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    if args.days is None:
        args.days = 30 if args.quick else 365
    if args.days_scaling is None:
        args.days_scaling = "7,30" if args.quick else "30,365,1800"
    args.days_scaling = sorted({int(value) for value in args.days_scaling.split(",") if value})
    if args.settle is None:
        args.settle = 3.0 if args.quick else 15.0
    if args.latency_days is None:
        args.latency_days = 30 if args.quick else 1800
    args.target_settings = {**PRESETS.get(args.variant, {}), **_pairs(parser, args.target_setting)}
    args.tap_settings = _pairs(parser, args.tap_setting)
    return args


def _pairs(parser: argparse.ArgumentParser, items: list[str]) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"expected KEY=VALUE, got {item!r}")
        pairs[key.strip().lower()] = value.strip()
    return pairs


# --- printing --------------------------------------------------------------------------------


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print an aligned table: first column left, the others right."""
    cells = [[str(value) for value in row] for row in rows]
    widths = [
        max(len(header), *(len(row[index]) for row in cells)) if cells else len(header)
        for index, header in enumerate(headers)
    ]

    def line(values: Sequence[str]) -> str:
        first, *rest = values
        return "  ".join(
            [first.ljust(widths[0]), *(v.rjust(w) for v, w in zip(rest, widths[1:], strict=True))]
        )

    print(f"\n== {title}")
    print(line(list(headers)))
    print("  ".join("-" * width for width in widths))
    for row in cells:
        print(line(row))
    sys.stdout.flush()


def note(text: str) -> None:
    """Print a progress or result line at once."""
    print(text, flush=True)


def num(value: float | None, digits: int = 0) -> str:
    """Format a number with thousands separators; '-' for None."""
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def cpu_text(machine: dict[str, Any]) -> str:
    """Describe where the machine's CPU went during a run, in cores."""
    parts = [f"bench {machine['bench_cores']}"]
    if machine.get("postgres_cores") is not None:
        parts.append(f"postgres {machine['postgres_cores']}")
    parts.append(f"other {machine['other_cores']}")
    return f"busy {machine['busy_cores']} of {machine['cores']} cores = " + " + ".join(parts)


def other(figures: dict[str, Any]) -> str:
    """Return the cores other work used during a measured run."""
    return num(figures["run"]["machine"]["other_cores"], 2)


def verdict(passed: bool | None) -> str:
    """Return PASS, MISS or n/a."""
    return "n/a" if passed is None else ("PASS" if passed else "MISS")


# --- the benchmark ---------------------------------------------------------------------------


class Bench:
    """One benchmark run: a simulator, a PostgreSQL server, and the scenarios' results."""

    def __init__(
        self,
        args: argparse.Namespace,
        postgres: Postgres,
        simulator: SimulatorProcess,
        log_dir: Path,
    ) -> None:
        """Keep the pieces; results accumulate in `self.results`."""
        self.args = args
        self.postgres = postgres
        self.simulator = simulator
        self.log_dir = log_dir
        self.results: dict[str, Any] = {"scenarios": {}, "targets": []}
        self.uris: dict[str, str] = {}  # run label -> database URI (never written out)
        self.databases: dict[str, Database] = {}
        self.finished: dict[str, float] = {}  # run label -> time.time() at its end
        self.meltano_dir = private_meltano_dir(log_dir / "meltano")
        self.simulator_starts = 1

    def restart_simulator(self) -> None:
        """Start a new simulator, so a measured first run finds its caches as cold as the last."""
        self.simulator.stop()
        self.simulator_starts += 1
        log = self.log_dir / f"simulator-{self.simulator_starts}.log"
        self.simulator = SimulatorProcess(self.simulator.days, log).start()

    # --- bookkeeping --------------------------------------------------------------------------

    def watch_noise(self, label: str, machine: dict[str, Any]) -> None:
        """Remember runs during which other work took a noticeable share of the machine."""
        if (machine.get("other_cores") or 0) > NOISY_OTHER_CORES:
            self.results.setdefault("noisy_runs", {})[label] = machine["other_cores"]

    def target(self, section: str, text: str, figure: str, passed: bool | None) -> str:
        """Record a target and its verdict; return the verdict."""
        status = verdict(passed)
        self.results["targets"].append(
            {"section": section, "target": text, "figure": figure, "status": status}
        )
        return status

    def run_pipeline(
        self, label: str, blocks: Sequence[str], days: int, *, reuse: str | None = None
    ) -> dict[str, Any]:
        """Run `meltano run <blocks>` on a fresh database (or run `reuse`'s again); measure it."""
        if reuse is None:
            database = self.postgres.fresh(label.replace("-", "_"))
            self.restart_simulator()
        else:
            database = self.databases[reuse]
        uri = self.postgres.uri(database.database)
        before = stream_counts(uri) if reuse else {}
        report_path = self.log_dir / f"{label}.tap-report.json"
        report_path.unlink(missing_ok=True)
        self.simulator.reset_stats()
        env = pipeline_env(
            database,
            self.simulator,
            days=days,
            report_path=report_path,
            tap_settings=self.args.tap_settings,
            target_settings=self.args.target_settings,
            meltano_dir=self.meltano_dir,
        )
        note(f"-- {label}: meltano run {' '.join(blocks)} ({days} days) ...")
        result = measure(
            label,
            meltano_command(blocks),
            env=env,
            log_path=self.log_dir / f"{label}.log",
            simulator=self.simulator,
            timeout=self.args.timeout,
            settle=self.args.settle,
            backends=self.postgres.backends(database.database),
        )
        self.finished[label] = time.time()
        self.uris[label], self.databases[label] = uri, database
        report = read_json(report_path)
        served = route_stats(self.simulator.stats())
        after = stream_counts(uri)
        streams: dict[str, dict[str, Any]] = {}
        for route in ROUTES:
            tap = report.get("streams", {}).get(route.name, {})
            sim = served.get(route.url_segment, {})
            now = after.get(route.name) or {"rows": 0, "distinct_keys": 0}
            then = before.get(route.name) or {"rows": 0, "distinct_keys": 0}
            streams[route.name] = {
                "records": tap.get("records", 0),  # emitted by the tap (re-read rows included)
                "tap_requests": tap.get("requests", 0),
                "retries": tap.get("retries", 0),
                "requests": sim.get("requests", 0),  # counted by the simulator
                "rows_served": sim.get("rows", 0),  # window padding included
                "rows": now["rows"],
                "distinct_keys": now["distinct_keys"],
                "new_rows": now["rows"] - then["rows"],
                "window": tap.get("window"),
                "skipped": tap.get("skipped"),
            }
        rows = sum(entry["rows"] for entry in streams.values())
        wall = result.wall_seconds
        processes = result.processes
        target = processes.get("target-postgres", {})
        dbt = processes.get("dbt")
        figures = {
            "label": label,
            "blocks": list(blocks),
            "days": days,
            "database": database.database,
            "rows": rows,
            "new_rows": sum(entry["new_rows"] for entry in streams.values()),
            "records": sum(entry["records"] for entry in streams.values()),
            "requests": sum(entry["requests"] for entry in streams.values()),
            "duplicates": rows - sum(entry["distinct_keys"] for entry in streams.values()),
            "wall_seconds": round(wall, 2),
            "rows_per_second": round(rows / wall, 1) if wall else None,
            "records_per_second": (
                round(sum(e["records"] for e in streams.values()) / wall, 1) if wall else None
            ),
            "tap_seconds": (
                round(report["finished_at"] - report["started_at"], 2)
                if report.get("finished_at")
                else None
            ),
            "el_seconds": target.get("last_seen_s"),  # start of the run to the target's exit
            "dbt_seconds": (
                round(dbt["last_seen_s"] - dbt["first_seen_s"], 2) if dbt is not None else None
            ),
            "peak_rss_mb": {name: entry["peak_rss_mb"] for name, entry in processes.items()},
            "cpu_seconds": {name: entry["cpu_seconds"] for name, entry in processes.items()},
            "tap_error": report.get("error"),
            "run": result.to_dict(),
            "streams": streams,
        }
        self.watch_noise(label, result.machine)
        loaded = (
            f"{num(figures['records'])} rows re-read, {num(figures['new_rows'])} new"
            if reuse
            else f"{num(rows)} rows"
        )
        speed = "" if reuse else f", {num(figures['rows_per_second'])} rows/s"
        note(
            f"   {loaded}, {wall:.1f} s{speed}, {figures['requests']} requests; "
            f"{cpu_text(result.machine)}"
        )
        return figures

    def repeated(self, count: int, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run a measurement `count` times; keep the median by rows/s, list every figure."""
        runs = [run() for _ in range(max(1, count))]
        if len(runs) == 1:
            return runs[0]
        ordered = sorted(runs, key=lambda figures: figures["rows_per_second"] or 0)
        chosen = dict(ordered[(len(ordered) - 1) // 2])
        chosen["repeats"] = [figures["rows_per_second"] for figures in runs]
        return chosen

    def save(self) -> None:
        """Write the JSON now (after each scenario, so a crash keeps what was measured)."""
        self.results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        machine = self.results["machine"]
        machine["loadavg_end"] = loadavg()
        # Code or meltano.yml edited while the benchmark ran: later runs measured other code.
        changes = code_state()
        if changes != machine["code_state_start"]:
            machine["code_changed_during_run"] = changes
        self.args.output.parent.mkdir(parents=True, exist_ok=True)
        self.args.output.write_text(json.dumps(self.results, indent=2, default=str))

    # --- scenarios ----------------------------------------------------------------------------

    def backfill(self) -> None:
        """First runs of --days days: EL alone, then EL + dbt."""
        days = self.args.days
        el = self.repeated(
            self.args.repeat, lambda: self.run_pipeline(f"backfill-el-{days}", EL, days)
        )
        elt = self.run_pipeline(f"backfill-elt-{days}", ELT, days)
        self.results["scenarios"]["backfill"] = {"el": el, "elt": elt}
        rows = []
        for name, figures in (("tap+target", el), ("tap+target+dbt", elt)):
            rss = figures["peak_rss_mb"]
            rows.append(
                [
                    name,
                    days,
                    num(figures["rows"]),
                    num(figures["wall_seconds"], 1),
                    num(figures["rows_per_second"]),
                    num(figures["el_seconds"], 1),
                    num(figures["dbt_seconds"], 1),
                    *(num(rss.get(label)) for label in RSS_LABELS),
                    figures["requests"],
                    figures["duplicates"],
                    "yes" if figures["rows"] == figures["records"] else "NO",
                    other(figures),
                ]
            )
        print_table(
            f"Backfill: first run of {days} days, one user",
            [
                "run",
                "days",
                "rows",
                "wall s",
                "rows/s",
                "EL s",
                "dbt s",
                "tap MB",
                "target MB",
                "meltano MB",
                "dbt MB",
                "requests",
                "dup",
                "rows=emitted",
                "other cores",
            ],
            rows,
        )
        heartrate = el["streams"]["heartrate"]
        note(
            f"heartrate: {num(heartrate['rows'])} of {num(el['rows'])} rows; "
            f"tap CPU {el['cpu_seconds'].get('tap-oura', 0):.1f} s, target CPU "
            f"{el['cpu_seconds'].get('target-postgres', 0):.1f} s, meltano CPU "
            f"{el['cpu_seconds'].get('meltano', 0):.1f} s, simulator CPU "
            f"{el['run']['machine']['simulator_cpu_seconds']:.1f} s"
        )

    def floor(self) -> None:
        """The minimal direct loader over the same windows; the pipeline/floor ratio."""
        days = self.args.days
        figures = self.repeated(self.args.repeat, lambda: self.run_floor(f"floor-{days}", days))
        section: dict[str, Any] = {"floor": figures}
        el = self.results["scenarios"].get("backfill", {}).get("el")
        rows = [
            [
                "floor (HTTP -> COPY upsert)",
                days,
                num(figures["rows"]),
                num(figures["wall_seconds"], 1),
                num(figures["rows_per_second"]),
                num(figures["peak_rss_mb"]),
                figures["requests"],
                f"fetch {figures['fetch_seconds']:.1f} s / load {figures['load_seconds']:.1f} s",
                other(figures),
            ]
        ]
        if el is not None:
            rows.insert(
                0,
                [
                    "pipeline (tap+target)",
                    el["days"],
                    num(el["rows"]),
                    num(el["wall_seconds"], 1),
                    num(el["rows_per_second"]),
                    num(max(el["peak_rss_mb"].get(k, 0) for k in ("tap-oura", "target-postgres"))),
                    el["requests"],
                    f"EL {num(el['el_seconds'], 1)} s",
                    other(el),
                ],
            )
        print_table(
            f"Floor: the same {days} days fetched and loaded directly",
            [
                "loader",
                "days",
                "rows",
                "wall s",
                "rows/s",
                "peak MB",
                "requests",
                "split",
                "other cores",
            ],
            rows,
        )
        if el is not None and el["days"] == days:
            ratio = el["rows_per_second"] / figures["rows_per_second"]
            status = self.target(
                "floor",
                f"pipeline/floor throughput >= {TARGETS['ratio']}",
                f"{ratio:.3f}",
                ratio >= TARGETS["ratio"],
            )
            note(f"pipeline/floor ratio: {ratio:.3f}   target >= {TARGETS['ratio']}   {status}")
            section["ratio"] = round(ratio, 4)
            comparison = compare_with_floor(self.uris[el["label"]], self.uris[figures["label"]])
            section["truth"] = comparison
            differing_requests = {
                name: (entry["requests"], figures["streams"][name]["requests"])
                for name, entry in el["streams"].items()
                if entry["requests"] != figures["streams"].get(name, {}).get("requests")
            }
            section["request_differences"] = differing_requests
            note(
                f"pipeline keys vs floor keys: {comparison['missing']} missing, "
                f"{comparison['extra']} extra; requests differ on: "
                f"{differing_requests or 'none'}"
            )
        self.results["scenarios"]["floor"] = section

    def run_floor(self, label: str, days: int, *, restart: bool = True) -> dict[str, Any]:
        """Run bench/floor.py on a fresh database; measure it like a pipeline run."""
        database = self.postgres.fresh(label.replace("-", "_"))
        if restart:
            self.restart_simulator()
        uri = self.postgres.uri(database.database)
        report_path = self.log_dir / f"{label}.floor-report.json"
        self.simulator.reset_stats()
        note(f"-- {label}: bench/floor.py ({days} days) ...")
        result = measure(
            label,
            floor_command(self.simulator, days, report_path, FLOOR_BATCH_ROWS),
            env=floor_env(self.simulator, uri),
            log_path=self.log_dir / f"{label}.log",
            simulator=self.simulator,
            timeout=self.args.timeout,
            settle=self.args.settle,
            backends=self.postgres.backends(database.database),
        )
        self.uris[label], self.databases[label] = uri, database
        report = read_json(report_path)
        served = route_stats(self.simulator.stats())
        for route in ROUTES:
            entry = report["streams"].setdefault(route.name, {})
            entry["requests"] = served.get(route.url_segment, {}).get("requests", 0)
        wall = result.wall_seconds
        figures = {
            **report,
            "label": label,
            "database": database.database,
            "requests": sum(entry["requests"] for entry in report["streams"].values()),
            "inner_seconds": report["seconds"],
            "wall_seconds": round(wall, 2),
            "rows_per_second": round(report["rows"] / wall, 1),
            "peak_rss_mb": result.peak("floor") or report["peak_rss_mb"],
            "run": result.to_dict(),
        }
        self.watch_noise(label, result.machine)
        note(
            f"   {num(figures['rows'])} rows, {wall:.1f} s, {num(figures['rows_per_second'])} "
            f"rows/s; {cpu_text(result.machine)}"
        )
        return figures

    def steady(self) -> None:
        """The hourly job on the backfilled database, then once more with nothing new."""
        days = self.args.days
        base = f"backfill-elt-{days}"
        section: dict[str, Any] = {}
        if base not in self.databases:
            base = f"steady-setup-{days}"
            section["setup"] = self.run_pipeline(base, ELT, days)
        since = time.time() - self.finished[base]
        revised = self.simulator.revise(REVISED_DAYS)
        hourly = self.run_pipeline("steady-hourly", ELT, days, reuse=base)
        quiet = self.run_pipeline("steady-quiet", ELT, days, reuse=base)
        hourly["seconds_after_backfill"] = round(since, 1)
        hourly["revised_days"] = revised
        section.update({"hourly": hourly, "no_new_data": quiet})

        page_size = int(self.simulator.config.get("page_size", 500))
        series_page = int(self.simulator.config.get("series_page_size", 10_000))
        rows = []
        economical = True
        for route in ROUTES:
            cells: list[Any] = [route.name]
            for figures in (hourly, quiet):
                entry = figures["streams"][route.name]
                page = series_page if route.window is Window.DATETIMES else page_size
                needed = max(1, math.ceil(entry["rows_served"] / page))
                if route.window is Window.NONE:
                    needed = 1
                entry["requests_needed"] = needed
                economical &= entry["requests"] <= needed
                cells += [entry["requests"], needed, num(entry["records"]), num(entry["new_rows"])]
            rows.append(cells)
        totals: list[Any] = ["total"]
        for figures in (hourly, quiet):
            streams = figures["streams"].values()
            totals += [
                figures["requests"],
                sum(entry["requests_needed"] for entry in streams),
                num(figures["records"]),
                num(figures["new_rows"]),
            ]
        rows.append(totals)
        print_table(
            f"Steady state on the {days}-day database: hourly job (after Oura revised "
            f"{REVISED_DAYS} days, {since / 60:.1f} min after the backfill), then nothing new",
            [
                "stream",
                "req",
                "needed",
                "re-read",
                "new",
                "req (quiet)",
                "needed",
                "re-read",
                "new",
            ],
            rows,
        )
        walls = [
            [
                name,
                num(figures["wall_seconds"], 1),
                num(figures["el_seconds"], 1),
                num(figures["dbt_seconds"], 1),
                num(figures["tap_seconds"], 1),
                figures["requests"],
                num(figures["records"]),
                figures["duplicates"],
                num(figures["peak_rss_mb"].get("tap-oura")),
                num(figures["peak_rss_mb"].get("target-postgres")),
            ]
            for name, figures in (("hourly", hourly), ("no new data", quiet))
        ]
        print_table(
            "Steady state: wall time (EL = start to target exit; dbt = dbt build)",
            [
                "run",
                "wall s",
                "EL s",
                "dbt s",
                "tap s",
                "req",
                "re-read",
                "dup",
                "tap MB",
                "target MB",
            ],
            walls,
        )
        status = self.target(
            "steady",
            "one request per stream plus pages actually needed",
            f"{hourly['requests']} and {quiet['requests']} requests",
            economical,
        )
        note(f"requests: one per stream + pages needed: {status}")
        duplicates = hourly["duplicates"] + quiet["duplicates"]
        # The truth after Oura's revisions: the floor loads the same days from the same simulator.
        truth_label = f"floor-truth-{days}"
        section["truth_floor"] = self.run_floor(truth_label, days, restart=False)
        comparison = compare_with_floor(self.uris["steady-quiet"], self.uris[truth_label])
        section["truth"] = comparison
        wrong = duplicates + comparison["missing"] + comparison["extra"]
        status = self.target(
            "steady",
            "zero duplicate rows (and none missing or extra vs the floor)",
            f"{duplicates} duplicate, {comparison['missing']} missing, {comparison['extra']} extra",
            wrong == 0,
        )
        note(
            f"duplicates: {duplicates}; vs floor: {comparison['missing']} missing, "
            f"{comparison['extra']} extra   {status}"
        )
        self.results["scenarios"]["steady"] = section

    def scaling(self) -> None:
        """First runs of each --days-scaling size: rows/s and peak RSS."""
        points = []
        reusable = self.results["scenarios"].get("backfill", {}).get("el")
        for days in self.args.days_scaling:
            if reusable is not None and reusable["days"] == days:
                points.append(reusable)
                continue
            label = f"scaling-el-{days}"
            figures = self.run_pipeline(label, EL, days)
            points.append(figures)
            if not self.args.keep_databases:
                self.postgres.drop(self.databases.pop(label).database)
        self.results["scenarios"]["scaling"] = {"points": points}
        rows = []
        previous = None
        for figures in points:
            marginal = None
            if previous is not None and figures["wall_seconds"] > previous["wall_seconds"]:
                marginal = (figures["rows"] - previous["rows"]) / (
                    figures["wall_seconds"] - previous["wall_seconds"]
                )
            figures["marginal_rows_per_second"] = None if marginal is None else round(marginal, 1)
            rss = figures["peak_rss_mb"]
            rows.append(
                [
                    figures["days"],
                    num(figures["rows"]),
                    num(figures["wall_seconds"], 1),
                    num(figures["rows_per_second"]),
                    num(marginal),
                    num(rss.get("tap-oura")),
                    num(rss.get("target-postgres")),
                    num(rss.get("meltano")),
                    figures["requests"],
                    other(figures),
                ]
            )
            previous = figures
        print_table(
            "Scaling: first runs (tap+target); marginal rows/s = extra rows / extra seconds "
            "vs the row above",
            [
                "days",
                "rows",
                "wall s",
                "rows/s",
                "marginal",
                "tap MB",
                "target MB",
                "meltano MB",
                "requests",
                "other cores",
            ],
            rows,
        )
        if len(points) >= 2:
            small, large = points[0], points[-1]
            for label in ("tap-oura", "target-postgres"):
                low, high = small["peak_rss_mb"].get(label), large["peak_rss_mb"].get(label)
                growth = high / low if low and high else None
                status = self.target(
                    "scaling",
                    f"{label} peak RSS at {large['days']} d <= {TARGETS['rss_growth']}x "
                    f"{small['days']} d",
                    "-" if growth is None else f"{growth:.2f}x ({num(low)} -> {num(high)} MB)",
                    None if growth is None else growth <= TARGETS["rss_growth"],
                )
                note(
                    f"{label} peak RSS {small['days']} d -> {large['days']} d: "
                    f"{num(low)} -> {num(high)} MB"
                    + ("" if growth is None else f" ({growth:.2f}x)")
                    + f"   target <= {TARGETS['rss_growth']}x   {status}"
                )

    def latency(self) -> None:
        """A first run of --latency-days days with --latency-ms added to every API response."""
        days, latency_ms = self.args.latency_days, self.args.latency_ms
        label = f"latency-el-{days}"
        self.simulator.set_latency(latency_ms)
        try:
            figures = self.run_pipeline(label, EL, days)
        finally:
            self.simulator.set_latency(0)
        if not self.args.keep_databases:
            self.postgres.drop(self.databases.pop(label).database)
        waiting = figures["requests"] * latency_ms / 1000
        planned = planned_requests(days)
        figures["latency_ms"] = latency_ms
        figures["latency_seconds_in_requests"] = round(waiting, 1)
        figures["windows_planned"] = planned
        without = next(
            (
                point
                for point in self.results["scenarios"].get("scaling", {}).get("points", [])
                if point["days"] == days
            ),
            None,
        )
        figures["wall_seconds_without_latency"] = without["wall_seconds"] if without else None
        self.results["scenarios"]["latency"] = figures
        by_kind = {"heartrate": 0, "ring_battery_level": 0, "documents": 0, "full table": 0}
        for route in ROUTES:
            requests = figures["streams"][route.name]["requests"]
            if route.window is Window.NONE:
                by_kind["full table"] += requests
            elif route.window is Window.DATES:
                by_kind["documents"] += requests
            else:
                by_kind[route.name] += requests
        print_table(
            f"Latency: first run of {days} days with {latency_ms} ms per API response",
            [
                "days",
                "rows",
                "wall s",
                "no-latency s",
                "requests",
                "req x latency s",
                "windows",
                "extra pages",
                "rows/s",
                "other cores",
            ],
            [
                [
                    days,
                    num(figures["rows"]),
                    num(figures["wall_seconds"], 1),
                    num(figures["wall_seconds_without_latency"], 1),
                    figures["requests"],
                    num(waiting, 1),
                    sum(planned.values()),
                    figures["requests"] - sum(planned.values()),
                    num(figures["rows_per_second"]),
                    other(figures),
                ]
            ],
        )
        note("requests by kind: " + ", ".join(f"{k} {v}" for k, v in by_kind.items()))
        limit = TARGETS["latency_seconds"]
        target_text = f"{days}-day backfill at {latency_ms} ms latency under {limit:.0f} s"
        status = self.target(
            "latency",
            target_text,
            f"{figures['wall_seconds']:.1f} s",
            figures["wall_seconds"] < limit,
        )
        note(f"wall {figures['wall_seconds']:.1f} s   target < {limit:.0f} s   {status}")


def planned_requests(days: int) -> dict[str, int]:
    """Return how many windows the tap plans per stream for a first run of `days` days."""
    importlib.reload(windows)  # the tap that just ran read the source as it is now
    now, tz = datetime.now(UTC), ZoneInfo("UTC")
    planned = {}
    for route in ROUTES:
        if route.window is Window.NONE:
            planned[route.name] = 1
            continue
        settings = windows.Settings(days_to_backfill=days, lookback_days=route.lookback_days)
        planner = windows.plan_dates if route.window is Window.DATES else windows.plan_instants
        planned[route.name] = len(planner(settings, now=now, tz=tz, bookmark=None).requests)
    return planned


def print_targets(results: dict[str, Any]) -> None:
    """Print every target with its figure and verdict, and whether the machine was busy."""
    targets = results["targets"]
    if targets:
        print_table(
            "Targets",
            ["section", "target", "figure", "status"],
            [[t["section"], t["target"], t["figure"], t["status"]] for t in targets],
        )
    if "code_changed_during_run" in results["machine"]:
        note(
            "\nnote: the code or meltano.yml changed while the benchmark ran (see "
            "machine.code_changed_during_run); runs after the change measured other code"
        )
    noisy = results.get("noisy_runs")
    if noisy:
        runs = ", ".join(f"{label} ({cores})" for label, cores in noisy.items())
        note(
            f"\nnote: other work used more than {NOISY_OTHER_CORES} cores during {runs}; "
            "those figures are noisy (compare ratios, or rerun with --repeat 3 on a quiet machine)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected scenarios; print tables; write the JSON."""
    args = parse_args(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = "" if args.variant == "defaults" else f"-{args.variant}"
    if args.output is None:
        args.output = RESULTS_DIR / f"{stamp}{suffix}.json"
    args.output = args.output.resolve()
    log_dir = args.output.with_suffix("")
    log_dir = log_dir.with_name(log_dir.name + "-logs")
    log_dir.mkdir(parents=True, exist_ok=True)
    sizes = [args.days, *args.days_scaling, args.latency_days]
    simulator_days = max(sizes) + 5
    url = os.environ.get("OURA_BENCH_DATABASE_URL")
    shown = log_dir.relative_to(REPO) if log_dir.is_relative_to(REPO) else log_dir
    note(f"bench: scenarios {','.join(args.scenarios)}; logs in {shown}")
    postgres = Postgres(url, prefix=f"oura_bench_{stamp[9:15]}")
    simulator = SimulatorProcess(simulator_days, log_dir / "simulator-1.log")
    bench: Bench | None = None
    failed = False
    try:
        simulator.start()
        bench = Bench(args, postgres, simulator, log_dir)
        bench.results.update(
            {
                "schema": 1,
                "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "command": [sys.argv[0], *(argv if argv is not None else sys.argv[1:])],
                "machine": machine_facts(postgres),
                "settings": {
                    "variant": args.variant,
                    "target": args.target_settings,
                    "tap": args.tap_settings,
                    "quick": args.quick,
                    "scenarios": args.scenarios,
                    "days": args.days,
                    "days_scaling": args.days_scaling,
                    "latency_days": args.latency_days,
                    "latency_ms": args.latency_ms,
                    "repeat": args.repeat,
                    "settle_seconds": args.settle,
                    "floor_batch_rows": FLOOR_BATCH_ROWS,
                    "simulator": {**simulator.config, "process_days": simulator_days},
                    # meltano.yml as it was at the start: the settings not overridden above.
                    "pipeline": pipeline_config(),
                },
            }
        )
        machine = bench.results["machine"]
        note(
            f"machine: {machine['cpu_count']} cores, load {machine['loadavg_start']}, "
            f"PostgreSQL {machine['postgres_version']} ({machine['postgres']}), "
            f"commit {str(machine['git_commit'])[:10]}{' (dirty)' if machine['git_dirty'] else ''}"
            f", target settings {args.target_settings or 'defaults'}"
        )
        for name in args.scenarios:
            started = time.perf_counter()
            try:
                getattr(bench, name)()
            except BenchError as error:
                failed = True
                bench.results["scenarios"].setdefault(name, {})["error"] = str(error)
                note(f"!! {name} failed: {error}")
            seconds = time.perf_counter() - started
            bench.results.setdefault("scenario_seconds", {})[name] = round(seconds, 1)
            note(f"   ({name}: {seconds:.0f} s)")
            bench.save()
        print_targets(bench.results)
        bench.save()
        note(f"\nwritten: {args.output}")
    finally:
        (bench.simulator if bench is not None else simulator).stop()
        postgres.close(keep=args.keep_databases)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
