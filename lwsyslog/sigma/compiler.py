"""pySigma's parsed condition tree compiled into one Python evaluator per rule and log.

pySigma resolves a rule's condition (``1 of selection*``, ``all of them``, ``not filter``,
parentheses) into a tree of AND/OR/NOT nodes whose leaves are ``field = value`` or bare
keyword values, with modifiers already applied to the values. This module walks that tree
once and builds closures: leaves bind their field getter for the log at hand, and the
OR-linked string values of one field (the common shape: ``cs-uri-query|contains: [...]``)
share one compiled regex.

An evaluator returns ``None`` or a hit ``(field, fragment)``: the Sigma field that matched
and the matched text, which is what ``lwsyslog explain`` and findings show.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionItem,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.modifiers import reverse_modifier_mapping
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import (
    SigmaCasedString,
    SigmaExpansion,
    SigmaRegularExpression,
    SigmaString,
    SigmaType,
)

from lwsyslog.events import AccessEvent, ErrorEvent
from lwsyslog.matching.fold import fold
from lwsyslog.matching.literals import literal_requirement
from lwsyslog.sigma.fields import KEYWORD_FIELDS, KNOWN_FIELDS, SCANNED_SIGMA_FIELDS, getter
from lwsyslog.sigma.literals import FieldLiterals, literal_of
from lwsyslog.sigma.values import (
    Unsupported,
    ValueTest,
    compile_keyword,
    compile_value,
    keyword_string,
    string_test,
    wildcard_pattern,
)

__all__ = ["SUPPORTED_MODIFIERS", "Evaluator", "Hit", "check_supported", "compile_rule"]

Hit = tuple[str, str]
"""``(sigma field, matched text)``; ``("", "")`` when only a negation matched."""

Evaluator = Callable[[AccessEvent | ErrorEvent], Hit | None]

SUPPORTED_MODIFIERS: frozenset[str] = frozenset(
    {
        "contains",
        "startswith",
        "endswith",
        "all",
        "re",
        "i",
        "ignorecase",
        "m",
        "multiline",
        "s",
        "dotall",
        "cased",
        "base64",
        "base64offset",
        "windash",
        "exists",
        "gt",
        "gte",
        "lt",
        "lte",
        "neq",
        "cidr",
        "fieldref",
    }
)

_SILENT: Hit = ("", "")

Node = ConditionItem | ConditionFieldEqualsValueExpression | ConditionValueExpression | None


def _items(detection: SigmaDetection) -> Iterator[SigmaDetectionItem]:
    for item in detection.detection_items:
        if isinstance(item, SigmaDetection):
            yield from _items(item)
        else:
            yield item


def check_supported(rule: SigmaRule) -> None:
    """Raise :class:`Unsupported` when ``rule`` names an unknown field or modifier."""
    for detection in rule.detection.detections.values():
        for item in _items(detection):
            if item.field is not None and item.field.lower() not in KNOWN_FIELDS:
                raise Unsupported(f"field '{item.field}' has no Apache equivalent")
            for modifier in item.modifiers:
                name = reverse_modifier_mapping.get(modifier.__name__, modifier.__name__)
                if name not in SUPPORTED_MODIFIERS:
                    raise Unsupported(f"modifier '{name}' is not supported")


# Fields a client writes the payload into: when a rule ANDs one of them with the method or
# the status, the finding explains itself with the payload ("union select" in cs-uri-query),
# not with "GET" in cs-method.
_PAYLOAD_FIELDS = frozenset(
    {
        "cs-uri-query", "cs-uri", "cs-uri-stem", "cs-user-agent", "c-useragent", "cs-referer",
        "cs-referrer", "cs-cookie", "message",
    }
)  # fmt: skip


def _rank(hit: Hit) -> int:
    """How telling a hit is: payload text, other text, a field without text, nothing."""
    if hit[1]:
        return 3 if hit[0].lower() in _PAYLOAD_FIELDS else 2
    return 1 if hit[0] else 0


def _all(children: Sequence[Evaluator]) -> Evaluator:
    def evaluate(event: AccessEvent | ErrorEvent) -> Hit | None:
        best = _SILENT
        for child in children:
            hit = child(event)
            if hit is None:
                return None
            if _rank(hit) > _rank(best):
                best = hit
        return best

    return evaluate


def _any(children: Sequence[Evaluator]) -> Evaluator:
    def evaluate(event: AccessEvent | ErrorEvent) -> Hit | None:
        for child in children:
            hit = child(event)
            if hit is not None:
                return hit
        return None

    return evaluate


def _not(child: Evaluator) -> Evaluator:
    def evaluate(event: AccessEvent | ErrorEvent) -> Hit | None:
        return _SILENT if child(event) is None else None

    return evaluate


def _field_leaf(field: str, test: ValueTest, log: str) -> Evaluator:
    try:
        get = getter(field, log)
    except KeyError:
        raise Unsupported(f"field '{field}' has no Apache equivalent") from None

    def evaluate(event: AccessEvent | ErrorEvent) -> Hit | None:
        fragment = test(get(event), event)
        return None if fragment is None else (field, fragment)

    return evaluate


def _keyword_leaf(test: ValueTest, log: str) -> Evaluator:
    fields = KEYWORD_FIELDS[log]

    def evaluate(event: AccessEvent | ErrorEvent) -> Hit | None:
        for name, get in fields:
            text = get(event)
            if text:
                fragment = test(text, event)
                if fragment is not None:
                    return (name, fragment)
        return None

    return evaluate


def _strings(value: SigmaType) -> list[SigmaString] | None:
    """The plain strings ``value`` stands for, or ``None`` when it is anything else."""
    if isinstance(value, SigmaString):
        return [value]
    if isinstance(value, SigmaExpansion):
        found: list[SigmaString] = []
        for inner in value.values:
            strings = _strings(inner)
            if strings is None:
                return None
            found.extend(strings)
        return found
    return None


def _merged_strings(args: Sequence[Node], log: str) -> Evaluator | None:
    """One regex for OR-linked string values of one field (or of keywords), when possible."""
    fields: set[str | None] = set()
    shown = ""
    strings: list[SigmaString] = []
    for arg in args:
        if isinstance(arg, ConditionFieldEqualsValueExpression):
            fields.add(arg.field.lower())
            shown = shown or arg.field
        elif isinstance(arg, ConditionValueExpression):
            fields.add(None)
        else:
            return None
        found = _strings(arg.value)
        if found is None:
            return None
        strings.extend(found)
    if len(fields) != 1 or len(strings) < 2:
        return None
    cased = {isinstance(s, SigmaCasedString) for s in strings}
    if len(cased) != 1:
        return None
    if not shown:
        patterns = [wildcard_pattern(keyword_string(s)) for s in strings]
        return _keyword_leaf(string_test(patterns, cased=cased.pop(), empty_is_dash=False), log)
    patterns = [wildcard_pattern(s) for s in strings]
    return _field_leaf(shown, string_test(patterns, cased=cased.pop(), empty_is_dash=True), log)


def _compile(node: Node, log: str) -> Evaluator:
    if isinstance(node, ConditionFieldEqualsValueExpression):
        return _field_leaf(node.field, compile_value(node.value, log), log)
    if isinstance(node, ConditionValueExpression):
        return _keyword_leaf(compile_keyword(node.value), log)
    if isinstance(node, ConditionNOT):
        return _not(_compile(node.args[0], log))
    if isinstance(node, ConditionOR):
        merged = _merged_strings(node.args, log)
        if merged is not None:
            return merged
        return _any([_compile(arg, log) for arg in node.args])
    if isinstance(node, ConditionAND):
        return _all([_compile(arg, log) for arg in node.args])
    raise Unsupported(f"condition element {type(node).__name__} is not supported")


def _regex_literals(value: SigmaRegularExpression) -> list[str | None]:
    """The literals one of which every match of a Sigma regex contains (``[None]``: none)."""
    flags = 0
    for flag in value.flags:
        flags |= SigmaRegularExpression.sigma_to_python_flags[flag]
    try:
        requirement = literal_requirement(str(value.regexp), flags)
    except re.error:
        return [None]
    if requirement is None:
        return [None]
    return [fold(literal) for literal in requirement[0]]


def _leaf_requirement(field: str | None, value: SigmaType, log: str) -> FieldLiterals:
    literals: list[str | None]
    if isinstance(value, SigmaRegularExpression):
        literals = _regex_literals(value)
    else:
        strings = _strings(value)
        if strings is None:
            return None
        literals = [literal_of(s) for s in strings]
    if any(literal is None for literal in literals):
        return None
    names = [field.lower()] if field is not None else [name for name, _ in KEYWORD_FIELDS[log]]
    return frozenset((name, literal) for name in names for literal in literals if literal)


def _requirement(node: Node, log: str) -> FieldLiterals:
    """Literals of which ``node`` needs at least one (see :mod:`lwsyslog.sigma.literals`)."""
    if isinstance(node, ConditionFieldEqualsValueExpression):
        return _leaf_requirement(node.field, node.value, log)
    if isinstance(node, ConditionValueExpression):
        return _leaf_requirement(None, node.value, log)
    if isinstance(node, ConditionOR):
        union: set[tuple[str, str]] = set()
        for arg in node.args:
            requirement = _requirement(arg, log)
            if requirement is None:
                return None
            union.update(requirement)
        return frozenset(union)
    if isinstance(node, ConditionAND):
        # Any one child's requirement holds for the AND; keep the most selective one of
        # those the detect stage can scan for (``cs-method: GET`` beside a query keyword would
        # leave the rule evaluated on every event).
        known = [r for r in (_requirement(arg, log) for arg in node.args) if r is not None]
        if not known:
            return None
        return max(known, key=_selectivity)
    return None  # NOT, and anything the compiler would reject anyway


def _selectivity(requirement: frozenset[tuple[str, str]]) -> tuple[bool, int, int]:
    scanned = all(
        field in SCANNED_SIGMA_FIELDS and literal != "-" for field, literal in requirement
    )
    return scanned, min(len(literal) for _, literal in requirement), -len(requirement)


def compile_rule(rule: SigmaRule, log: str) -> tuple[Evaluator, FieldLiterals]:
    """The evaluator of ``rule`` on events of ``log`` and its prefilter requirement.

    Raises :class:`Unsupported`. pySigma errors (a condition naming an undefined
    selection...) propagate: the rule is malformed, not merely unsupported.
    """
    trees = [condition.parse() for condition in rule.detection.parsed_condition]
    evaluators = [_compile(tree, log) for tree in trees]
    requirement = _requirement(ConditionOR(list(trees)) if len(trees) > 1 else trees[0], log)
    return (evaluators[0] if len(evaluators) == 1 else _any(evaluators)), requirement
