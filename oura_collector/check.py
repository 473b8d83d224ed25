"""`oura-collector check`: is everything the next cycle needs in place?"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from oura_collector.service import database_for
from oura_collector.tap_config import resolved_tap_config

if TYPE_CHECKING:
    from oura_collector.config import CollectorConfig

logger = logging.getLogger("oura_collector")


def run_checks(config: CollectorConfig) -> int:
    """Check the database, the token store and Oura; print one line each; 0 when all pass."""
    from tap_oura.errors import OuraTapError  # noqa: PLC0415
    from tap_oura.tap import TapOura  # noqa: PLC0415
    from tap_oura.token_store import TokenStoreError  # noqa: PLC0415

    failed = 0
    with database_for(config) as database:
        with database.connect() as connection:
            version = connection.execute("show server_version").fetchone()[0]
        print(f"DB OK: {database.describe()} (PostgreSQL {version})")  # noqa: T201
        env = config.job_env(database)
        tap_config = resolved_tap_config(env)
        tap = TapOura(config=tap_config)
        logging.getLogger("singer_sdk.metrics").setLevel(logging.WARNING)
        try:
            authenticator = tap.authenticator
            if getattr(authenticator, "can_refresh", False):
                store = tap.token_store()
                with store.lock():
                    stored = store.load()
                state = "holds a token" if stored else "is empty (the configured token seeds it)"
                print(f"Token store OK: {store.describe()} {state}")  # noqa: T201
            stream = tap.streams[
                "ring_configuration" if tap_config.get("sandbox") else "personal_info"
            ]
            records = list(stream.request_records(None))
            print(f"API OK: Oura answered {stream.name} ({len(records)} record(s))")  # noqa: T201
        except (OuraTapError, TokenStoreError) as exc:
            print(f"API FAILED: {exc}")  # noqa: T201
            failed += 1
    return 1 if failed else 0
