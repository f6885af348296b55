"""The threshold engine: sliding windows per (rule, key) on event time, bounded in bytes.

For each observation the engine asks the rules that can care (a standard 404 only reaches the
rules that watch 404s) which keys it counts toward, and counts it in that rule's
:class:`~lwsyslog.thresholds.windows.WindowStore`; a key whose last ``count`` events fit in
``window_secs`` crosses. Time comes from the log line, so scanning a file and watching it
live give the same alerts; when a line has no time the injected clock is used. After a
crossing the key is quiet for ``cooldown_secs``: one attacker gives one alert per cooldown,
not thousands. Every access event's answer is tallied first for clients that sent a probe
(:class:`~lwsyslog.thresholds.missing.ProbeAnswers`, for the missing-page rules' share of
errors), and a rule may refuse a full window (``checks_crossing``: too few errors, a client
that did not get most of the 5xx).

Memory is bounded twice: at most ``max_keys`` keys per rule, and all stores together within
``memory_budget_bytes``, shared among the enabled rules in proportion to their record size
(so each rule holds :attr:`ThresholdEngine.capacity` keys, fewer than ``max_keys`` with the
defaults). A full store evicts a key seen once before any key seen again (see
:mod:`~lwsyslog.thresholds.windows`); every key a store or a rule's own state drops is counted
in :attr:`ThresholdEngine.evictions`.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from lwsyslog.categories import CATEGORIES
from lwsyslog.events import AccessEvent, ErrorEvent, Origin
from lwsyslog.findings import Finding
from lwsyslog.observation import Observation
from lwsyslog.settings import ThresholdSettings
from lwsyslog.thresholds.missing import CrawlerCheck, MissingPaths, ProbeAnswers
from lwsyslog.thresholds.registry import THRESHOLD_RULES
from lwsyslog.thresholds.rules import EveryEventRule, ThresholdRule, WindowKey
from lwsyslog.thresholds.windows import OriginTable, WindowStore, record_bytes
from lwsyslog.triage import Urgency

__all__ = ["DEFAULT_MEMORY_BUDGET_BYTES", "Crossing", "ThresholdEngine", "key_sizes"]

Clock = Callable[[], float]

#: What the windows of all rules together may take when nothing else is configured.
DEFAULT_MEMORY_BUDGET_BYTES = 96 * 1024 * 1024

_BITS = {category: 1 << index for index, category in enumerate(sorted(CATEGORIES))}
_NO_CROSSINGS: Final[tuple[Crossing, ...]] = ()
_STANDARD: Final = Urgency.STANDARD
_tuple_new: Final = tuple.__new__


def key_sizes(rules: Sequence[tuple[ThresholdRule, ThresholdSettings]]) -> tuple[list[int], int]:
    """Bytes one key costs in each of ``rules`` (its window and its own state), and in the
    tally of answers the missing-page rules among them share: the records the memory budget
    is divided into (``rules`` enabled ones)."""
    sizes = [
        record_bytes(*_shape(rule, settings)) + rule.own_record_bytes(settings)
        for rule, settings in rules
    ]
    probing = [settings.window_secs for rule, settings in rules if isinstance(rule, MissingPaths)]
    return sizes, ProbeAnswers.record_bytes(probing) if probing else 0


def _shape(rule: ThresholdRule, settings: ThresholdSettings) -> tuple[int, bool]:
    """The depth of ``rule``'s windows, and whether they count distinct values."""
    depth = 1 if rule.self_counting else max(settings.count, 1)
    return depth, rule.counts_distinct


def _mask(categories: Sequence[str]) -> int:
    mask = 0
    for category in categories:
        mask |= _BITS.get(category, 0)
    return mask


def _categories(mask: int) -> tuple[str, ...]:
    return tuple(category for category, bit in _BITS.items() if mask & bit)


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


class _Accepts:
    """A rule's further condition on a full window (:meth:`ThresholdRule.accepts`) for one key
    at one time, as the window store asks it: ``accepts(first_time)``.

    An object rather than a nested function: a compiled closure and its environment refer to
    each other, a cycle only the cyclic collector frees, made for every counted line (on a
    log of many new clients' 404s, a tenth of the scan's time went to collecting them).
    """

    __slots__ = ("key", "now", "rule")

    def __init__(self, rule: ThresholdRule, key: WindowKey, now: float) -> None:
        self.rule = rule
        self.key = key
        self.now = now

    def __call__(self, first_time: float) -> bool:
        return self.rule.accepts(self.key, first_time, self.now)


class _Counted:
    """One enabled rule with its settings and its windows."""

    __slots__ = ("checks", "cooldown_secs", "needed", "rule", "settings", "store", "window_secs")

    def __init__(self, rule: ThresholdRule, settings: ThresholdSettings, store: WindowStore):
        self.rule = rule
        # Read once: a class attribute of a rule is a dictionary look-up per counted line.
        self.checks = rule.checks_crossing
        self.settings = settings
        self.store = store
        self.cooldown_secs = settings.cooldown_secs
        self.needed = 1 if rule.self_counting else settings.count
        self.window_secs = -1.0 if rule.self_counting else settings.window_secs


class ThresholdEngine:
    """Counts observations per (rule, key) and reports crossings."""

    def __init__(
        self,
        rules: Sequence[tuple[ThresholdRule, ThresholdSettings]],
        max_keys: int = 100_000,
        clock: Clock = _time.time,
        memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET_BYTES,
    ) -> None:
        enabled = [(rule, settings) for rule, settings in rules if settings.enabled]
        self._origins = OriginTable()
        shapes = [_shape(rule, settings) for rule, settings in enabled]
        probing = [
            settings.window_secs for rule, settings in enabled if isinstance(rule, MissingPaths)
        ]
        sizes, answers = key_sizes(enabled)
        total = sum(sizes) + answers or 1
        self._counted: list[_Counted] = []
        # Each rule's share of the budget, as records: rules with bigger records get more
        # bytes, and every rule the same number of keys.
        capacity = max(1, min(max_keys, memory_budget_bytes // total))
        #: Keys each rule holds at most.
        self.capacity = capacity
        for (rule, settings), (depth, distinct) in zip(enabled, shapes, strict=True):
            rule.bind(settings, capacity, self._origins)
            store = WindowStore(depth, capacity, self._origins, distinct=distinct)
            self._counted.append(_Counted(rule, settings, store))
        # One tally of answers for every missing-page rule (their error-ratio condition).
        self._answers = ProbeAnswers(probing, capacity) if probing else None
        for counted in self._counted:
            if isinstance(counted.rule, MissingPaths):
                counted.rule.answers = self._answers
        self._every = [c for c in self._counted if isinstance(c.rule, EveryEventRule)]
        # The usual case, one every-event rule (request-flood): its tick is called directly,
        # as a method of the compiled class (a bound method kept in an attribute would be a
        # generic call for every line).
        only = self._every[0].rule if len(self._every) == 1 else None
        self._tick_rule: EveryEventRule | None = only if isinstance(only, EveryEventRule) else None
        self._selective = [c for c in self._counted if not isinstance(c.rule, EveryEventRule)]
        self._by_status: dict[int, list[_Counted]] = {}
        self._by_method: dict[str, list[_Counted]] = {}
        self._with_user = [c for c in self._selective if c.rule.standard_with_user]
        for counted in self._selective:
            for status in counted.rule.standard_statuses:
                self._by_status.setdefault(status, []).append(counted)
            for method in counted.rule.standard_methods:
                self._by_method.setdefault(method, []).append(counted)
        self._clock = clock

    def trust_crawlers(self, verified: CrawlerCheck) -> None:
        """Let the missing-page rules pass over a 404 to a crawler ``verified`` confirms (the
        crawler verification's cached verdict; without this call every claim counts)."""
        if self._answers is not None:
            self._answers.verified = verified
        for counted in self._counted:
            if isinstance(counted.rule, MissingPaths):
                counted.rule.verified = verified

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, ThresholdSettings],
        max_keys: int,
        clock: Clock = _time.time,
        extra: Sequence[tuple[ThresholdRule, ThresholdSettings]] = (),
        memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET_BYTES,
    ) -> ThresholdEngine:
        """An engine with every registered rule that has settings, plus ``extra`` (Sigma)."""
        rules = [(rule(), settings[rule.id]) for rule in THRESHOLD_RULES if rule.id in settings]
        return cls(
            [*rules, *extra],
            max_keys=max_keys,
            clock=clock,
            memory_budget_bytes=memory_budget_bytes,
        )

    @property
    def rules(self) -> tuple[tuple[ThresholdRule, ThresholdSettings], ...]:
        """The enabled rules with their settings."""
        return tuple((c.rule, c.settings) for c in self._counted)

    @property
    def evictions(self) -> int:
        """How many keys were dropped to keep memory bounded: by the windows, the tally of
        answers, and the rules' own state (a brute force's failures, request counts)."""
        answers = self._answers.tallies.evictions if self._answers is not None else 0
        return answers + sum(c.store.evictions + c.rule.evicted_keys() for c in self._counted)

    @property
    def tracked_keys(self) -> int:
        """How many (rule, key) windows are held now."""
        return sum(c.store.keys for c in self._counted)

    @property
    def tallied_clients(self) -> int:
        """Clients whose answers are tallied now (they sent a probe: a missing non-asset page)."""
        return 0 if self._answers is None else self._answers.tallies.keys

    def keys_by_rule(self) -> dict[str, int]:
        """How many keys each enabled rule holds now."""
        return {c.rule.id: c.store.keys for c in self._counted}

    @property
    def memory_bytes(self) -> int:
        """The windows' size in bytes when every store is full (allocated up front)."""
        answers = self._answers.tallies.bytes if self._answers is not None else 0
        return answers + sum(
            c.store.bytes + c.store.capacity * c.rule.own_record_bytes(c.settings)
            for c in self._counted
        )

    def observe(self, observation: Observation) -> Sequence[Crossing]:
        """Count ``observation``; return the crossings it caused (usually none)."""
        return self.observe_line(*observation)

    def observe_line(
        self, event: AccessEvent | ErrorEvent, urgency: Urgency, findings: Sequence[Finding]
    ) -> Sequence[Crossing]:
        """:meth:`observe` for the hot path: most lines touch no rule and build nothing."""
        answers = self._answers
        if answers is not None and event.log == "access":
            answers.see(event, event.time if event.time is not None else self._clock(), findings)
        if urgency is _STANDARD and not findings:
            interested: Sequence[_Counted] | None = None
            if event.log == "access":
                interested = self._by_status.get(event.status)  # type: ignore[arg-type]
                by_method = self._by_method.get(event.method)
                if by_method:
                    interested = self._merged(interested, by_method)
                if event.user and self._with_user:
                    interested = self._merged(interested, self._with_user)
            ticking = self._tick_rule
            crossings: Sequence[Crossing] = _NO_CROSSINGS
            if ticking is not None:
                key = ticking.tick(event)
                if key is not None:
                    crossings = self._tick_every(event, key)
            elif self._every:
                crossings = self._tick_every(event, None)
            if not interested:
                return crossings
            counted = self._count_all(interested, event, urgency, findings)
            return [*crossings, *counted] if crossings else counted
        return self._count_all(self._counted, event, urgency, findings)

    @staticmethod
    def _merged(first: Sequence[_Counted] | None, more: Sequence[_Counted]) -> list[_Counted]:
        """``first`` then ``more``, each rule once."""
        return list(dict.fromkeys([*(first or ()), *more]))

    def _count_all(
        self,
        counted: Sequence[_Counted],
        event: AccessEvent | ErrorEvent,
        urgency: Urgency,
        findings: Sequence[Finding],
    ) -> list[Crossing]:
        # Made as a plain tuple is: Observation() runs a Python-level __new__.
        observation = _tuple_new(Observation, (event, urgency, findings))
        now = event.time if event.time is not None else self._clock()
        crossings: list[Crossing] = []
        for entry in counted:  # each rule once (see _merged)
            for key in entry.rule.keys(observation):
                crossing = self._count(entry, key, now, event)
                if crossing is not None:
                    crossings.append(crossing)
        return crossings

    def _tick_every(
        self, event: AccessEvent | ErrorEvent, first: WindowKey | None
    ) -> list[Crossing]:
        """Count the keys the every-event rules returned (``first``: the one rule's key,
        already taken when there is only one)."""
        crossings: list[Crossing] = []
        if first is not None:
            now = event.time if event.time is not None else self._clock()
            crossing = self._count(self._every[0], first, now, event)
            return [crossing] if crossing is not None else crossings
        for entry in self._every:
            key = entry.rule.tick(event)  # type: ignore[attr-defined]
            if key is not None:
                now = event.time if event.time is not None else self._clock()
                crossing = self._count(entry, key, now, event)
                if crossing is not None:
                    crossings.append(crossing)
        return crossings

    def _count(
        self, entry: _Counted, key: WindowKey, now: float, event: AccessEvent | ErrorEvent
    ) -> Crossing | None:
        settings = entry.settings
        rule = entry.rule
        # Each field read on its own: key[:4] would build a tuple per counted line.
        detail = key.detail
        categories = key.categories
        accept = _Accepts(rule, key, now) if entry.checks else None
        hit = entry.store.add(
            f"{key.shown}\0{detail}" if detail else key.shown,
            now,
            event.origin,
            needed=entry.needed,
            window_secs=entry.window_secs,
            cooldown_secs=entry.cooldown_secs,
            categories=_mask(categories) if categories else 0,
            value=key.distinct or None,
            accept=accept,
        )
        if hit is None:
            return None
        return Crossing(
            rule=rule,
            settings=settings,
            key=key,
            count=key.count or hit.events,
            first=hit.first,
            last=hit.last,
            first_time=hit.first_time,
            last_time=now,
            categories=rule.categories or _categories(hit.categories),
            sample=event.raw,
        )
