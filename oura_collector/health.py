"""The HTTP face of the collector: /health for Kubernetes and humans, /metrics for Prometheus."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from flask import Flask, Response, jsonify, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from werkzeug.serving import make_server

if TYPE_CHECKING:
    from oura_collector.status import CollectorStatus, CycleResult


class Metrics:
    """Prometheus series of the collector, in a registry of its own."""

    def __init__(self) -> None:
        """Create the series."""
        self.registry = CollectorRegistry()
        self.records = Counter(
            "oura_records",
            "Records extracted from Oura, per stream",
            ["stream"],
            registry=self.registry,
        )
        self.last_records = Gauge(
            "oura_last_cycle_records",
            "Records extracted in the last cycle, per stream",
            ["stream"],
            registry=self.registry,
        )
        self.cycles = Counter(
            "oura_cycles", "Collection cycles, by outcome", ["outcome"], registry=self.registry
        )
        self.duration = Histogram(
            "oura_cycle_duration_seconds",
            "Wall time of a collection cycle",
            buckets=(5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600),
            registry=self.registry,
        )
        self.last_success = Gauge(
            "oura_last_success_timestamp_seconds",
            "When the last successful cycle finished (Unix time)",
            registry=self.registry,
        )

    def observe(self, result: CycleResult) -> None:
        """Count a finished cycle."""
        self.cycles.labels("success" if result.ok else "failure").inc()
        self.duration.observe(result.seconds)
        for stream, entry in result.streams.items():
            count = int(entry.get("records", 0))
            self.records.labels(stream).inc(count)
            self.last_records.labels(stream).set(count)
        if result.ok:
            self.last_success.set(result.finished_at)


def create_app(status: CollectorStatus, metrics: Metrics) -> Flask:
    """Build the Flask app (an app factory: tests and the service each make their own)."""
    app = Flask("oura_collector")

    @app.get("/health")
    def health() -> tuple[Response, int]:
        if request.args.get("probe") == "live":  # the liveness probe: is the process working?
            alive, why = status.alive()
            return jsonify({"alive": alive, "detail": why}), 200 if alive else 503
        healthy, body = status.snapshot()
        return jsonify(body), 200 if healthy else 503

    @app.get("/metrics")
    def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), mimetype=CONTENT_TYPE_LATEST)

    return app


class HealthServer:
    """Serve the app from a daemon thread while the collector works."""

    def __init__(self, app: Flask, host: str, port: int) -> None:
        """Bind now, so a taken port fails at start with a clear error."""
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log per probe
        self._server = make_server(host, port, app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> HealthServer:
        """Start serving."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
