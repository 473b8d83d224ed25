"""Never two collectors on one database: a PostgreSQL session advisory lock held for life.

The lock dies with the process's connection, so a hard-killed collector never blocks the next one
for longer than the server takes to notice the dead connection. While it is held, no other
collector can be running a Meltano job on this database, which is what makes `meltano run
--force` (skip Meltano's stale-job check after a kill) safe.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

    from oura_collector.database import Database

logger = logging.getLogger(__name__)
LOCK_NAME = "oura-collector"


class AlreadyRunning(RuntimeError):
    """Another collector holds the lock on this database."""


class SingleInstance:
    """Hold the collector lock on `database` inside a `with` block."""

    def __init__(self, database: Database, *, wait_seconds: float = 60.0) -> None:
        """Wait up to `wait_seconds` for a previous collector to let go."""
        self.database = database
        self.wait_seconds = wait_seconds
        self._connection: psycopg.Connection | None = None

    def __enter__(self) -> SingleInstance:
        """Take the lock, or fail saying another collector runs."""
        connection = self.database.connect(application_name="oura-collector-guard")
        deadline = time.monotonic() + self.wait_seconds
        announced = False
        while True:
            taken = connection.execute(
                "select pg_try_advisory_lock(hashtextextended(%s, 0))", (LOCK_NAME,)
            ).fetchone()[0]
            if taken:
                self._connection = connection
                return self
            if time.monotonic() > deadline:
                connection.close()
                msg = f"Another oura-collector is running against {self.database.describe()} "
                msg += "(it holds the collector lock). Stop it first: two collectors would "
                msg += "spend the same single-use Oura refresh token."
                raise AlreadyRunning(msg)
            if not announced:
                logger.info("Waiting for another collector on this database to stop ...")
                announced = True
            time.sleep(1)

    def __exit__(self, *exc_info: object) -> None:
        """Release the lock by closing its connection."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
