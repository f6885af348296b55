"""Counters for a run: lines, unparsed reasons, findings, alerts, top clients (bounded)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from lwsyslog.thresholds.keys import client_key

if TYPE_CHECKING:
    from lwsyslog.alerts import Alert

__all__ = ["RunStats"]

_MAX_CLIENTS: Final = 10_000


@dataclass(slots=True)
class RunStats:
    """What a scan or a live run has seen so far."""

    lines: int = 0
    access: int = 0
    error: int = 0
    urgent: int = 0
    invalid_utf8: int = 0
    #: Lines no format fits that were read as cut access lines (and scanned).
    cut_lines: int = 0
    unparsed: Counter[str] = field(default_factory=Counter)
    findings_by_category: Counter[str] = field(default_factory=Counter)
    findings_by_rule: Counter[str] = field(default_factory=Counter)
    alerts_by_rule: Counter[str] = field(default_factory=Counter)
    #: (rule, severity) of every alert raised (the metrics' ``lwsyslog_alerts_total``).
    alerts_by_rule_severity: Counter[tuple[str, str]] = field(default_factory=Counter)
    clients: Counter[str] = field(default_factory=Counter)
    lines_with_findings: int = 0

    def count_client(self, client_ip: str) -> None:
        """Count a suspicious line from ``client_ip``, keeping at most 10,000 clients.

        A client is counted under its key as the thresholds count it
        (:func:`~lwsyslog.thresholds.keys.client_key`: an IPv6 address under its /64, a host
        name cut to 64 characters), so the table is bounded in bytes as well as in keys: a
        ``%h`` client is any text the line holds, up to ``max_line_bytes``.
        """
        clients = self.clients
        clients[client_key(client_ip)] += 1
        if len(clients) > _MAX_CLIENTS:
            # Keep the heaviest half: top clients survive, the long tail of one-offs goes.
            keep = clients.most_common(_MAX_CLIENTS // 2)
            clients.clear()
            clients.update(dict(keep))

    def count_alerts(self, alerts: Iterable[Alert]) -> None:
        """Count raised alerts by rule, and by rule and severity."""
        for alert in alerts:
            self.alerts_by_rule[alert.rule] += 1
            self.alerts_by_rule_severity[alert.rule, alert.severity.value] += 1

    @property
    def unparsed_total(self) -> int:
        """Lines that fit no format, all reasons together."""
        return sum(self.unparsed.values())

    @property
    def alerts(self) -> int:
        """Alerts raised, all rules together."""
        return sum(self.alerts_by_rule.values())
