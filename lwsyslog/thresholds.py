"""Multi-event thresholds: sliding windows per (rule, key) on event time.

Each threshold rule is one small class that says which keys an observation counts toward;
the engine keeps, per (rule, key), the times of the last ``count`` events and reports a
crossing when they fit in ``window_secs``. Time comes from the log line, so scanning a file
and watching it live give the same alerts; when a line has no time the injected clock is used.
After a crossing the key is quiet for ``cooldown_secs``: one attacker gives one alert per
cooldown, not thousands. The number of keys is bounded and evictions are counted.
"""

from __future__ import annotations

import re
import time as _time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from lwsyslog.bounded import BoundedMap, FifoMap
from lwsyslog.categories import PAYLOAD_CATEGORIES
from lwsyslog.events import AccessEvent, ErrorEvent, Origin
from lwsyslog.findings import Finding
from lwsyslog.observation import Observation
from lwsyslog.settings import ThresholdSettings
from lwsyslog.triage import Urgency

__all__ = [
    "THRESHOLD_RULES",
    "AttackRepeat",
    "AuthBruteForce",
    "BruteForceSuccess",
    "Crossing",
    "EveryEventRule",
    "LoginPostBurst",
    "RequestFlood",
    "Scan404Burst",
    "ScanDistinct404",
    "ServerErrorStorm",
    "ThresholdEngine",
    "ThresholdRule",
    "UrgentBurst",
]

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class WindowKey:
    """Where an observation is counted: ``shown`` is the alert's key, ``detail`` splits it.

    ``client_ip`` is the client the window is about (the alert names it); empty for windows
    that are not per client (a web host's 5xx storm).
    """

    shown: str
    detail: str = ""
    categories: tuple[str, ...] = ()
    # Count an observation only if this value is not among the window's recent ones
    # (distinct missing paths rather than one path hammered).
    distinct: str = ""
    # For self-counting rules: the figure the alert reports.
    count: int = 0
    client_ip: str = ""


class ThresholdRule(ABC):
    """One multi-event rule: which window keys an observation counts toward."""

    id: ClassVar[str]
    categories: ClassVar[tuple[str, ...]]
    description: ClassVar[str]
    # Standard (non-urgent, finding-free) access events with these statuses are also shown
    # to the rule; every other standard event skips the threshold stage entirely.
    standard_statuses: ClassVar[frozenset[int]] = frozenset()
    # ... and standard events with these request methods.
    standard_methods: ClassVar[frozenset[str]] = frozenset()
    # ... and standard access events that carry an authenticated user name.
    standard_with_user: ClassVar[bool] = False
    # The rule decides crossings itself (stateful sequences, baselines): each key it returns is
    # a crossing, subject only to the cooldown.
    self_counting: ClassVar[bool] = False

    def bind(self, settings: ThresholdSettings, max_keys: int) -> None:  # noqa: B027
        """Receive the configured numbers (stateful rules size their state here)."""

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
            return (
                WindowKey(observation.client_ip, categories=cats, client_ip=observation.client_ip),
            )
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
            return (_client_key(observation.client_ip),)
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
            return (_client_key(event.client_ip),)
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
        client = observation.client_ip
        return [WindowKey(client, c, (c,), client_ip=client) for c in sorted(seen)]


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


class ScanDistinct404(ThresholdRule):
    """Many *different* missing paths from one client: a wordlist, not a broken link."""

    id = "scan-distinct-404"
    categories = ("scanner",)
    description = "many distinct missing paths (forced browsing)"
    standard_statuses = frozenset({404})

    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        event = observation.event
        if isinstance(event, AccessEvent) and event.status == 404 and event.client_ip:
            return (WindowKey(event.client_ip, distinct=event.path, client_ip=event.client_ip),)
        return ()


_LOGIN_PATH = re.compile(
    r"(?:wp-login\.php|xmlrpc\.php|/log-?in\b|/signin\b|/sign-in\b|/auth\b|/session\b"
    r"|/user/login|/admin/login|/administrator/index\.php|j_security_check|/account/login)",
    re.IGNORECASE,
)


class LoginPostBurst(ThresholdRule):
    """Repeated POSTs to a login form from one client: password guessing through the app."""

    id = "login-brute-force"
    categories = ("brute-force",)
    description = "repeated login form submissions"
    standard_methods = frozenset({"POST"})

    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        event = observation.event
        if (
            isinstance(event, AccessEvent)
            and event.method == "POST"
            and event.client_ip
            and _LOGIN_PATH.search(event.path)
        ):
            return (_client_key(event.client_ip),)
        return ()


def _is_auth_failure(observation: Observation) -> bool:
    return any("auth-failure" in finding.categories for finding in observation.findings)


class BruteForceSuccess(ThresholdRule):
    """A client that failed to authenticate many times, then got in: a likely compromise.

    ``count`` failures within ``window_secs`` arm the client; a later authenticated success
    (an access line with a user name and a 2xx/3xx status) within the same window fires.
    """

    id = "brute-force-success"
    categories = ("brute-force",)
    description = "authentication succeeded after a brute force (likely compromise)"
    self_counting = True
    standard_with_user = True

    _failures: BoundedMap[str, deque[float]]
    _needed: int
    _window_secs: float

    def bind(self, settings: ThresholdSettings, max_keys: int) -> None:
        self._failures = BoundedMap(max_keys)
        self._needed = settings.count
        self._window_secs = settings.window_secs

    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        event = observation.event
        client = event.client_ip
        if not client or event.time is None:
            return ()
        if _is_auth_failure(observation):
            failures = self._failures.get(client)
            if failures is None:
                failures = deque(maxlen=self._needed)
                self._failures.put(client, failures)
            failures.append(event.time)
            return ()
        if not (
            isinstance(event, AccessEvent)
            and event.user
            and event.status is not None
            and 200 <= event.status < 400
        ):
            return ()
        failures = self._failures.get(client)
        if failures is None or len(failures) < self._needed:
            return ()
        if event.time - failures[0] > self._window_secs:
            return ()
        failures.clear()
        return (
            WindowKey(
                client, detail=f"user {event.user}", count=self._needed + 1, client_ip=client
            ),
        )

    def message(self, key: WindowKey, count: int, window_secs: float) -> str:
        return (
            f"{self.description}: {key.shown} logged in as {key.detail.removeprefix('user ')} "
            f"after {count - 1} failures within {window_secs:g}s"
        )


def _client_key(client_ip: str) -> WindowKey:
    return WindowKey(client_ip, client_ip=client_ip)


class EveryEventRule(ThresholdRule):
    """A rule that must see every event (a baseline of normal traffic), on the hot path.

    The engine calls :meth:`tick` with the bare event, building nothing per line.
    """

    self_counting = True

    @abstractmethod
    def tick(self, event: AccessEvent | ErrorEvent) -> WindowKey | None:
        """Account for one event; a key when this event crosses the rule."""

    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        key = self.tick(observation.event)
        return () if key is None else (key,)


class RequestFlood(EveryEventRule):
    """One client far above its own request-rate baseline (and above an absolute floor).

    Requests are counted per ``window_secs`` bucket of log time. When a bucket ends, each
    client seen in it updates its baseline, an exponentially weighted mean of its per-bucket
    counts (buckets it was absent from decay it). A client whose count in the current bucket
    reaches both ``count`` and ``baseline_factor`` times its baseline fires once per bucket.
    Per line this is one dict update; the baseline is read only past the floor.
    """

    id = "request-flood"
    categories = ("dos",)
    description = "request flood far above the client's baseline"
    _SMOOTHING = 0.2

    def bind(self, settings: ThresholdSettings, max_keys: int) -> None:
        self._floor = settings.count
        self._bucket_secs = max(settings.window_secs, 1.0)
        self._factor = settings.baseline_factor or 10.0
        self._max_keys = max_keys
        self._bucket = float("-inf")
        self._counts: dict[str, int] = {}
        self._fired: set[str] = set()
        # client -> (baseline requests per bucket, bucket it was last updated for)
        self._baselines: FifoMap[str, tuple[float, float]] = FifoMap(max_keys)
        self.dropped = 0

    def tick(self, event: AccessEvent | ErrorEvent) -> WindowKey | None:
        when = event.time
        if when is None or event.log != "access":
            return None
        client = event.client_ip
        bucket = when // self._bucket_secs
        if bucket > self._bucket:
            self._roll_over(bucket)
        counts = self._counts
        count = counts.get(client, 0) + 1
        if count == 1 and len(counts) >= self._max_keys:
            self.dropped += 1
            return None
        counts[client] = count
        if count < self._floor or client in self._fired or not client:
            return None
        baseline = self._baseline(client, self._bucket)
        if count < self._factor * baseline:
            return None
        self._fired.add(client)
        return WindowKey(client, detail=f"baseline {baseline:.0f}", count=count, client_ip=client)

    def _baseline(self, client: str, bucket: float) -> float:
        stored = self._baselines.get(client)
        if stored is None:
            return 0.0
        mean, updated = stored
        decay: float = (1 - self._SMOOTHING) ** max(bucket - updated - 1, 0)
        return mean * decay

    def _roll_over(self, bucket: float) -> None:
        # A baseline below floor/factor can never matter (the floor decides), so only clients
        # busy enough to reach it are remembered: the long tail costs one comparison each.
        ended = self._bucket
        relevant = self._floor / self._factor
        baselines = self._baselines
        for client, count in self._counts.items():
            if count < relevant and baselines.get(client) is None:
                continue
            mean = self._SMOOTHING * count + (1 - self._SMOOTHING) * self._baseline(client, ended)
            if mean >= relevant:
                baselines.put(client, (mean, ended))
            else:
                baselines.discard(client)
        self._counts = {}
        self._fired = set()
        self._bucket = bucket

    def message(self, key: WindowKey, count: int, window_secs: float) -> str:
        return (
            f"{self.description}: {count} requests from {key.shown} within {window_secs:g}s "
            f"({key.detail} per {window_secs:g}s)"
        )


THRESHOLD_RULES: tuple[type[ThresholdRule], ...] = (
    UrgentBurst,
    AuthBruteForce,
    LoginPostBurst,
    BruteForceSuccess,
    Scan404Burst,
    ScanDistinct404,
    AttackRepeat,
    ServerErrorStorm,
    RequestFlood,
)


_NO_CROSSINGS: tuple[Crossing, ...] = ()


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

    @property
    def client_ip(self) -> str:
        """The client the crossing is about (empty when the window is not per client)."""
        return self.key.client_ip


@dataclass(slots=True)
class _Window:
    times: deque[float]
    origins: deque[Origin]
    values: deque[str]
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
        for rule, settings in self._rules:
            rule.bind(settings, max_keys)
        self._every = [(r, s) for r, s in self._rules if isinstance(r, EveryEventRule)]
        self._selective = [(r, s) for r, s in self._rules if not isinstance(r, EveryEventRule)]
        self._windows: BoundedMap[tuple[str, str, str], _Window] = BoundedMap(max_keys)
        self._clock = clock
        self._standard_statuses = frozenset().union(
            *(rule.standard_statuses for rule, _ in self._selective)
        )
        self._standard_methods = frozenset().union(
            *(rule.standard_methods for rule, _ in self._selective)
        )
        self._user_rules = any(rule.standard_with_user for rule, _ in self._selective)

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, ThresholdSettings],
        max_keys: int,
        clock: Clock = _time.time,
        extra: Sequence[tuple[ThresholdRule, ThresholdSettings]] = (),
    ) -> ThresholdEngine:
        """An engine with every registered rule that has settings, plus ``extra`` (Sigma)."""
        rules = [(rule(), settings[rule.id]) for rule in THRESHOLD_RULES if rule.id in settings]
        return cls([*rules, *extra], max_keys=max_keys, clock=clock)

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

    def observe(self, observation: Observation) -> Sequence[Crossing]:
        """Count ``observation``; return the crossings it caused (usually none)."""
        return self.observe_line(*observation)

    def observe_line(
        self, event: AccessEvent | ErrorEvent, urgency: Urgency, findings: Sequence[Finding]
    ) -> Sequence[Crossing]:
        """:meth:`observe` for the hot path: most lines touch no rule and build nothing."""
        rules = self._rules
        if urgency is Urgency.STANDARD and not findings:
            if isinstance(event, AccessEvent) and (
                event.status in self._standard_statuses
                or event.method in self._standard_methods
                or (event.user and self._user_rules)
            ):
                pass
            elif self._every:
                return self._tick_every(event, urgency)
            else:
                return _NO_CROSSINGS
        observation = Observation(event, urgency, findings)
        now = event.time if event.time is not None else self._clock()
        crossings: list[Crossing] = []
        for rule, settings in rules:
            for key in rule.keys(observation):
                crossing = self._count(rule, settings, key, now, observation)
                if crossing is not None:
                    crossings.append(crossing)
        return crossings

    def _tick_every(self, event: AccessEvent | ErrorEvent, urgency: Urgency) -> Sequence[Crossing]:
        crossings: list[Crossing] = []
        for rule, settings in self._every:
            key = rule.tick(event)
            if key is not None:
                now = event.time if event.time is not None else self._clock()
                crossing = self._count(rule, settings, key, now, Observation(event, urgency, ()))
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
            size = 1 if rule.self_counting else settings.count
            window = _Window(deque(maxlen=size), deque(maxlen=size), deque(maxlen=size))
            self._windows.put(slot, window)
        if key.distinct:
            if key.distinct in window.values:
                return None
            window.values.append(key.distinct)
        window.times.append(now)
        window.origins.append(observation.event.origin)
        window.categories.update(key.categories)
        needed = 1 if rule.self_counting else settings.count
        if len(window.times) < needed or now < window.quiet_until:
            return None
        first_time = window.times[0]
        if not rule.self_counting and now - first_time > settings.window_secs:
            return None
        window.quiet_until = now + settings.cooldown_secs
        categories = rule.categories or tuple(sorted(window.categories))
        crossing = Crossing(
            rule=rule,
            settings=settings,
            key=key,
            count=key.count or len(window.times),
            first=window.origins[0],
            last=window.origins[-1],
            first_time=first_time,
            last_time=now,
            categories=categories,
            sample=observation.event.raw,
        )
        window.categories = set()
        return crossing
