"""A local, deterministic Oura API v2 server for tests, the demo and the benchmark."""

from __future__ import annotations

from oura_simulator.config import SimulatorConfig
from oura_simulator.dataset import Dataset
from oura_simulator.server import Simulator

__all__ = ["Dataset", "Simulator", "SimulatorConfig"]
