"""Logging for the collector: LOG_LEVEL, text or JSON lines, and no secret in any of them."""

from __future__ import annotations

import json
import logging
import sys
import time

from tap_oura.redact import REDACTOR


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as JSON."""
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = REDACTOR.scrub(self.formatException(record.exc_info))
        return json.dumps(entry)


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Send the collector's logs to stderr in the chosen format, secrets masked."""
    REDACTOR.install()
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S"
            )
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # In-process tap calls (check, auth) would otherwise log a metric line per request.
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    logging.getLogger("singer_sdk.metrics").setLevel(quiet)


def hide(*secrets: str | None) -> None:
    """Register values that must never appear in a log line."""
    REDACTOR.add(*secrets)
