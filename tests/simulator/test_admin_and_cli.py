"""The /_sim harness endpoints and the `oura-simulator` command."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import timedelta

import requests

from oura_simulator import Simulator
from tests.simulator.helpers import TODAY, Api


def test_info_lists_the_configuration_and_every_user(shared_sim: Simulator) -> None:
    info = requests.get(f"{shared_sim.base_url}/_sim/info", timeout=30).json()
    assert info["config"]["client_id"] == shared_sim.client_id
    assert info["config"]["days"] == 30
    assert [user["timezone"] for user in info["users"]] == ["Europe/Paris", "America/New_York"]
    first = info["users"][0]
    assert first["number"] == 1
    assert first["personal_access_token"] == shared_sim.users[0].personal_access_token
    assert first["refresh_token"] == shared_sim.users[0].refresh_token
    assert first["personal_info_id"] == shared_sim.dataset.personal_info(1)["id"]


def test_revise_over_http_changes_the_recent_days(sim: Simulator, api: Api) -> None:
    before = api.collection(
        "daily_readiness", start_date="2025-10-25", end_date="2025-10-30"
    ).json()
    answer = requests.post(f"{sim.base_url}/_sim/revise", json={"user": 1, "days": 2}, timeout=30)
    assert answer.json() == {
        "user": 1,
        "days": [(TODAY - timedelta(days=1)).isoformat(), TODAY.isoformat()],
    }
    after = api.collection("daily_readiness", start_date="2025-10-25", end_date="2025-10-30").json()
    changed = [
        new["day"] for old, new in zip(before["data"], after["data"], strict=True) if old != new
    ]
    assert changed == ["2025-10-29", "2025-10-30"]
    refused = requests.post(f"{sim.base_url}/_sim/revise", json={"user": 9}, timeout=30)
    assert refused.status_code == 400


def test_stats_can_be_read_and_reset_over_http(sim: Simulator, api: Api) -> None:
    api.collection("sleep")
    stats = requests.get(f"{sim.base_url}/_sim/stats", timeout=30).json()
    assert stats["routes"]["sleep"]["requests"] == {"200": 1}
    requests.post(f"{sim.base_url}/_sim/stats/reset", timeout=30)
    assert requests.get(f"{sim.base_url}/_sim/stats", timeout=30).json() == {
        "routes": {},
        "token": {},
    }


def test_the_command_prints_its_credentials_serves_and_stops_on_sigterm() -> None:
    command = [
        sys.executable,
        "-m",
        "oura_simulator.cli",
        "--port",
        "0",
        "--users",
        "2",
        "--days",
        "3",
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            announcement = json.loads(process.stdout.readline())
            assert {"base_url", "client_id", "client_secret", "users"} <= set(announcement)
            user = announcement["users"][1]
            assert user["number"] == 2 and user["timezone"] == "America/New_York"
            response = requests.get(
                f"{announcement['base_url']}/v2/usercollection/personal_info",
                headers={"Authorization": f"Bearer {user['personal_access_token']}"},
                timeout=30,
            )
            assert response.status_code == 200
        finally:
            process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
