"""Sigma values (after pySigma applied the modifiers) described as plain data.

pySigma turns ``field|modifier: value`` into typed values: wildcard strings (``contains`` is
``*value*``), :class:`~sigma.types.SigmaRegularExpression` with flags, CIDR networks, numeric
comparisons, field references, existence checks and expansions (``base64offset``,
``windash``). Each is described once, here, as a value of :mod:`lwsyslog.sigma.ir`, which
:mod:`lwsyslog.sigma.values` builds into a test. A value lwsyslog cannot evaluate raises
:class:`~lwsyslog.sigma.values.Unsupported` here, so a stored description always builds.
"""

from __future__ import annotations

import re

from sigma.types import (
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SigmaTimestampPart,
    SigmaType,
    SpecialChars,
)

from lwsyslog.matching.linear import Regex, linear_search, re2_available
from lwsyslog.sigma.fields import KNOWN_FIELDS
from lwsyslog.sigma.ir import Value
from lwsyslog.sigma.values import Unsupported

__all__ = [
    "describe_keyword",
    "describe_value",
    "keyword_string",
    "regex_flags",
    "strings_value",
    "wildcard_pattern",
]


def wildcard_pattern(value: SigmaString) -> str:
    """Regex source for a Sigma wildcard string, anchored where the string has no ``*``.

    A leading or trailing ``*`` is dropped instead of becoming ``.*``, so a search returns
    just the interesting part as the fragment (``*union select*`` shows ``union select``).
    """
    parts = list(value.iter_parts())
    head = r"\A"
    tail = r"\Z"
    if parts and parts[0] is SpecialChars.WILDCARD_MULTI:
        head, parts = "", parts[1:]
    if parts and parts[-1] is SpecialChars.WILDCARD_MULTI:
        tail, parts = "", parts[:-1]
    body: list[str] = []
    for part in parts:
        if isinstance(part, str):
            body.append(re.escape(part))
        elif part is SpecialChars.WILDCARD_MULTI:
            body.append(".*?")
        elif part is SpecialChars.WILDCARD_SINGLE:
            body.append(".")
        elif isinstance(part, Placeholder):
            raise Unsupported(f"placeholder %{part.name}% (expand modifier) is not supported")
    return head + "".join(body) + tail


def keyword_string(value: SigmaString) -> SigmaString:
    """A keyword matches anywhere in the searched text: ``value`` wrapped in ``*``."""
    if not value.startswith(SpecialChars.WILDCARD_MULTI):
        value = SpecialChars.WILDCARD_MULTI + value
    if not value.endswith(SpecialChars.WILDCARD_MULTI):
        value = value + SpecialChars.WILDCARD_MULTI
    return value


def strings_value(patterns: list[str], *, cased: bool, empty_is_dash: bool) -> Value:
    """OR-linked wildcard-string ``patterns``, searched as one alternation."""
    return {"strings": patterns, "cased": cased, "dash": empty_is_dash}


def regex_flags(value: SigmaRegularExpression) -> int:
    """The ``re`` flags of a Sigma ``re`` value's ``|i``, ``|m`` and ``|s``."""
    flags = 0
    for flag in value.flags:
        flags |= SigmaRegularExpression.sigma_to_python_flags[flag]
    return int(flags)


def _regex(value: SigmaRegularExpression) -> Value:
    source, flags = str(value.regexp), regex_flags(value)
    try:
        # Evaluators compile at first use; a pattern that does not compile is refused now.
        search = linear_search(Regex(source, flags))
    except re.error as exc:  # pySigma compiled it already; kept for a clear message
        raise Unsupported(f"regular expression {source!r}: {exc}") from exc
    if search.engine != "re2" and re2_available():
        # Look-around and back-references make re backtrack over text an attacker writes.
        raise Unsupported(
            f"regular expression {source!r} cannot run in linear time (RE2: {search.reason})"
        )
    return {"regex": source, "flags": flags}


def _fieldref(value: SigmaFieldReference) -> Value:
    if value.field.lower() not in KNOWN_FIELDS:
        raise Unsupported(f"field '{value.field}' has no Apache equivalent")
    return {"fieldref": value.field, "starts": value.starts_with, "ends": value.ends_with}


def describe_value(value: SigmaType) -> Value:
    """The description of ``field: value``; raises :class:`Unsupported`."""
    if isinstance(value, SigmaString):
        cased = isinstance(value, SigmaCasedString)
        return strings_value([wildcard_pattern(value)], cased=cased, empty_is_dash=True)
    if isinstance(value, SigmaRegularExpression):
        return _regex(value)
    if isinstance(value, SigmaTimestampPart):
        raise Unsupported("time modifiers (minute, hour, day...) are not supported")
    if isinstance(value, SigmaNumber):
        return {"number": value.number}
    if isinstance(value, SigmaNull):
        return {"null": True}
    if isinstance(value, SigmaExists):
        return {"exists": value.exists}
    if isinstance(value, SigmaBool):
        return {"bool": value.boolean}
    if isinstance(value, SigmaCompareExpression):
        return {"compare": value.op.name.lower(), "bound": value.number.number}
    if isinstance(value, SigmaCIDRExpression):
        return {"cidr": str(value.network)}
    if isinstance(value, SigmaFieldReference):
        return _fieldref(value)
    if isinstance(value, SigmaExpansion):
        return {"any": [describe_value(inner) for inner in value.values]}
    raise Unsupported(f"value type {type(value).__name__} is not supported")


def describe_keyword(value: SigmaType) -> Value:
    """The description of a keyword (fieldless) value; raises :class:`Unsupported`."""
    if isinstance(value, SigmaString):
        cased = isinstance(value, SigmaCasedString)
        return strings_value(
            [wildcard_pattern(keyword_string(value))], cased=cased, empty_is_dash=False
        )
    if isinstance(value, SigmaRegularExpression):
        return _regex(value)
    if isinstance(value, SigmaNumber) and not isinstance(value, SigmaTimestampPart):
        return strings_value([re.escape(str(value.number))], cased=False, empty_is_dash=False)
    if isinstance(value, SigmaExpansion):
        return {"any": [describe_keyword(inner) for inner in value.values]}
    raise Unsupported(f"keyword value of type {type(value).__name__} is not supported")
