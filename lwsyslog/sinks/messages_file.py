"""The messages file: one human-readable line per alert, appended, reopened on SIGHUP."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from lwsyslog.alerts import Alert
from lwsyslog.sanitize import sanitize

__all__ = ["MessagesFileSink", "format_alert_line"]

_MAX_SAMPLE_CHARS = 1000


def format_alert_line(alert: Alert) -> str:
    """The messages-file line for ``alert`` (no newline inside, ever).

    ``2026-11-23T14:00:05+00:00 critical sqli-union client=203.0.113.9 count=1 message
    [source web1/apache-access:1234] line: GET /?id=1' UNION SELECT ...``
    """
    when = _iso(alert.last_time)
    categories = ",".join(alert.categories) or "-"
    return (
        f"{when} {alert.severity} {alert.rule} client={alert.client_ip or '-'} "
        f"categories={categories} count={alert.count} {sanitize(alert.message, 500)} "
        f"[source {sanitize(alert.last.describe(), 300)}] "
        f"line: {sanitize(alert.sample, _MAX_SAMPLE_CHARS)}"
    )


def _iso(when: float | None) -> str:
    if when is None:
        return "-"
    return datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds")


class MessagesFileSink:
    """Appends alert lines to ``path`` and flushes each one before returning."""

    name = "messages-file"

    def __init__(self, path: str | os.PathLike[str], fsync: bool = False) -> None:
        self.path = Path(path)
        self._fsync = fsync
        self._file: TextIO | None = None

    def _open(self) -> TextIO:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
        return self._file

    def write(self, alert: Alert) -> None:
        """Append one line and flush it to the OS (fsync too when asked)."""
        handle = self._open()
        handle.write(format_alert_line(alert) + "\n")
        handle.flush()
        if self._fsync:
            os.fsync(handle.fileno())

    def reopen(self) -> None:
        """Close so the next write opens the (possibly rotated) path anew."""
        self.close()

    def close(self) -> None:
        """Close the file if open."""
        if self._file is not None:
            try:
                self._file.close()
            finally:
                self._file = None
