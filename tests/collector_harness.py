"""Run the real `oura-collector` process for a test, and watch its /health and logs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from tests.pipeline_harness import OWN_PREFIXES, database_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from oura_simulator import Simulator

COLLECTOR = Path(sys.executable).with_name("oura-collector")


def free_port() -> int:
    """Return a TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def collector_env(
    uri: str | None, sim: Simulator, tmp_path: Path, **settings: object
) -> dict[str, str]:
    """Return a collector environment: the database, the simulator's OAuth app, the settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith((*OWN_PREFIXES, "AWS_"))}
    env.update(
        {
            "OURA_DATA_DIR": str(tmp_path / "data"),
            "HEALTH_PORT": str(free_port()),
            "DAYS_TO_BACKFILL": "3",
            "RETRY_DELAY": "0",
            "RUN_TRANSFORM": "false",
            "TAP_OURA_API_URL": sim.base_url,
            "TAP_OURA_TOKEN_URL": f"{sim.base_url}/oauth/token",
            "TAP_OURA_TOKEN_URL_FALLBACK": f"{sim.base_url}/oauth/token",
            "TAP_OURA_CLIENT_ID": sim.client_id,
            "TAP_OURA_CLIENT_SECRET": sim.client_secret,
            "TAP_OURA_REFRESH_TOKEN": sim.users[0].refresh_token,
        }
    )
    if uri is not None:
        env.update(database_of(uri).env())
    env.update({key: str(value) for key, value in settings.items()})
    return env


def run_collector(*args: str, env: dict[str, str], timeout: float = 600, **kw: Any):
    """Run `oura-collector <args>` to completion."""
    return subprocess.run(
        [str(COLLECTOR), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kw,
    )


class CollectorProcess:
    """A running `oura-collector` whose stderr goes to a file the test can read."""

    def __init__(self, *args: str, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [str(COLLECTOR), *args], env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self.health_url = f"http://127.0.0.1:{env['HEALTH_PORT']}/health"

    def log(self) -> str:
        """Return everything the process has logged so far."""
        return self.log_path.read_text()

    def health(self) -> tuple[int, dict[str, Any]] | None:
        """Return (status code, body) of /health, or None while it is not serving yet."""
        try:
            response = requests.get(self.health_url, timeout=5)
        except requests.ConnectionError:
            return None
        return response.status_code, response.json()

    def wait_for(
        self,
        condition: Callable[[], Any],
        timeout: float = 180,
        what: str = "",
        *,
        give_up_on_exit: bool = True,
    ) -> Any:
        """Poll `condition` until it returns something truthy; fail with the log if not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            if give_up_on_exit and self.process.poll() is not None:
                break
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {what}; log:\n{self.log()[-5000:]}")

    def wait_for_health(self, predicate: Callable[[int, dict], bool], what: str) -> dict:
        """Wait until /health satisfies `predicate(status_code, body)`; return the body."""

        def check() -> dict | None:
            answer = self.health()
            return answer[1] if answer and predicate(*answer) else None

        return self.wait_for(check, what=what)

    def terminate(self, timeout: float = 90) -> int:
        """Send SIGTERM and return the exit code."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        """Make sure the process is gone."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)
        self._log.close()
