"""`oura-simulator`: serve a simulator until SIGTERM/SIGINT, after one JSON line of credentials."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import date
from typing import TYPE_CHECKING

import orjson

from oura_simulator.config import SimulatorConfig
from oura_simulator.server import Simulator

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="oura-simulator", description="Serve a deterministic Oura API v2 simulator."
    )
    defaults = SimulatorConfig()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787, help="0 picks a free port")
    parser.add_argument("--users", type=int, default=defaults.users)
    parser.add_argument("--days", type=int, default=defaults.days, help="days of history")
    parser.add_argument("--first-day", type=date.fromisoformat, help="YYYY-MM-DD; overrides --days")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--portal", choices=("legacy", "new"), default=defaults.portal)
    parser.add_argument("--page-size", type=int, default=defaults.page_size)
    parser.add_argument("--series-page-size", type=int, default=defaults.series_page_size)
    parser.add_argument("--access-token-ttl", type=int, default=defaults.access_token_ttl)
    parser.add_argument("--latency-ms", type=int, default=defaults.latency_ms)
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> SimulatorConfig:
    """Turn parsed arguments into a simulator configuration."""
    return SimulatorConfig(
        seed=args.seed,
        users=args.users,
        days=args.days,
        first_day=args.first_day,
        portal=args.portal,
        page_size=args.page_size,
        series_page_size=args.series_page_size,
        access_token_ttl=args.access_token_ttl,
        latency_ms=args.latency_ms,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulator in the foreground; print its credentials as one JSON line first."""
    args = parse_args(argv)
    try:
        config = config_from(args)
    except ValueError as error:
        sys.stderr.write(f"oura-simulator: {error}\n")
        return 2
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    with Simulator(config, host=args.host, port=args.port) as simulator:
        announcement = {
            "base_url": simulator.base_url,
            "client_id": simulator.client_id,
            "client_secret": simulator.client_secret,
            "users": [user.to_json() for user in simulator.users],
        }
        sys.stdout.write(orjson.dumps(announcement).decode() + "\n")
        sys.stdout.flush()
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
