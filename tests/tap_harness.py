"""Run tap-oura for a test: in-process (fast, inspectable) or as the real CLI process."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections import defaultdict
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tap_oura.tap import TapOura

TAP_EXECUTABLE = Path(sys.executable).with_name("tap-oura")


@dataclass
class TapRun:
    """What one sync emitted."""

    tap: TapOura
    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    states: list[dict[str, Any]] = field(default_factory=list)

    @property
    def final_state(self) -> dict[str, Any]:
        """Return the last STATE message's value."""
        return self.states[-1] if self.states else {}

    def bookmark(self, stream: str) -> str | None:
        """Return a stream's bookmark in the final state."""
        return self.final_state.get("bookmarks", {}).get(stream, {}).get("replication_key_value")


def parse_messages(stdout: str, run: TapRun) -> TapRun:
    """Collect RECORD and STATE messages from Singer output."""
    for line in stdout.splitlines():
        if not line.strip():
            continue
        message = json.loads(line)
        if message["type"] == "RECORD":
            run.records[message["stream"]].append(message["record"])
        elif message["type"] == "STATE":
            run.states.append(message["value"])
    return run


def run_tap(
    config: dict[str, Any],
    *,
    state: dict[str, Any] | None = None,
    streams: list[str] | None = None,
) -> TapRun:
    """Sync in-process; `streams` limits the sync to those streams. Errors propagate."""
    tap = TapOura(config=config, state=state or {})
    if streams is not None:
        for name, stream in tap.streams.items():
            stream.selected = name in streams
    raw = io.BytesIO()
    buffer = io.TextIOWrapper(raw, encoding="utf-8")  # the msgspec writer needs `.buffer`
    run = TapRun(tap=tap)
    try:
        with redirect_stdout(buffer):
            tap.sync_all()
    finally:
        buffer.flush()
        parse_messages(raw.getvalue().decode(), run)
    return run


def run_tap_cli(
    config: dict[str, Any],
    tmp_path: Path,
    *,
    state: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run the installed `tap-oura` command with a config file, as Meltano would."""
    config_path = tmp_path / "tap-config.json"
    config_path.write_text(json.dumps(config))
    command = [str(TAP_EXECUTABLE), "--config", str(config_path)]
    if state is not None:
        state_path = tmp_path / "tap-state.json"
        state_path.write_text(json.dumps(state))
        command += ["--state", str(state_path)]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )
