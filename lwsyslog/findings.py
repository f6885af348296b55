"""A finding: one rule's verdict that one event shows an attack or anomaly."""

from __future__ import annotations

from dataclasses import dataclass

from lwsyslog.events import Origin
from lwsyslog.severity import Severity

__all__ = ["Finding"]


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule matched an event.

    ``field`` names the event field that matched (``target``, ``user_agent``, ``message``...)
    and ``fragment`` the matched text after decoding: what ``lwsyslog explain`` shows so a user
    can trust or tune a rule. ``fragment`` may hold attacker bytes: sanitize before output.
    ``cves`` names the CVEs of the exploit the rule recognises (``CVE-2021-41773``), if any.
    """

    rule_id: str
    categories: tuple[str, ...]
    severity: Severity
    client_ip: str
    origin: Origin
    log: str
    time: float | None
    field: str
    fragment: str
    cves: tuple[str, ...] = ()

    def with_severity(self, severity: Severity) -> Finding:
        """This finding at ``severity`` (the same object when it is already there).

        What ``dataclasses.replace`` does, without its per-call field introspection: this
        runs for every attack line the server answered 2xx, which in a storm is every line.
        """
        if severity is self.severity:
            return self
        return Finding(
            self.rule_id,
            self.categories,
            severity,
            self.client_ip,
            self.origin,
            self.log,
            self.time,
            self.field,
            self.fragment,
            self.cves,
        )
