"""Diagnostics of the omprog program: to stderr and, when available, to journald.

Never to stdout, which belongs to the omprog protocol. Everything is sanitized (a diagnostic
may quote log content) and kept to one line. Repeated problems are rate-limited per key: the
first is reported, the next ones within the interval are only counted and the count is shown
with the next report.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from enum import IntEnum
from typing import Any, TextIO

from lwsyslog.sanitize import sanitize
from lwsyslog.sinks.journal_socket import JOURNAL_SOCKET, JournalSocket

__all__ = ["Diagnostics", "Level", "journal_sender"]

_MAX_CHARS = 2000
Clock = Callable[[], float]
Sender = Callable[..., Any]


class Level(IntEnum):
    """syslog priority of a diagnostic."""

    ERROR = 3
    WARNING = 4
    NOTICE = 5
    INFO = 6


def journal_sender(socket_path: str = JOURNAL_SOCKET) -> Sender:
    """A function sending a diagnostic to journald without ever waiting on it."""
    journal = JournalSocket(socket_path)

    def send(message: str, **fields: str) -> None:
        journal.send({"MESSAGE": message, **fields})

    return send


class Diagnostics:
    """One-line, sanitized, rate-limitable reports of what the program is doing."""

    def __init__(
        self,
        stream: TextIO | None = None,
        journal: Sender | None = None,
        identifier: str = "lwsyslog-omprog",
        clock: Clock = time.monotonic,
        interval_secs: float = 60.0,
    ) -> None:
        self._stream = stream
        self._journal = journal
        self._identifier = identifier
        self._clock = clock
        self._interval_secs = interval_secs
        self._next_allowed: dict[str, float] = {}
        self._held_back: dict[str, int] = {}
        self.journal_failures = 0

    def report(self, level: Level, message: str) -> None:
        """Write ``message`` (sanitized, one line) to stderr and journald."""
        text = sanitize(message, _MAX_CHARS)
        stream = self._stream if self._stream is not None else sys.stderr
        try:
            stream.write(f"{self._identifier}: {level.name.lower()}: {text}\n")
            stream.flush()
        except (OSError, ValueError):
            pass  # stderr gone (rsyslog closed it): nothing better to do than carry on
        if self._journal is not None:
            try:
                self._journal(text, PRIORITY=str(int(level)), SYSLOG_IDENTIFIER=self._identifier)
            except Exception:  # journald down must not stop the program
                self.journal_failures += 1

    def error(self, message: str) -> None:
        """Report at priority err."""
        self.report(Level.ERROR, message)

    def warning(self, message: str) -> None:
        """Report at priority warning."""
        self.report(Level.WARNING, message)

    def info(self, message: str) -> None:
        """Report at priority info."""
        self.report(Level.INFO, message)

    def limited(self, key: str, level: Level, message: str) -> bool:
        """Report at most once per interval for ``key``; True when this one was written."""
        now = self._clock()
        if now < self._next_allowed.get(key, float("-inf")):
            self._held_back[key] = self._held_back.get(key, 0) + 1
            return False
        self._next_allowed[key] = now + self._interval_secs
        held = self._held_back.pop(key, 0)
        if held:
            message = f"{message} ({held} more like it not shown)"
        self.report(level, message)
        return True
