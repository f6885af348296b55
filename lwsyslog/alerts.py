"""Alerts: what an operator is told, made from threshold crossings and single severe findings."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from lwsyslog.bounded import BoundedMap
from lwsyslog.events import AccessEvent, Origin
from lwsyslog.findings import Finding
from lwsyslog.observation import Observation
from lwsyslog.severity import Severity
from lwsyslog.thresholds import Crossing, client_key

__all__ = ["Alert", "AlertMaker", "message_id"]

_MESSAGE_ID_NAMESPACE = uuid.UUID("6f1c2a4e-2b1d-4f7e-9c55-1b9e0c8f4a11")


def quoted(text: str) -> str:
    """``text`` in quotes as ``repr`` puts them, its characters left as they are.

    ``repr`` would also escape control characters, and every output escapes the message
    again (:func:`lwsyslog.sanitize.sanitize`): an ESC then read ``\\\\x1b``. The message keeps
    the attacker's text raw, like ``sample``, and is escaped once, where it is written.
    """
    quote = '"' if "'" in text and '"' not in text else "'"
    return f"{quote}{text}{quote}"


def message_id(rule: str) -> str:
    """journald MESSAGE_ID for ``rule``: stable across versions and hosts (UUID5, 32 hex)."""
    return uuid.uuid5(_MESSAGE_ID_NAMESPACE, rule).hex


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert. ``sample`` is the triggering line as logged: sanitize before output."""

    rule: str
    key: str
    client_ip: str
    categories: tuple[str, ...]
    severity: Severity
    count: int
    window_secs: float
    first: Origin
    last: Origin
    first_time: float | None
    last_time: float | None
    message: str
    sample: str
    log: str
    #: Every rule that fired on the triggering line (the lead rule first).
    rules: tuple[str, ...] = ()
    #: The CVEs the line's findings name (known exploits), in finding order.
    cves: tuple[str, ...] = ()

    @property
    def host(self) -> str:
        """The web host the triggering line came from ('' offline)."""
        return self.last.host

    @property
    def message_id(self) -> str:
        """Stable journald MESSAGE_ID of this alert's rule."""
        return message_id(self.rule)

    @property
    def fingerprint(self) -> str:
        """Identity of this alert across a replay of the same lines after a restart."""
        digest = hashlib.blake2b(digest_size=16)
        for part in (self.rule, self.key, self.last.host, self.last.tag, self.sample):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        digest.update(repr(self.last_time).encode())
        return digest.hexdigest()


class AlertMaker:
    """Turns crossings and severe single findings into alerts, with a cooldown per (rule, key)."""

    def __init__(
        self,
        single_event_min_severity: Severity,
        cooldown_secs: float,
        max_keys: int,
        *,
        clock: Callable[[], float] = time.time,
        descriptions: Mapping[str, str] | None = None,
        not_standalone: Iterable[str] = (),
    ) -> None:
        self._clock = clock
        # Rules whose findings only feed a threshold (a correlation's building blocks).
        self._not_standalone = frozenset(not_standalone)
        self._descriptions = dict(descriptions or {})
        self._min_rank = single_event_min_severity.rank
        self._cooldown_secs = cooldown_secs
        self._quiet_until: BoundedMap[tuple[str, str], float] = BoundedMap(max_keys)

    @property
    def evictions(self) -> int:
        """Cooldown entries dropped to keep memory bounded."""
        return self._quiet_until.evictions

    def from_findings(self, observation: Observation) -> list[Alert]:
        """At most one alert for the line's findings severe enough to stand alone.

        One request often trips several rules, of one source or several (a UNION and a quote
        breakout, and a Sigma rule for the same payload); the operator gets one alert naming
        them all, led by the most severe finding. The cooldown is per (category, client), so
        a sqlmap run is one alert per cooldown, not one per payload variant.
        """
        severe = [
            f
            for f in observation.findings
            if f.severity.rank >= self._min_rank and f.rule_id not in self._not_standalone
        ]
        if not severe:
            return []
        severe.sort(key=lambda finding: -finding.severity.rank)
        lead = severe[0]
        categories = tuple(dict.fromkeys(c for f in severe for c in f.categories))
        fresh = [c for c in categories if not self._in_cooldown(c, lead.client_ip, lead.time)]
        if not fresh:
            return []
        return [self._single(lead, severe, categories, observation)]

    def from_crossings(self, crossings: Iterable[Crossing], log: str) -> list[Alert]:
        """One alert per crossing (the threshold engine already applied its cooldown)."""
        return [
            Alert(
                rule=c.rule.id,
                key=c.key.shown,
                client_ip=c.client_ip,
                categories=c.categories,
                severity=c.settings.severity,
                count=c.count,
                window_secs=c.settings.window_secs,
                first=c.first,
                last=c.last,
                first_time=c.first_time,
                last_time=c.last_time,
                message=c.rule.message(c.key, c.count, c.settings.window_secs),
                sample=c.sample,
                log=log,
                rules=(c.rule.id,),
            )
            for c in crossings
        ]

    def _in_cooldown(self, rule: str, key: str, when: float | None) -> bool:
        if when is None:
            when = self._clock()
        slot = (rule, client_key(key))
        until = self._quiet_until.get(slot)
        if until is not None and when < until:
            return True
        self._quiet_until.put(slot, when + self._cooldown_secs)
        return False

    def _single(
        self,
        lead: Finding,
        severe: list[Finding],
        categories: tuple[str, ...],
        observation: Observation,
    ) -> Alert:
        rules = ", ".join(dict.fromkeys(f.rule_id for f in severe))
        what = self._descriptions.get(lead.rule_id, lead.rule_id)
        event = observation.event
        answered = ""
        status = event.status if isinstance(event, AccessEvent) else None
        if status is not None and 200 <= status < 300:
            answered = f"; answered {status}, it may have worked"
        return Alert(
            rule=lead.rule_id,
            key=lead.client_ip,
            client_ip=lead.client_ip,
            categories=categories,
            severity=lead.severity,
            count=1,
            window_secs=0.0,
            first=lead.origin,
            last=lead.origin,
            first_time=lead.time,
            last_time=lead.time,
            message=(
                f"{what}: {lead.client_ip or 'unknown client'} sent {quoted(lead.fragment[:80])} "
                f"in {lead.field} (rules: {rules}){answered}"
            ),
            sample=observation.event.raw,
            log=lead.log,
            rules=tuple(dict.fromkeys(f.rule_id for f in severe)),
            cves=tuple(dict.fromkeys(cve for f in severe for cve in f.cves)),
        )
