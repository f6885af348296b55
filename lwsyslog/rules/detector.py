"""The built-in rules' engine: their signatures for the detect stage, and their verdicts.

Each rule declares how it can be selected (see :mod:`lwsyslog.rules.base`). At start-up the
engine turns that into :class:`~lwsyslog.detection.signatures.Signature` objects: for a rule
that is one regular expression, the literal text every match of it contains (derived from
the pattern itself, :func:`~lwsyslog.matching.literals.literal_requirement`); for the
others, the literals of their triggers, tokens, path segments and extensions. Statuses,
methods and error-log message ids select rules by one dict lookup each. The detect stage
scans each field once for the literals of every rule and hands the engine the rules that can
match: only those are evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, Final, NamedTuple

from lwsyslog.categories import CATEGORIES
from lwsyslog.detection.interface import RuleVerdict
from lwsyslog.detection.signatures import SCANNED_FIELDS, Candidate, Signature
from lwsyslog.errors import RuleError
from lwsyslog.events import Event, reader
from lwsyslog.findings import Finding
from lwsyslog.matching.linear import PatternLike
from lwsyslog.matching.literals import Requirement, literal_requirement
from lwsyslog.normalize import TEXT_FIELDS, EventView
from lwsyslog.rules.base import PatternRule, Rule, RuleMatch
from lwsyslog.rules.registry import ALL_RULES

__all__ = ["FIELD_ORDER", "MAX_FRAGMENT_CHARS", "RuleEngine"]

#: Longest ``fragment`` a finding carries; the rest of the matched text is dropped.
MAX_FRAGMENT_CHARS: Final = 200

#: Fields in the order a finding prefers to name them (the request before its headers).
FIELD_ORDER: Final = (
    "target",
    "query",
    "path",
    "cookie",
    "referer",
    "user_agent",
    "headers",
    "user",
    "message",
)
_RANK: Final = {field: rank for rank, field in enumerate(FIELD_ORDER)}
_LOGS = frozenset({"access", "error"})


class _Keyed(NamedTuple):
    """Rules selected by the exact value of one event attribute (status, method, code)."""

    read: Callable[[Event], Any]
    rules: dict[Any, tuple[int, ...]]


def _rule_signatures(index: int, rule: Rule, log: str) -> list[Signature]:
    """What selects ``rule`` on events of ``log``, field by field."""
    if isinstance(rule, PatternRule):
        requirement = _pattern_requirement(rule, rule.pattern)
        local = rule.field_local
        found = [Signature(index, field, "decoded", requirement, local) for field in rule.fields]
        # Literals of the text as parsed that have the rule evaluated on the event.
        found.extend(
            Signature(index, field, "raw", (frozenset(literals),), False)
            for field, literals in rule.raw_literals.items()
        )
        return found
    signatures: list[Signature] = []
    pattern: PatternLike | None = getattr(rule, "pattern", None)
    own = _pattern_requirement(rule, pattern) if pattern is not None else None
    for field in dict.fromkeys([*rule.triggers, *rule.tokens]):
        requirement = _trigger_requirement(rule, field)
        if own is not None and field == "message" and rule.field_local:
            requirement = own  # CodeRule: its pattern is the message verdict
        local = rule.field_local and rule.form == "decoded"
        signatures.append(Signature(index, field, rule.form, requirement, local))
    if rule.segments or rule.extensions:
        literals = {*rule.segments, *(f".{extension}" for extension in rule.extensions)}
        signatures.append(Signature(index, "path", "decoded", (frozenset(literals),), False))
    return signatures


def _pattern_requirement(rule: Rule, pattern: PatternLike) -> Requirement | None:
    """The literals ``rule``'s own pattern cannot match without.

    The analysis parses the pattern (or finds it in the table made ahead of time, which
    holds only patterns that parsed): where a pattern ``re`` cannot read is reported, since
    ``re`` compiles a built-in rule's pattern only when something runs it
    (:class:`~lwsyslog.matching.linear.Regex`).
    """
    try:
        return literal_requirement(*_analysed(rule, pattern), single_spaces=True)
    except re.error as exc:
        raise RuleError(f"rule {rule.id!r}: bad pattern: {exc}") from exc


def _analysed(rule: Rule, pattern: PatternLike) -> tuple[str, int]:
    """The pattern whose literals select the rule, and its flags: when RE2 searches for the
    rule (its ``linear``), what RE2 runs (for a verified search, the candidates the rule cannot
    match without), in ASCII mode as RE2 reads it (``\\d`` is the ten ASCII digits); else
    ``pattern`` as ``re`` reads it."""
    linear = getattr(rule, "linear", None)
    if linear is not None and linear.engine == "re2":
        searched: PatternLike = linear.pattern
        return searched.pattern, (searched.flags & ~re.UNICODE) | re.ASCII
    return pattern.pattern, pattern.flags


def _trigger_requirement(rule: Rule, field: str) -> Requirement | None:
    trigger = rule.triggers.get(field)
    words = rule.tokens.get(field, frozenset())
    if trigger is None:
        return (frozenset(words),) if words else None
    requirement = literal_requirement(trigger, single_spaces=True)
    if requirement is None:
        return None
    # Selected by its trigger or by one of its words: one group holding both.
    return (requirement[0] | words,) if words else requirement


def _keyed(log: str, rules: Sequence[Rule]) -> tuple[_Keyed, ...]:
    tables: list[tuple[str, dict[Any, list[int]]]] = []
    if log == "access":
        tables = [("status", {}), ("method", {}), ("cut", {})]
        for index, rule in enumerate(rules):
            if log in rule.logs:
                for status in rule.statuses:
                    tables[0][1].setdefault(status, []).append(index)
                for method in rule.methods:
                    tables[1][1].setdefault(method, []).append(index)
                if rule.cut_lines:
                    tables[2][1].setdefault(True, []).append(index)
    else:
        tables = [("code", {})]
        for index, rule in enumerate(rules):
            if log in rule.logs:
                for code in rule.codes:
                    if code:
                        tables[0][1].setdefault(code, []).append(index)
    return tuple(
        _Keyed(reader(log, name), {key: tuple(value) for key, value in table.items()})
        for name, table in tables
        if table
    )


class RuleEngine:
    """Runs rule instances on events.

    ``rules`` defaults to one plain instance of every registered rule (:data:`ALL_RULES`).
    Raises :class:`~lwsyslog.errors.RuleError` for duplicate ids, unknown categories, rules
    that nothing can select and bad trigger patterns.
    """

    def __init__(self, rules: Sequence[Rule] | None = None) -> None:
        chosen = tuple(cls() for cls in ALL_RULES) if rules is None else tuple(rules)
        _check(chosen)
        self.rules: tuple[Rule, ...] = tuple(rule for rule in chosen if rule.active)
        self._signatures = {
            log: tuple(
                signature
                for index, rule in enumerate(self.rules)
                if log in rule.logs
                for signature in _rule_signatures(index, rule, log)
            )
            for log in sorted(_LOGS)
        }
        self._keyed = {log: _keyed(log, self.rules) for log in sorted(_LOGS)}

    def signatures(self, log: str) -> Sequence[Signature]:
        """What selects each rule on events of ``log`` (owners are indexes into :attr:`rules`)."""
        return self._signatures.get(log, ())

    def confirm(self, owner: int, field: str, text: str) -> str | None:
        """The fragment field-local rule ``owner`` matches in ``field``'s decoded text."""
        return self.rules[owner].match_field(field, text)

    def confirmer(self, owner: int, field: str) -> Callable[[str], str | None]:
        """:meth:`confirm` for one rule and field, as a function of the text (taken once at
        start-up: the rule's :meth:`~lwsyslog.rules.base.Rule.confirmation`)."""
        return self.rules[owner].confirmation(field)

    def selecting(self, log: str) -> tuple[tuple[Callable[[Event], Any], frozenset[Any]], ...]:
        """How events of ``log`` select rules without any literal: per event attribute (a
        reader), the values that select one. An event none of them selects, and with no
        candidate from the scan, has no finding."""
        return tuple((read, frozenset(table)) for read, table in self._keyed.get(log, ()))

    def detect(
        self, event: Event, view: EventView, candidates: Iterable[Candidate] = ()
    ) -> list[Finding]:
        """The findings of the candidates (and of the rules the event's status, method or
        message id selects) that match ``event``, in rule order."""
        matched: dict[int, tuple[int, RuleMatch]] = {}
        pending: set[int] = set()
        for owner, field, fragment in candidates:
            if fragment is None:
                pending.add(owner)
                continue
            rank = _RANK.get(field, len(FIELD_ORDER))
            seen = matched.get(owner)
            if seen is None or rank < seen[0]:
                matched[owner] = (rank, RuleMatch(field, fragment))
        for read, table in self._keyed.get(event.log, ()):
            hit = table.get(read(event))
            if hit:
                pending.update(hit)
        if not matched and not pending:
            return []
        rules = self.rules
        for owner in pending:
            if owner not in matched:
                match = rules[owner].evaluate(event, view)
                if match is not None:
                    matched[owner] = (0, match)
        return [self._finding(rules[owner], event, matched[owner][1]) for owner in sorted(matched)]

    def explain(
        self, event: Event, view: EventView, selected: Collection[int]
    ) -> list[RuleVerdict]:
        """Every rule that applies to the event's log, evaluated without any prefilter;
        ``selected`` holds the owners the scan chose (the keyed ones are added here)."""
        chosen = set(selected)
        for read, table in self._keyed.get(event.log, ()):
            chosen.update(table.get(read(event), ()))
        verdicts: list[RuleVerdict] = []
        for index, rule in enumerate(self.rules):
            if event.log not in rule.logs:
                continue
            match = rule.evaluate(event, view)
            verdicts.append(
                RuleVerdict(
                    rule_id=rule.id,
                    matched=match is not None,
                    field="" if match is None else match.field,
                    fragment="" if match is None else match.fragment[:MAX_FRAGMENT_CHARS],
                    selected=index in chosen,
                )
            )
        return verdicts

    @staticmethod
    def _finding(rule: Rule, event: Event, match: RuleMatch) -> Finding:
        # Positional: a frozen dataclass's keyword call costs a good part of an attack line.
        return Finding(
            rule.id,
            rule.categories,
            rule.severity,
            event.client_ip,
            event.origin,
            event.log,
            event.time,
            match.field,
            match.fragment[:MAX_FRAGMENT_CHARS],
            rule.cves,
        )


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
        if rule.active and not rule.has_prefilter():
            raise RuleError(f"rule {rule.id!r} declares no prefilter: it would never run")
        for field in rule.tokens:
            if field not in TEXT_FIELDS:
                raise RuleError(f"rule {rule.id!r}: tokens on unknown field {field!r}")
        own = getattr(rule, "pattern", None)
        for field, pattern in rule.triggers.items():
            if field not in SCANNED_FIELDS:
                raise RuleError(f"rule {rule.id!r}: trigger on unknown field {field!r}")
            if own is not None and pattern == own.pattern:
                continue  # the rule's own pattern, read when its signatures are made
            try:
                re.compile(pattern)
            except re.error as exc:
                raise RuleError(f"rule {rule.id!r}: bad trigger for {field!r}: {exc}") from exc
