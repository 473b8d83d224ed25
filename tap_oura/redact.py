"""Keep credentials out of every log line, whoever logs it.

A log record factory scrubs known secret values from messages, arguments and tracebacks as
records are created, so it covers the SDK's, requests' and our own loggers alike.
"""

from __future__ import annotations

import logging
import threading
import traceback

MASK = "***"
MIN_SECRET_LENGTH = 6  # shorter values would mask ordinary words


class SecretRedactor:
    """A set of secret strings and the log record factory that hides them."""

    def __init__(self) -> None:
        """Start with no secrets; `install()` hooks into logging."""
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        self._installed = False

    def add(self, *secrets: str | None) -> None:
        """Register values that must never be logged."""
        with self._lock:
            self._secrets.update(s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH)

    def scrub(self, text: str) -> str:
        """Return `text` with every registered secret masked."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def install(self) -> None:
        """Wrap the current log record factory (once per process)."""
        with self._lock:
            if self._installed:
                return
            self._installed = True
        previous = logging.getLogRecordFactory()

        def factory(*args: object, **kwargs: object) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if not self._secrets:
                return record
            message = record.getMessage()
            if record.exc_info and not record.exc_text:
                record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
            scrubbed = self.scrub(message)
            if scrubbed != message:
                record.msg, record.args = scrubbed, None
            if record.exc_text:
                record.exc_text = self.scrub(record.exc_text)
            return record

        logging.setLogRecordFactory(factory)


REDACTOR = SecretRedactor()
