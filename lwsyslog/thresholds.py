"""Multi-event thresholds: sliding windows per (rule, key) on event time.

Each threshold rule is one small class that says which keys an observation counts toward;
the engine keeps, per (rule, key), the times of the last ``count`` events and reports a
crossing when they fit in ``window_secs``. Time comes from the log line, so scanning a file
and watching it live give the same alerts; when a line has no time the injected clock is used.
After a crossing the key is quiet for ``cooldown_secs``: one attacker gives one alert per
cooldown, not thousands. The number of keys is bounded and evictions are counted.
"""

from __future__ import annotations

import time as _time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from lwsyslog.bounded import BoundedMap
from lwsyslog.config import ThresholdSettings
from lwsyslog.events import AccessEvent, Origin
from lwsyslog.observation import Observation
from lwsyslog.triage import Urgency

__all__ = [
    "THRESHOLD_RULES",
    "AttackRepeat",
    "AuthBruteForce",
    "Crossing",
    "Scan404Burst",
    "ServerErrorStorm",
    "ThresholdEngine",
    "ThresholdRule",
    "UrgentBurst",
]

Clock = Callable[[], float]

# Categories that carry an attack payload; repeating one of them is a campaign.
PAYLOAD_CATEGORIES = frozenset(
    {
        "sqli",
        "xss",
        "path-traversal",
        "file-inclusion",
        "command-injection",
        "code-injection",
        "log4shell",
        "shellshock",
        "webshell",
        "sensitive-file",
        "admin-probe",
    }
)


@dataclass(frozen=True, slots=True)
class WindowKey:
    """Where an observation is counted: ``shown`` is the alert's key, ``detail`` splits it."""

    shown: str
    detail: str = ""
    categories: tuple[str, ...] = ()


class ThresholdRule(ABC):
    """One multi-event rule: which window keys an observation counts toward."""

    id: ClassVar[str]
    categories: ClassVar[tuple[str, ...]]
    description: ClassVar[str]
    # Standard (non-urgent, finding-free) access events with these statuses are also shown
    # to the rule; every other standard event skips the threshold stage entirely.
    standard_statuses: ClassVar[frozenset[int]] = frozenset()

    @abstractmethod
    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        """The keys this observation counts toward (usually none)."""

    def message(self, key: WindowKey, count: int, window_secs: float) -> str:
        """The alert text for a crossing."""
        what = f" ({key.detail})" if key.detail else ""
        return f"{self.description}{what}: {count} events from {key.shown} within {window_secs:g}s"


class UrgentBurst(ThresholdRule):
    """The original design's rule: several urgent events from one client."""

    id = "urgent-burst"
    categories = ()
    description = "burst of urgent events"

    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        if observation.urgency is Urgency.URGENT and observation.client_ip:
            cats = tuple(sorted({c for f in observation.findings for c in f.categories}))
            return (WindowKey(observation.client_ip, categories=cats),)
        return ()


class AuthBruteForce(ThresholdRule):
    """Repeated authentication failures from one client (access 401s, AH01617, ...)."""

    id = "auth-brute-force"
    categories = ("brute-force",)
    description = "authentication brute force"

    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        if observation.client_ip and any(
            "auth-failure" in finding.categories for finding in observation.findings
        ):
            return (WindowKey(observation.client_ip),)
        return ()


class Scan404Burst(ThresholdRule):
    """Many missing pages requested by one client: forced browsing or a scanner."""

    id = "scan-404-burst"
    categories = ("scanner",)
    description = "burst of 404 Not Found (forced browsing)"
    standard_statuses = frozenset({404})

    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        event = observation.event
        if isinstance(event, AccessEvent) and event.status == 404 and event.client_ip:
            return (WindowKey(event.client_ip),)
        return ()


class AttackRepeat(ThresholdRule):
    """The same attack category again and again from one client: a campaign, not noise."""

    id = "attack-repeat"
    categories = ()
    description = "repeated attacks"

    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        if not observation.client_ip or not observation.findings:
            return ()
        seen = {c for f in observation.findings for c in f.categories if c in PAYLOAD_CATEGORIES}
        return [WindowKey(observation.client_ip, c, (c,)) for c in sorted(seen)]


class ServerErrorStorm(ThresholdRule):
    """Many 5xx answers (or error-log errors) on one web host: failure or exploitation."""

    id = "server-error-storm"
    categories = ("server-error",)
    description = "storm of server errors"
    standard_statuses = frozenset(range(500, 600))

    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        event = observation.event
        if isinstance(event, AccessEvent) and event.status is not None and event.status >= 500:
            return (WindowKey(event.origin.host or event.vhost or event.origin.name),)
        return ()


THRESHOLD_RULES: tuple[type[ThresholdRule], ...] = (
    UrgentBurst,
    AuthBruteForce,
    Scan404Burst,
    AttackRepeat,
    ServerErrorStorm,
)


@dataclass(frozen=True, slots=True)
class Crossing:
    """A window reached its count: the material for one alert."""

    rule: ThresholdRule
    settings: ThresholdSettings
    key: WindowKey
    count: int
    first: Origin
    last: Origin
    first_time: float
    last_time: float
    categories: tuple[str, ...]
    sample: str


@dataclass(slots=True)
class _Window:
    times: deque[float]
    origins: deque[Origin]
    categories: set[str] = field(default_factory=set)
    quiet_until: float = float("-inf")


class ThresholdEngine:
    """Counts observations per (rule, key) and reports crossings."""

    def __init__(
        self,
        rules: Sequence[tuple[ThresholdRule, ThresholdSettings]],
        max_keys: int = 100_000,
        clock: Clock = _time.time,
    ) -> None:
        self._rules = [(rule, settings) for rule, settings in rules if settings.enabled]
        self._windows: BoundedMap[tuple[str, str, str], _Window] = BoundedMap(max_keys)
        self._clock = clock
        self._standard_statuses = frozenset().union(
            *(rule.standard_statuses for rule, _ in self._rules)
        )

    @classmethod
    def from_settings(
        cls, settings: Mapping[str, ThresholdSettings], max_keys: int, clock: Clock = _time.time
    ) -> ThresholdEngine:
        """An engine with every registered rule that has settings."""
        rules = [(rule(), settings[rule.id]) for rule in THRESHOLD_RULES if rule.id in settings]
        return cls(rules, max_keys=max_keys, clock=clock)

    @property
    def rules(self) -> tuple[tuple[ThresholdRule, ThresholdSettings], ...]:
        """The enabled rules with their settings."""
        return tuple(self._rules)

    @property
    def evictions(self) -> int:
        """How many keys were dropped to keep memory bounded."""
        return self._windows.evictions

    @property
    def tracked_keys(self) -> int:
        """How many (rule, key) windows are held now."""
        return len(self._windows)

    def observe(self, observation: Observation) -> list[Crossing]:
        """Count ``observation``; return the crossings it caused (usually none)."""
        crossings: list[Crossing] = []
        event = observation.event
        if (
            observation.urgency is Urgency.STANDARD
            and not observation.findings
            and (not isinstance(event, AccessEvent) or event.status not in self._standard_statuses)
        ):
            return crossings
        now = event.time if event.time is not None else self._clock()
        for rule, settings in self._rules:
            for key in rule.keys(observation):
                crossing = self._count(rule, settings, key, now, observation)
                if crossing is not None:
                    crossings.append(crossing)
        return crossings

    def _count(
        self,
        rule: ThresholdRule,
        settings: ThresholdSettings,
        key: WindowKey,
        now: float,
        observation: Observation,
    ) -> Crossing | None:
        slot = (rule.id, key.shown, key.detail)
        window = self._windows.get(slot)
        if window is None:
            window = _Window(deque(maxlen=settings.count), deque(maxlen=settings.count))
            self._windows.put(slot, window)
        window.times.append(now)
        window.origins.append(observation.event.origin)
        window.categories.update(key.categories)
        if len(window.times) < settings.count or now < window.quiet_until:
            return None
        first_time = window.times[0]
        if now - first_time > settings.window_secs:
            return None
        window.quiet_until = now + settings.cooldown_secs
        categories = rule.categories or tuple(sorted(window.categories))
        crossing = Crossing(
            rule=rule,
            settings=settings,
            key=key,
            count=len(window.times),
            first=window.origins[0],
            last=window.origins[-1],
            first_time=first_time,
            last_time=now,
            categories=categories,
            sample=observation.event.raw,
        )
        window.categories = set()
        return crossing
