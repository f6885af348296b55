"""The journald sink: structured fields so ``journalctl -t lwsyslog`` and matches work."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from lwsyslog.alerts import Alert
from lwsyslog.errors import SinkError
from lwsyslog.sanitize import sanitize

__all__ = ["JOURNAL_SOCKET", "JournaldSink", "journald_fields"]

_MAX_SAMPLE_CHARS = 2000
JOURNAL_SOCKET = "/run/systemd/journal/socket"


def journald_fields(alert: Alert, identifier: str = "lwsyslog") -> dict[str, str]:
    """The journal entry for ``alert`` (the contract in README.md, "Alerts in journald").

    Field names are upper case: journald silently drops lower-case ones.
    """
    return {
        "MESSAGE": sanitize(f"{alert.severity} {alert.rule}: {alert.message}", 1000),
        "MESSAGE_ID": alert.message_id,
        "PRIORITY": str(alert.severity.syslog_priority),
        "SYSLOG_IDENTIFIER": identifier,
        "LWSYSLOG_RULE": alert.rule,
        "LWSYSLOG_CATEGORY": ",".join(alert.categories),
        "LWSYSLOG_SEVERITY": alert.severity.value,
        "LWSYSLOG_CLIENT_IP": alert.client_ip,
        "LWSYSLOG_HOST": sanitize(alert.host, 255),
        "LWSYSLOG_LOG": alert.log,
        "LWSYSLOG_COUNT": str(alert.count),
        "LWSYSLOG_WINDOW_SECS": f"{alert.window_secs:g}",
        "LWSYSLOG_SAMPLE": sanitize(alert.sample, _MAX_SAMPLE_CHARS),
        "LWSYSLOG_SOURCE": sanitize(alert.first.describe(), 500),
    }


def _systemd_send() -> Callable[..., Any]:
    try:
        from systemd import journal  # noqa: PLC0415  (optional at import time)
    except ImportError as error:
        raise SinkError(
            "journald sink needs systemd-python (pip install systemd-python; it builds against "
            "libsystemd-dev and pkg-config)"
        ) from error
    send: Callable[..., Any] = journal.send
    return send


class JournaldSink:
    """Sends each alert to the local journald with ``LWSYSLOG_*`` fields."""

    name = "journald"
    # Best effort next to the messages file: an outage is retried, never holds a line back.
    required = False

    def __init__(
        self,
        identifier: str = "lwsyslog",
        send: Callable[..., Any] | None = None,
        socket_path: str = JOURNAL_SOCKET,
    ) -> None:
        self.identifier = identifier
        self._send = send if send is not None else _systemd_send()
        # libsystemd drops a message silently when journald's socket is missing; only the
        # real sender needs the check (an injected one reports its own failures).
        self._socket_path = socket_path if send is None else ""

    def write(self, alert: Alert) -> None:
        """Send; raises OSError when journald is not there (the dispatcher keeps the alert)."""
        if self._socket_path and not os.path.exists(self._socket_path):
            raise FileNotFoundError(f"journald is not running (no {self._socket_path})")
        fields = journald_fields(alert, self.identifier)
        message = fields.pop("MESSAGE")
        self._send(message, **fields)

    def reopen(self) -> None:
        """journald needs no reopening."""

    def close(self) -> None:
        """Nothing to close."""
