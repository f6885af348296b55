"""A described Sigma condition (:mod:`lwsyslog.sigma.ir`) built into one Python evaluator.

A rule's condition is a tree of AND/OR/NOT nodes whose leaves test one field's value or
search the keyword fields (:mod:`lwsyslog.sigma.describe` made it of pySigma's parsed
condition). This module builds closures of it, once per rule and log: leaves bind their
field getter for the log at hand. Nothing here imports pySigma.

An evaluator returns ``None`` or a hit ``(field, fragment)``: the Sigma field that matched
and the matched text, which is what ``lwsyslog explain`` and findings show.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lwsyslog.events import AccessEvent, ErrorEvent
from lwsyslog.sigma.fields import KEYWORD_FIELDS, getter
from lwsyslog.sigma.ir import Node
from lwsyslog.sigma.values import Unsupported, ValueTest, value_test

__all__ = ["Evaluator", "Hit", "evaluator"]

Hit = tuple[str, str]
"""``(sigma field, matched text)``; ``("", "")`` when only a negation matched."""

Evaluator = Callable[[AccessEvent | ErrorEvent], Hit | None]

_SILENT: Hit = ("", "")

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


def _build(node: Node, log: str) -> Evaluator:
    if "field" in node:
        return _field_leaf(node["field"], value_test(node["value"], log), log)
    if "keyword" in node:
        return _keyword_leaf(value_test(node["keyword"], log), log)
    if "not" in node:
        return _not(_build(node["not"], log))
    if "or" in node:
        return _any([_build(arg, log) for arg in node["or"]])
    if "and" in node:
        return _all([_build(arg, log) for arg in node["and"]])
    raise ValueError(f"not a described Sigma condition: {sorted(node)}")


def evaluator(conditions: Sequence[Node], log: str) -> Evaluator:
    """The evaluator of a rule's described ``conditions`` (any one matching) on ``log``.

    Raises ``ValueError`` for a description this module does not know, :class:`Unsupported`
    for a field lwsyslog cannot read.
    """
    built = [_build(node, log) for node in conditions]
    return built[0] if len(built) == 1 else _any(built)
