"""Alerts: what an operator is told, made from threshold crossings and single severe findings."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from lwsyslog.cooldowns import Cooldowns
from lwsyslog.events import AccessEvent, Origin
from lwsyslog.findings import Finding
from lwsyslog.observation import Observation
from lwsyslog.sanitize import truncate
from lwsyslog.severity import Severity
from lwsyslog.thresholds import Crossing, client_key
from lwsyslog.thresholds.keys import MAX_CLIENT_CHARS

__all__ = ["SAMPLE_MAX_CHARS", "Alert", "AlertMaker", "bounded_sample", "message_id"]

#: Longest ``sample`` an alert keeps, in characters: more than any output writes (journald
#: and the alert store 2,000, the messages file 1,000, a webhook 4,000, a notification
#: ``sample_max_chars``, 2,000 unless set). A line up to ``max_line_bytes`` (128 KiB) is cut
#: once, when its alert is made, so every alert waiting for a sink is bounded in bytes.
SAMPLE_MAX_CHARS: Final = 4096
# The other texts taken from a line are cut as their outputs cut them: a client as every
# sink does (a logged host name can be any text), a key as the alert store, a message to
# what journald writes.
_KEY_MAX_CHARS: Final = 300
_MESSAGE_MAX_CHARS: Final = 1000


def bounded_sample(raw: str) -> str:
    """``raw`` as an alert keeps it: at most :data:`SAMPLE_MAX_CHARS` characters, a cut
    marked with a trailing ellipsis as every output marks its own (one code point is one
    character, so no cut splits a character; escaping happens later, where it is written)."""
    return truncate(raw, SAMPLE_MAX_CHARS)


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
    """One alert. ``sample`` is the triggering line as logged (at most
    :data:`SAMPLE_MAX_CHARS` characters): sanitize before output."""

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
        """Identity of this alert across a replay of the same lines after a restart.

        The categories are part of it: one line can raise an alert per category under one
        rule and key (``attack-repeat`` of a traversal and of a JNDI lookup), and the store
        keeps one alert per identity."""
        digest = hashlib.blake2b(digest_size=16)
        for part in (self.rule, self.key, self.last.host, self.last.tag, self.sample):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        for category in self.categories:
            digest.update(category.encode("utf-8", "surrogatepass"))
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
        # At most max_keys cooldowns: the pipeline gives a threshold rule's capacity.
        self._cooldowns: Cooldowns[tuple[str, str]] = Cooldowns(max_keys)

    @property
    def evictions(self) -> int:
        """Cooldowns dropped before their end to keep memory bounded."""
        return self._cooldowns.evictions

    @property
    def cooldowns(self) -> int:
        """Cooldowns held now."""
        return len(self._cooldowns)

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
                key=truncate(c.key.shown, _KEY_MAX_CHARS),
                client_ip=truncate(c.client_ip, MAX_CLIENT_CHARS),
                categories=c.categories,
                severity=c.settings.severity,
                count=c.count,
                window_secs=c.settings.window_secs,
                first=c.first,
                last=c.last,
                first_time=c.first_time,
                last_time=c.last_time,
                message=truncate(
                    c.rule.message(c.key, c.count, c.settings.window_secs), _MESSAGE_MAX_CHARS
                ),
                sample=bounded_sample(c.sample),
                log=log,
                rules=(c.rule.id,),
            )
            for c in crossings
        ]

    def _in_cooldown(self, rule: str, key: str, when: float | None) -> bool:
        if when is None:
            when = self._clock()
        return self._cooldowns.quiet((rule, client_key(key)), when, self._cooldown_secs)

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
        client = truncate(lead.client_ip, MAX_CLIENT_CHARS)
        return Alert(
            rule=lead.rule_id,
            key=client,
            client_ip=client,
            categories=categories,
            severity=lead.severity,
            count=1,
            window_secs=0.0,
            first=lead.origin,
            last=lead.origin,
            first_time=lead.time,
            last_time=lead.time,
            message=truncate(
                f"{what}: {client or 'unknown client'} sent {quoted(lead.fragment[:80])} "
                f"in {lead.field} (rules: {rules}){answered}",
                _MESSAGE_MAX_CHARS,
            ),
            sample=bounded_sample(observation.event.raw),
            log=lead.log,
            rules=tuple(dict.fromkeys(f.rule_id for f in severe)),
            cves=tuple(dict.fromkeys(cve for f in severe for cve in f.cves)),
        )
