"""`Simulator`: the app on a real HTTP port in a background thread, plus its Python controls."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from werkzeug.serving import WSGIRequestHandler, make_server

from oura_simulator.app import create_app
from oura_simulator.config import SimulatorConfig
from oura_simulator.state import SimulatorState

if TYPE_CHECKING:
    from datetime import date
    from types import TracebackType

    from oura_simulator.dataset import Dataset
    from oura_simulator.state import UserCredentials


SHUTDOWN_POLL_SECONDS = 0.05  # how soon stop() takes effect; tests start and stop many servers


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without a log line per request (a benchmark makes thousands)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log nothing for successful or failed requests."""


class Simulator:
    """A running Oura API simulator; use as a context manager or call start() and stop()."""

    def __init__(
        self, config: SimulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        """Bind `host:port` (0 picks a free port) for a fresh simulator built from `config`."""
        self.config = config or SimulatorConfig()
        self.state = SimulatorState.from_config(self.config)
        self._server = make_server(
            host,
            port,
            create_app(self.state),
            threaded=True,
            request_handler=QuietRequestHandler,
        )
        self._thread: threading.Thread | None = None
        self.host = host

    def start(self) -> Simulator:
        """Start serving in a daemon thread; return self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
                name="oura-simulator",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Simulator:
        """Start serving for the `with` block."""
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Stop serving at the end of the `with` block."""
        self.stop()

    @property
    def port(self) -> int:
        """Return the bound port (the real one when 0 was asked for)."""
        return int(self._server.server_port)

    @property
    def base_url(self) -> str:
        """Return the URL clients use, e.g. http://127.0.0.1:8787 (no trailing slash)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def client_id(self) -> str:
        """Return the OAuth application's client id."""
        return self.config.client_id

    @property
    def client_secret(self) -> str:
        """Return the OAuth application's client secret."""
        return self.config.client_secret

    @property
    def users(self) -> list[UserCredentials]:
        """Return each user's credentials, user 1 first."""
        return self.state.users()

    @property
    def dataset(self) -> Dataset:
        """Return the data the API serves (the truth to compare a pipeline with)."""
        return self.state.dataset

    def set_faults(self, **settings: Any) -> None:
        """Switch faults on (or off with None), e.g. rate_limit={"count": 1, "retry_after": 1}."""
        self.state.apply_faults(settings)

    def clear_faults(self) -> None:
        """Switch every fault off."""
        self.state.faults.clear()

    def faults(self) -> dict[str, Any]:
        """Return the current fault set."""
        return self.state.faults.snapshot()

    def revise(self, user: int = 1, days: int = 3) -> list[date]:
        """Revise the user's last `days` days, today included; return the days revised."""
        return self.state.dataset.revise(user, days)

    def stats(self) -> dict[str, Any]:
        """Return per-route request counts and rows, and token-endpoint calls."""
        return self.state.stats.snapshot()

    def reset_stats(self) -> None:
        """Set every counter back to zero."""
        self.state.stats.reset()
