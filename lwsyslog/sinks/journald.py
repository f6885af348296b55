"""The journald sink: structured fields so ``journalctl -t lwsyslog`` and matches work.

Entries go through :class:`~lwsyslog.sinks.journal_socket.JournalSocket`, which never waits on
journald: a journald that is down or not reading makes :meth:`JournaldSink.write` raise at
once, and the dispatcher keeps the alert and tries again later.
"""

from __future__ import annotations

from lwsyslog.alerts import Alert
from lwsyslog.sanitize import sanitize
from lwsyslog.sinks.journal_socket import JOURNAL_SOCKET, JournalSocket

__all__ = ["JOURNAL_SOCKET", "JournaldSink", "journald_fields", "short_message"]

_MAX_SAMPLE_CHARS = 2000


def short_message(alert: Alert) -> str:
    """The journal's one-line MESSAGE: severity, rule, the web host it is about, what happened
    (``high sqli-union-select on web1: ...``); journalctl's own host column is the server's."""
    where = f" on {alert.host}" if alert.host else ""
    return f"{alert.severity} {alert.rule}{where}: {alert.message}"


def journald_fields(alert: Alert, identifier: str = "lwsyslog") -> list[tuple[str, str]]:
    """The journal entry for ``alert`` as ``(name, value)`` pairs (the contract in README.md,
    "Alerts in journald").

    Field names are upper case: journald silently drops lower-case ones. ``LWSYSLOG_CATEGORY``
    and ``LWSYSLOG_CVE`` come once per value, as journald allows, so that
    ``journalctl LWSYSLOG_CVE=CVE-2021-41773`` finds an alert that names two CVEs (journalctl
    matches a field's whole value); an alert without a category or a CVE has no such field.
    """
    fields = [
        ("MESSAGE", sanitize(short_message(alert), 1000)),
        ("MESSAGE_ID", alert.message_id),
        ("PRIORITY", str(alert.severity.syslog_priority)),
        ("SYSLOG_IDENTIFIER", identifier),
        ("LWSYSLOG_RULE", alert.rule),
        *(("LWSYSLOG_CATEGORY", category) for category in alert.categories),
        ("LWSYSLOG_SEVERITY", alert.severity.value),
        ("LWSYSLOG_CLIENT_IP", sanitize(alert.client_ip, 64)),
        ("LWSYSLOG_HOST", sanitize(alert.host, 255)),
        ("LWSYSLOG_LOG", alert.log),
        ("LWSYSLOG_COUNT", str(alert.count)),
        ("LWSYSLOG_WINDOW_SECS", f"{alert.window_secs:g}"),
        ("LWSYSLOG_SAMPLE", sanitize(alert.sample, _MAX_SAMPLE_CHARS)),
        ("LWSYSLOG_SOURCE", sanitize(alert.first.describe(), 500)),
    ]
    fields.extend(("LWSYSLOG_CVE", sanitize(cve, 32)) for cve in alert.cves)
    return fields


class JournaldSink:
    """Sends each alert to the local journald with ``LWSYSLOG_*`` fields."""

    name = "journald"
    # Best effort next to the messages file: an outage is retried, never holds a line back.
    required = False

    def __init__(self, identifier: str = "lwsyslog", socket_path: str = JOURNAL_SOCKET) -> None:
        self.identifier = identifier
        self._socket = JournalSocket(socket_path)

    def write(self, alert: Alert) -> None:
        """Hand the entry to journald, or raise ``OSError`` (the dispatcher keeps the alert)."""
        self._socket.send(journald_fields(alert, self.identifier))

    def reopen(self) -> None:
        """journald needs no reopening."""

    def close(self) -> None:
        """Close the socket."""
        self._socket.close()
