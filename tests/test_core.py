"""The Singer SDK's standard tap tests, run against the bundled Oura simulator over OAuth.

The SDK builds the test class at import time from a config, so the simulator starts with the
module and stops when the module's tests are done.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from oura_simulator import Simulator, SimulatorConfig
from tap_oura.tap import TapOura

SIMULATOR = Simulator(SimulatorConfig(days=10), host="127.0.0.1", port=0).start()
TOKENS = Path(tempfile.mkdtemp(prefix="tap-oura-core-")) / "tokens.json"

CONFIG = {
    "api_url": SIMULATOR.base_url,
    "client_id": SIMULATOR.client_id,
    "client_secret": SIMULATOR.client_secret,
    "refresh_token": SIMULATOR.users[0].refresh_token,
    "token_url": f"{SIMULATOR.base_url}/oauth/token",
    "token_store_path": str(TOKENS),
    "days_to_backfill": 5,
    "retry_delay": 0,
}

_TestOuraStandard = get_tap_test_class(
    tap_class=TapOura,
    config=CONFIG,
    suite_config=SuiteConfig(
        max_records_limit=200,
        # Rest mode is rare: the simulated user may have no period in five days.
        ignore_no_records_for_streams=["rest_mode_period"],
    ),
)


class TestTapOura(_TestOuraStandard):
    """Standard tap tests (discovery, sync, schema and attribute checks per stream)."""


@pytest.fixture(scope="module", autouse=True)
def _stop_simulator_after_module():
    yield
    SIMULATOR.stop()
