"""pySigma's parsed condition tree described as plain data, with each rule's requirement.

pySigma resolves a rule's condition (``1 of selection*``, ``all of them``, ``not filter``,
parentheses) into a tree of AND/OR/NOT nodes whose leaves are ``field = value`` or bare
keyword values, with modifiers already applied to the values. This module walks that tree
once and describes it as a condition of :mod:`lwsyslog.sigma.ir`; the OR-linked string values
of one field (the common shape: ``cs-uri-query|contains: [...]``) become one alternation,
searched by one regex. It also derives, per log, the literal requirement the detect stage
selects the rule by (:mod:`lwsyslog.sigma.literals`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

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

from lwsyslog.matching.fold import fold
from lwsyslog.matching.literals import literal_requirement
from lwsyslog.sigma.describe_values import (
    describe_keyword,
    describe_value,
    keyword_string,
    regex_flags,
    strings_value,
    wildcard_pattern,
)
from lwsyslog.sigma.fields import KEYWORD_FIELDS, KNOWN_FIELDS, SCANNED_SIGMA_FIELDS
from lwsyslog.sigma.ir import Node
from lwsyslog.sigma.literals import FieldLiterals, literal_of
from lwsyslog.sigma.values import Unsupported

__all__ = ["SUPPORTED_MODIFIERS", "check_supported", "describe_rule"]

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

PySigmaNode = ConditionItem | ConditionFieldEqualsValueExpression | ConditionValueExpression | None


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
                # Only c-ip holds an address: on any other field a network matched nothing.
                if name == "cidr" and (item.field or "").lower() != "c-ip":
                    on = f"field '{item.field}'" if item.field else "a keyword"
                    raise Unsupported(f"modifier 'cidr' works on c-ip only, not on {on}")


def _field_leaf(field: str, value: dict[str, object]) -> Node:
    if field.lower() not in KNOWN_FIELDS:
        raise Unsupported(f"field '{field}' has no Apache equivalent")
    return {"field": field, "value": value}


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


def _merged_strings(args: Sequence[PySigmaNode]) -> Node | None:
    """One alternation for OR-linked string values of one field (or of keywords), when
    possible."""
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
        return {"keyword": strings_value(patterns, cased=cased.pop(), empty_is_dash=False)}
    patterns = [wildcard_pattern(s) for s in strings]
    return _field_leaf(shown, strings_value(patterns, cased=cased.pop(), empty_is_dash=True))


def _describe(node: PySigmaNode) -> Node:
    if isinstance(node, ConditionFieldEqualsValueExpression):
        return _field_leaf(node.field, describe_value(node.value))
    if isinstance(node, ConditionValueExpression):
        return {"keyword": describe_keyword(node.value)}
    if isinstance(node, ConditionNOT):
        return {"not": _describe(node.args[0])}
    if isinstance(node, ConditionOR):
        merged = _merged_strings(node.args)
        if merged is not None:
            return merged
        return {"or": [_describe(arg) for arg in node.args]}
    if isinstance(node, ConditionAND):
        return {"and": [_describe(arg) for arg in node.args]}
    raise Unsupported(f"condition element {type(node).__name__} is not supported")


def _regex_literals(value: SigmaRegularExpression) -> list[str | None]:
    """The literals one of which every match of a Sigma regex contains (``[None]``: none)."""
    try:
        requirement = literal_requirement(str(value.regexp), regex_flags(value))
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


def _requirement(node: PySigmaNode, log: str) -> FieldLiterals:
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
    return None  # NOT, and anything the description would reject anyway


def _selectivity(requirement: frozenset[tuple[str, str]]) -> tuple[bool, int, int]:
    scanned = all(
        field in SCANNED_SIGMA_FIELDS and literal != "-" for field, literal in requirement
    )
    return scanned, min(len(literal) for _, literal in requirement), -len(requirement)


def describe_rule(
    rule: SigmaRule, logs: Sequence[str]
) -> tuple[tuple[Node, ...], dict[str, FieldLiterals]]:
    """The described conditions of ``rule`` and its prefilter requirement on each of ``logs``.

    Raises :class:`Unsupported`. pySigma errors (a condition naming an undefined
    selection...) propagate: the rule is malformed, not merely unsupported.
    """
    trees = [condition.parse() for condition in rule.detection.parsed_condition]
    conditions = tuple(_describe(tree) for tree in trees)
    whole = ConditionOR(list(trees)) if len(trees) > 1 else trees[0]
    return conditions, {log: _requirement(whole, log) for log in logs}
