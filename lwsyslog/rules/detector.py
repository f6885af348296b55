"""The built-in rules' engine: runs every rule that can match an event, cheaply.

At start-up the RuleEngine turns the rules' prefilter declarations into one plan per log type:
dicts from status, method, error code, path segment and extension to rules, and for each text
field ONE regex (a character class of the rules' gate characters plus the triggers of rules
without a gate) and one dict of tokens. What the filters find, and what the field-local rules
they select say, is cached per value of the event attribute the fields are read from (bounded,
oldest out): an access event's target, path and query all come from its target, so a target,
User-Agent, Referer or Cookie seen before costs one dict lookup, and a benign line a handful of
them without a single allocation. On a value not seen yet, one regex search per non-empty
field; only the rules whose own trigger matched are then evaluated.
"""

from __future__ import annotations

import operator
import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from lwsyslog.categories import CATEGORIES
from lwsyslog.detection.interface import RuleVerdict
from lwsyslog.errors import RuleError
from lwsyslog.events import Event
from lwsyslog.findings import Finding
from lwsyslog.normalize import TEXT_FIELDS, EventView, raw_getter, raw_source
from lwsyslog.rules.base import Rule, RuleMatch, segment_names
from lwsyslog.rules.registry import ALL_RULES

__all__ = ["CACHE_ENTRIES", "MAX_FRAGMENT_CHARS", "RuleEngine"]

#: Longest ``fragment`` a finding carries; the rest of the matched text is dropped.
MAX_FRAGMENT_CHARS = 200

#: Entries of each prefilter cache (one per event attribute, one of paths); when full, the
#: oldest entry goes first.
CACHE_ENTRIES = 4096

_LOGS = frozenset({"access", "error"})


# A field's verdicts: (rule, fragment) for a field-local rule that matched, (rule, None) for a
# rule that must still be evaluated on the whole event.
_Verdicts = tuple[tuple[Rule, str | None], ...]
_NO_VERDICTS: _Verdicts = ()
_TOKEN = re.compile(r"[a-z0-9_]+")
_NO_WORDS: frozenset[str] = frozenset()
# A filter member: the rule, its trigger on the field, its gate, its tokens on the field.
_Member = tuple[Rule, re.Pattern[str] | None, frozenset[str], frozenset[str]]
# Distinct sets of gate characters whose candidate members a filter remembers.
_GATE_SETS = 1024

# What the prefilter found, one item per rule and field: (the field's rank in the plan's filter
# order, the rule, its match when a field-local rule matched, None when the rule must be
# evaluated). A benign line finds the shared empty tuple everywhere: no allocation.
_Item = tuple[int, Rule, RuleMatch | None]
_Found = tuple[_Item, ...]
_NOTHING: _Found = ()


class _FieldFilter:
    """One field's prefilter: the rules' gates and ungated triggers joined into one regex.

    Gate characters of all rules become one character class; triggers of rules without a gate
    are added as alternatives. Only when that regex matches (or when an ungated rule selects
    by tokens) are the rules' own triggers and tokens checked.
    """

    __slots__ = (
        "by_present",
        "cache",
        "combined",
        "field",
        "gate",
        "members",
        "raw",
        "tokenize_always",
    )

    def __init__(self, log: str, field: str, rules: list[Rule]) -> None:
        self.field = field
        self.raw = raw_getter(log, field)
        self.members: tuple[_Member, ...] = tuple(
            (
                rule,
                re.compile(rule.triggers[field]) if field in rule.triggers else None,
                frozenset(rule.gate),
                rule.tokens.get(field, _NO_WORDS),
            )
            for rule in rules
        )
        gate = "".join(sorted({char for rule in rules for char in rule.gate}))
        self.gate = frozenset(gate)
        ungated = dict.fromkeys(
            rule.triggers[field] for rule in rules if not rule.gate and field in rule.triggers
        )
        parts = [f"[{''.join(re.escape(char) for char in gate)}]"] if gate else []
        parts.extend(f"(?:{pattern})" for pattern in ungated)
        self.combined = re.compile("|".join(parts)) if parts else None
        self.tokenize_always = any(not rule.gate and field in rule.tokens for rule in rules)
        # The verdicts are cached by the field's source (see _Source), which sets this.
        self.cache: OrderedDict[str, _Found] = OrderedDict()
        self.by_present: dict[frozenset[str], tuple[tuple[_Member, ...], bool]] = {}

    def candidates(self, present: frozenset[str]) -> tuple[tuple[_Member, ...], bool]:
        """The members whose gate lets them through when the gate characters ``present`` are
        in the text, and whether any of them selects by tokens (remembered per set)."""
        known = self.by_present.get(present)
        if known is None:
            members = tuple(
                member
                for member in self.members
                if not member[2] or not member[2].isdisjoint(present)
            )
            known = (members, any(member[3] for member in members))
            if len(self.by_present) < _GATE_SETS:
                self.by_present[present] = known
        return known

    def select(self, text: str) -> list[Rule]:
        """The rules this field's prefilter chooses for ``text`` (usually none)."""
        hit = self.combined is not None and self.combined.search(text) is not None
        if not hit and not self.tokenize_always:
            return []
        members, tokenized = self.candidates(self.gate.intersection(text) if hit else _NO_WORDS)
        words = frozenset(_TOKEN.findall(text)) if tokenized else _NO_WORDS
        selected: list[Rule] = []
        for rule, trigger, _, tokens in members:
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


class _PathDispatch:
    """The rules selected by a path's segments and extension (cached per raw path: many
    targets share a path)."""

    __slots__ = ("by_extension", "by_segment", "cache", "raw")

    def __init__(
        self,
        log: str,
        by_segment: dict[str, tuple[Rule, ...]],
        by_extension: dict[str, tuple[Rule, ...]],
    ) -> None:
        self.raw = raw_getter(log, "path")
        self.by_segment = by_segment
        self.by_extension = by_extension
        self.cache: OrderedDict[str, _Found] = OrderedDict()

    def found(self, event: Event, view: EventView) -> _Found:
        """The selected rules, as items to evaluate."""
        raw = self.raw(event)
        if not raw:
            return _NOTHING
        cache = self.cache
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
            hit = tuple((0, rule, None) for rule in selected)
            if len(cache) >= CACHE_ENTRIES:
                cache.popitem(last=False)
            cache[raw] = hit
        return hit


class _Source:
    """One event attribute and everything the prefilter derives from it, cached per value.

    An access event's ``target``, ``path`` and ``query`` are all cut from its target, and an
    error entry's ``path`` is found in its message: their filters and the path dispatch share
    one cache entry per raw source value, so a line costs one lookup per source (bounded,
    oldest out).
    """

    __slots__ = ("cache", "filters", "paths", "read")

    def __init__(
        self, name: str, filters: list[tuple[int, _FieldFilter]], paths: _PathDispatch | None
    ) -> None:
        self.read = operator.attrgetter(name)
        self.filters = tuple(filters)
        self.paths = paths
        self.cache: OrderedDict[str, _Found] = OrderedDict()
        for _, field_filter in filters:
            field_filter.cache = self.cache

    def fill(self, raw: str, event: Event, view: EventView) -> _Found:
        """What the prefilter finds in the fields derived from ``raw`` (cached)."""
        items: list[_Item] = []
        for rank, field_filter in self.filters:
            if not field_filter.raw(event):
                continue
            field = field_filter.field
            for rule, fragment in field_filter.verdicts(view.lower(field)):
                items.append((rank, rule, None if fragment is None else RuleMatch(field, fragment)))
        if self.paths is not None:
            items.extend(self.paths.found(event, view))
        found = tuple(items) if items else _NOTHING
        cache = self.cache
        if len(cache) >= CACHE_ENTRIES:
            cache.popitem(last=False)
        cache[raw] = found
        return found


class _Plan:
    """Dispatch tables for one log type.

    ``keys``: (attribute getter, dict from the attribute's value to items) for status and
    method, or the message id; ``sources``: (attribute getter, cache lookup, cache fill) per
    event attribute the filters read; ``filters``: every field filter, for explain.
    """

    __slots__ = ("filters", "keys", "path_cache", "sources")

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
        # Status and method select on the access log, the message id on the error log (an
        # entry without one selects nothing).
        keyed: list[tuple[str, dict[Any, list[Rule]]]] = (
            [("status", by_status), ("method", by_method)]
            if log == "access"
            else [("code", {code: rules for code, rules in by_code.items() if code})]
        )
        self.keys = tuple(
            (operator.attrgetter(name), {key: _pending(rules) for key, rules in table.items()})
            for name, table in keyed
            if table
        )
        self.filters = tuple(
            _FieldFilter(log, field, by_field[field])
            for field in sorted(by_field, key=_field_order)
        )
        paths = (
            _PathDispatch(log, _freeze(by_segment), _freeze(by_extension))
            if by_segment or by_extension
            else None
        )
        by_source: dict[str, list[tuple[int, _FieldFilter]]] = {}
        for rank, field_filter in enumerate(self.filters):
            name = raw_source(log, field_filter.field)
            if name:
                by_source.setdefault(name, []).append((rank, field_filter))
        path_source = raw_source(log, "path")
        if paths is not None:
            by_source.setdefault(path_source, [])
        sources = [
            _Source(name, filters, paths if name == path_source else None)
            for name, filters in by_source.items()
        ]
        self.sources = tuple((source.read, source.cache.get, source.fill) for source in sources)
        self.path_cache = OrderedDict() if paths is None else paths.cache


def _pending(rules: list[Rule]) -> _Found:
    return tuple((0, rule, None) for rule in rules)


def _sort_out(found: _Found) -> tuple[dict[Rule, RuleMatch], dict[Rule, None]]:
    """The matches of field-local rules (a rule matching in several fields is named by the first
    in _FIELD_ORDER), and the rules still to evaluate."""
    ranked: dict[Rule, tuple[int, RuleMatch]] = {}
    pending: dict[Rule, None] = {}
    for rank, rule, match in found:
        if match is None:
            pending[rule] = None
        else:
            seen = ranked.get(rule)
            if seen is None or rank < seen[0]:
                ranked[rule] = (rank, match)
    return {rule: match for rule, (_, match) in ranked.items()}, pending


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


class RuleEngine:
    """Runs rule instances on events and returns their findings.

    ``rules`` defaults to one plain instance of every registered rule (:data:`ALL_RULES`).
    Raises :class:`~lwsyslog.errors.RuleError` for duplicate ids, unknown categories, rules
    without a prefilter and bad trigger patterns.
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

    def detect(self, event: Event, view: EventView | None = None) -> list[Finding]:
        """The findings of every rule that matches ``event``, in rule order."""
        plan = self._plans.get(event.log)
        if plan is None:
            return []
        if view is None:
            view = EventView(event)
        # The hot path: on a benign line every lookup gives the shared empty tuple, and the
        # view decodes nothing (it is only read to fill a cache entry or to evaluate a rule).
        found = _NOTHING
        for read, table in plan.keys:
            hit = table.get(read(event))
            if hit is not None:
                found += hit
        for read, cached, fill in plan.sources:
            raw = read(event)
            if raw:
                hit = cached(raw)
                if hit is None:
                    hit = fill(raw, event, view)
                if hit:
                    found += hit
        if not found:
            return []
        matches, pending = _sort_out(found)
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

    def explain(self, event: Event, view: EventView | None = None) -> list[RuleVerdict]:
        """Every rule that applies to the event's log, evaluated without the prefilter."""
        plan = self._plans.get(event.log)
        if plan is None:
            return []
        if view is None:
            view = EventView(event)
        selected = {rule for _, rule, _ in self._found(plan, event, view)}
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
    def _found(plan: _Plan, event: Event, view: EventView) -> _Found:
        """What the prefilter finds on ``event``: detect()'s first half, for explain (detect()
        keeps its own copy inline, which makes no view until one is needed)."""
        found = _NOTHING
        for read, table in plan.keys:
            hit = table.get(read(event))
            if hit is not None:
                found += hit
        for read, cached, fill in plan.sources:
            raw = read(event)
            if raw:
                hit = cached(raw)
                found += fill(raw, event, view) if hit is None else hit
        return found

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
