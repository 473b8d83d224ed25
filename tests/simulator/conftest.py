"""Fixtures: simulators on ephemeral ports with a fixed clock, and clients to talk to them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from oura_simulator import Simulator
from tests.simulator.helpers import Api, make_config

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def shared_sim() -> Iterator[Simulator]:
    """Return one read-only simulator for a module's tests (never change its faults or data)."""
    with Simulator(make_config(users=2), host="127.0.0.1", port=0) as sim:
        yield sim


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """Return a fresh simulator of one user for a test that changes it."""
    with Simulator(make_config(), host="127.0.0.1", port=0) as fresh:
        yield fresh


@pytest.fixture(scope="module")
def shared_api(shared_sim: Simulator) -> Api:
    """Return a client of the shared simulator, as user 1's personal access token."""
    return Api(shared_sim, shared_sim.users[0].personal_access_token)


@pytest.fixture
def api(sim: Simulator) -> Api:
    """Return a client of the fresh simulator, as user 1's personal access token."""
    return Api(sim, sim.users[0].personal_access_token)
