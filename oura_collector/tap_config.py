"""The tap's configuration exactly as Meltano resolves it (meltano.yml + environment)."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from oura_collector.config import ConfigError
from oura_collector.pipeline import PROJECT_DIR, meltano_executable


def resolved_tap_config(env: dict[str, str]) -> dict[str, Any]:
    """Return `meltano config print tap-oura` for the job's environment (secrets included)."""
    environment = env.get("MELTANO_ENVIRONMENT", "dev")
    done = subprocess.run(
        [
            meltano_executable(),
            f"--environment={environment}",
            "config",
            "--unsafe",
            "print",
            "tap-oura",
            "--format=json",
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-3:]
        raise ConfigError("Meltano could not resolve tap-oura's settings: " + " | ".join(tail))
    return {key: value for key, value in json.loads(done.stdout).items() if value is not None}
