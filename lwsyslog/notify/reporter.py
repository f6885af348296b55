"""Where the notifier reports what goes wrong: any object with ``info``/``warning``/``error``.

The omprog program's :class:`~lwsyslog.omprog.diagnostics.Diagnostics` fits as it is. Texts
may quote an error from a server: the default reporter sanitizes them onto one line.
"""

from __future__ import annotations

import sys
from typing import Protocol

from lwsyslog.sanitize import sanitize

__all__ = ["Reporter", "StderrReporter"]


class Reporter(Protocol):
    """Receives one-line diagnostics from the notifier's threads."""

    def info(self, message: str) -> None:
        """Something worth knowing (a channel delivers again)."""

    def warning(self, message: str) -> None:
        """Something degraded (a delivery failed, it will be retried)."""

    def error(self, message: str) -> None:
        """Something lost (notifications dropped) or broken."""


class StderrReporter:
    """Writes ``lwsyslog-notify: LEVEL: text`` lines to stderr."""

    def _write(self, level: str, message: str) -> None:
        try:
            sys.stderr.write(f"lwsyslog-notify: {level}: {sanitize(message, 2000)}\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass

    def info(self, message: str) -> None:
        """Report at info level."""
        self._write("info", message)

    def warning(self, message: str) -> None:
        """Report at warning level."""
        self._write("warning", message)

    def error(self, message: str) -> None:
        """Report at error level."""
        self._write("error", message)
