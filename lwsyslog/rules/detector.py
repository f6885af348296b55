"""The Detector: runs every rule that can match an event, cheaply, and returns findings.

At start-up the Detector turns the rules' prefilter declarations into one plan per log type:
dicts from status, method, error code, path segment and extension to rules, and for each text
field ONE regex (a character class of the rules' gate characters plus the triggers of rules
without a gate) and one dict of tokens. On a benign line that is a handful of dict lookups and
at most one regex search per non-empty field; only the rules whose own trigger matched are then
evaluated. The verdicts of field-local rules on a field value are cached (bounded, oldest out),
so a User-Agent, Referer, Cookie or target seen before costs one dict lookup.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from lwsyslog.categories import CATEGORIES
from lwsyslog.errors import RuleError
from lwsyslog.events import Event
from lwsyslog.findings import Finding
from lwsyslog.normalize import TEXT_FIELDS, EventView, raw_getter
from lwsyslog.rules.base import Rule, RuleMatch, segment_names
from lwsyslog.rules.registry import ALL_RULES

__all__ = ["CACHE_ENTRIES", "MAX_FRAGMENT_CHARS", "Detector", "RuleVerdict"]

#: Longest ``fragment`` a finding carries; the rest of the matched text is dropped.
MAX_FRAGMENT_CHARS = 200

#: Entries of each per-field trigger cache; when full, the oldest entry goes first.
CACHE_ENTRIES = 4096

_LOGS = frozenset({"access", "error"})


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    """What one rule says about one event, for ``lwsyslog explain``.

    ``selected`` tells whether the prefilter chose the rule for evaluation (a rule that matches
    without being selected is a bug in its prefilter declaration: detect() would miss it).
    """

    rule_id: str
    matched: bool
    field: str = ""
    fragment: str = ""
    selected: bool = False


# A field's verdicts: (rule, fragment) for a field-local rule that matched, (rule, None) for a
# rule that must still be evaluated on the whole event.
_Verdicts = tuple[tuple[Rule, str | None], ...]
_NO_VERDICTS: _Verdicts = ()
_TOKEN = re.compile(r"[a-z0-9_]+")
_NO_WORDS: frozenset[str] = frozenset()


class _FieldFilter:
    """One field's prefilter: the rules' gates and ungated triggers joined into one regex.

    Gate characters of all rules become one character class; triggers of rules without a gate
    are added as alternatives. Only when that regex matches (or when an ungated rule selects
    by tokens) are the rules' own triggers and tokens checked.
    """

    __slots__ = ("cache", "combined", "field", "gate", "members", "raw", "tokenize_always")

    def __init__(self, log: str, field: str, rules: list[Rule]) -> None:
        self.field = field
        self.raw = raw_getter(log, field)
        self.members = tuple(
            (
                rule,
                re.compile(rule.triggers[field]) if field in rule.triggers else None,
                frozenset(rule.gate),
                rule.tokens.get(field, _NO_WORDS),
            )
            for rule in rules
        )
        gate = "".join(sorted({char for rule in rules for char in rule.gate}))
        self.gate = tuple(gate)
        ungated = dict.fromkeys(
            rule.triggers[field] for rule in rules if not rule.gate and field in rule.triggers
        )
        parts = [f"[{''.join(re.escape(char) for char in gate)}]"] if gate else []
        parts.extend(f"(?:{pattern})" for pattern in ungated)
        self.combined = re.compile("|".join(parts)) if parts else None
        self.tokenize_always = any(not rule.gate and field in rule.tokens for rule in rules)
        self.cache: OrderedDict[str, _Verdicts] = OrderedDict()

    def select(self, text: str) -> list[Rule]:
        """The rules this field's prefilter chooses for ``text`` (usually none)."""
        hit = self.combined is not None and self.combined.search(text) is not None
        if not hit and not self.tokenize_always:
            return []
        present = frozenset(char for char in self.gate if char in text) if hit else _NO_WORDS
        words = frozenset(_TOKEN.findall(text))
        selected: list[Rule] = []
        for rule, trigger, gate, tokens in self.members:
            if gate and gate.isdisjoint(present):
                continue
            if tokens.isdisjoint(words) and (
                trigger is None or not hit or trigger.search(text) is None
            ):
                continue
            selected.append(rule)
        return selected

    def verdicts(self, text: str) -> _Verdicts:
        """What the rules reading this field say about ``text`` (usually nothing)."""
        selected = self.select(text)
        if not selected:
            return _NO_VERDICTS
        verdicts: list[tuple[Rule, str | None]] = []
        for rule in selected:
            if not rule.field_local:
                verdicts.append((rule, None))
                continue
            fragment = rule.match_field(self.field, text)
            if fragment is not None:
                verdicts.append((rule, fragment))
        return tuple(verdicts)

    def lookup(self, raw: str, view: EventView) -> _Verdicts:
        """:meth:`verdicts` for the field's value, from the cache when it was seen before."""
        cache = self.cache
        hit = cache.get(raw)
        if hit is None:
            hit = self.verdicts(view.lower(self.field))
            if len(cache) >= CACHE_ENTRIES:
                cache.popitem(last=False)
            cache[raw] = hit
        return hit


class _Plan:
    """Dispatch tables for one log type."""

    __slots__ = (
        "by_code",
        "by_extension",
        "by_method",
        "by_segment",
        "by_status",
        "filters",
        "path_cache",
        "path_raw",
    )

    def __init__(self, log: str, rules: Iterable[Rule]) -> None:
        by_status: dict[int, list[Rule]] = {}
        by_method: dict[str, list[Rule]] = {}
        by_code: dict[str, list[Rule]] = {}
        by_segment: dict[str, list[Rule]] = {}
        by_extension: dict[str, list[Rule]] = {}
        by_field: dict[str, list[Rule]] = {}
        for rule in rules:
            for status in rule.statuses:
                by_status.setdefault(status, []).append(rule)
            for method in rule.methods:
                by_method.setdefault(method, []).append(rule)
            for code in rule.codes:
                by_code.setdefault(code, []).append(rule)
            for segment in rule.segments:
                by_segment.setdefault(segment, []).append(rule)
            for extension in rule.extensions:
                by_extension.setdefault(extension, []).append(rule)
            for field in dict.fromkeys([*rule.triggers, *rule.tokens]):
                by_field.setdefault(field, []).append(rule)
        self.by_status = _freeze(by_status)
        self.by_method = _freeze(by_method)
        self.by_code = _freeze(by_code)
        self.by_segment = _freeze(by_segment)
        self.by_extension = _freeze(by_extension)
        self.filters = tuple(
            _FieldFilter(log, field, by_field[field])
            for field in sorted(by_field, key=_field_order)
        )
        self.path_raw = raw_getter(log, "path")
        self.path_cache: OrderedDict[str, tuple[Rule, ...]] = OrderedDict()

    def path_rules(self, event: Event, view: EventView) -> tuple[Rule, ...]:
        """The rules selected by the event's path segments and extension (cached per path)."""
        raw = self.path_raw(event)
        if not raw:
            return ()
        cache = self.path_cache
        hit = cache.get(raw)
        if hit is None:
            selected: dict[Rule, None] = {}
            parts = view.lower("path").split("/")
            for part in parts:
                for name in segment_names(part):
                    rules = self.by_segment.get(name)
                    if rules:
                        selected.update(dict.fromkeys(rules))
            last = parts[-1]
            dot = last.rfind(".")
            if dot >= 0:
                rules = self.by_extension.get(last[dot + 1 :])
                if rules:
                    selected.update(dict.fromkeys(rules))
            hit = tuple(selected)
            if len(cache) >= CACHE_ENTRIES:
                cache.popitem(last=False)
            cache[raw] = hit
        return hit


_K = TypeVar("_K")


def _freeze(table: dict[_K, list[Rule]]) -> dict[_K, tuple[Rule, ...]]:
    return {key: tuple(value) for key, value in table.items()}


# Fields in the order a finding prefers to name them (the request before its headers).
_FIELD_ORDER = ("target", "query", "path", "cookie", "referer", "user_agent", "message")


def _field_order(field: str) -> int:
    return _FIELD_ORDER.index(field) if field in _FIELD_ORDER else len(_FIELD_ORDER)


def _check(rules: Sequence[Rule]) -> None:
    seen: set[str] = set()
    for rule in rules:
        name = type(rule).__name__
        if rule.id in seen:
            raise RuleError(f"duplicate rule id {rule.id!r} ({name})")
        seen.add(rule.id)
        unknown = set(rule.categories) - CATEGORIES
        if not rule.categories or unknown:
            raise RuleError(f"rule {rule.id!r}: categories {sorted(unknown)} not in the taxonomy")
        if not rule.logs or not rule.logs <= _LOGS:
            raise RuleError(f"rule {rule.id!r}: logs must be a non-empty subset of {sorted(_LOGS)}")
        if not rule.has_prefilter():
            raise RuleError(f"rule {rule.id!r} declares no prefilter: it would never run")
        if rule.gate and not (rule.triggers or rule.tokens):
            raise RuleError(f"rule {rule.id!r} declares a gate without triggers")
        for field in rule.tokens:
            if field not in TEXT_FIELDS:
                raise RuleError(f"rule {rule.id!r}: tokens on unknown field {field!r}")
        for field, pattern in rule.triggers.items():
            if field not in TEXT_FIELDS:
                raise RuleError(f"rule {rule.id!r}: trigger on unknown field {field!r}")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise RuleError(f"rule {rule.id!r}: bad trigger for {field!r}: {exc}") from exc


class Detector:
    """Runs rules on events and returns their findings.

    ``rules`` defaults to one instance of every registered rule (:data:`ALL_RULES`). Raises
    :class:`~lwsyslog.errors.RuleError` for duplicate ids, unknown categories, rules without
    a prefilter and bad trigger patterns.
    """

    def __init__(self, rules: Sequence[Rule] | None = None) -> None:
        self.rules: tuple[Rule, ...] = (
            tuple(cls() for cls in ALL_RULES) if rules is None else tuple(rules)
        )
        _check(self.rules)
        self._rank = {rule: index for index, rule in enumerate(self.rules)}
        self._plans = {
            log: _Plan(log, (rule for rule in self.rules if log in rule.logs))
            for log in sorted(_LOGS)
        }

    def detect(self, event: Event) -> list[Finding]:
        """The findings of every rule that matches ``event``, in rule order."""
        plan = self._plans.get(event.log)
        if plan is None:
            return []
        view = EventView(event)
        matches, pending = self._select(plan, event, view)
        if not matches and not pending:
            return []
        for rule in pending:
            if rule not in matches:
                match = rule.evaluate(event, view)
                if match is not None:
                    matches[rule] = match
        rank = self._rank
        return [
            self._finding(rule, event, matches[rule])
            for rule in sorted(matches, key=rank.__getitem__)
        ]

    def explain(self, event: Event) -> list[RuleVerdict]:
        """Every rule that applies to the event's log, evaluated without the prefilter."""
        plan = self._plans.get(event.log)
        if plan is None:
            return []
        view = EventView(event)
        matches, pending = self._select(plan, event, view)
        selected = pending | matches.keys()
        for field_filter in plan.filters:
            if field_filter.raw(event):
                selected.update(field_filter.select(view.lower(field_filter.field)))
        verdicts: list[RuleVerdict] = []
        for rule in self.rules:
            if event.log not in rule.logs:
                continue
            match = rule.evaluate(event, view)
            verdicts.append(
                RuleVerdict(
                    rule_id=rule.id,
                    matched=match is not None,
                    field="" if match is None else match.field,
                    fragment="" if match is None else match.fragment[:MAX_FRAGMENT_CHARS],
                    selected=rule in selected,
                )
            )
        return verdicts

    @staticmethod
    def _select(
        plan: _Plan, event: Event, view: EventView
    ) -> tuple[dict[Rule, RuleMatch], set[Rule]]:
        """Matches found by field-local rules, and the other rules the prefilter selected."""
        pending: set[Rule] = set()
        if event.log == "access":
            hit = plan.by_status.get(event.status)  # type: ignore[arg-type]
            if hit:
                pending.update(hit)
            hit = plan.by_method.get(event.method)
            if hit:
                pending.update(hit)
        elif event.code:
            hit = plan.by_code.get(event.code)
            if hit:
                pending.update(hit)
        if plan.by_segment or plan.by_extension:
            hit = plan.path_rules(event, view)
            if hit:
                pending.update(hit)
        matches: dict[Rule, RuleMatch] = {}
        for field_filter in plan.filters:
            raw = field_filter.raw(event)
            if not raw:
                continue
            for rule, fragment in field_filter.lookup(raw, view):
                if fragment is None:
                    pending.add(rule)
                elif rule not in matches:
                    matches[rule] = RuleMatch(field_filter.field, fragment)
        return matches, pending

    @staticmethod
    def _finding(rule: Rule, event: Event, match: RuleMatch) -> Finding:
        return Finding(
            rule_id=rule.id,
            categories=rule.categories,
            severity=rule.severity,
            client_ip=event.client_ip,
            origin=event.origin,
            log=event.log,
            time=event.time,
            field=match.field,
            fragment=match.fragment[:MAX_FRAGMENT_CHARS],
        )
