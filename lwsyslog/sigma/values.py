"""Sigma values (after pySigma applied the modifiers) compiled into Python tests.

pySigma turns ``field|modifier: value`` into typed values: wildcard strings (``contains`` is
``*value*``), :class:`~sigma.types.SigmaRegularExpression` with flags, CIDR networks, numeric
comparisons, field references, existence checks and expansions (``base64offset``,
``windash``). Each is compiled once, here, into a test on one field value that returns the
matched text (``""`` when a match has no text to show) or ``None``.

Plain strings match case-insensitively (the Sigma default) unless ``cased``; regular
expressions are case-sensitive unless ``|i``, and searched (not anchored), as in PCRE.
"""

from __future__ import annotations

import ipaddress
import operator
import re
from collections.abc import Callable, Sequence

from sigma.types import (
    CompareOperators,
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

from lwsyslog.events import AccessEvent, ErrorEvent
from lwsyslog.sigma.fields import FieldValue, getter

__all__ = [
    "Unsupported",
    "ValueTest",
    "compile_keyword",
    "compile_value",
    "string_test",
    "wildcard_pattern",
]

ValueTest = Callable[[FieldValue, AccessEvent | ErrorEvent], str | None]
"""A compiled value: ``(field value, event) -> matched text or None``."""


class Unsupported(Exception):  # noqa: N818 - a verdict on a rule, not an error of lwsyslog
    """A rule uses a Sigma feature lwsyslog cannot evaluate; the rule is listed, not loaded."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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


def _as_text(value: FieldValue) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def string_test(patterns: Sequence[str], *, cased: bool, empty_is_dash: bool) -> ValueTest:
    """One search over the alternation of ``patterns`` (OR-linked values share one regex).

    With ``empty_is_dash``, an empty field is also tried as ``-``: Apache logs a missing
    value as ``-`` and lwsyslog parses that to ``""``, so a rule written against the raw
    log line (``cs-referer: '-'``) still matches.
    """
    flags = re.DOTALL if cased else re.DOTALL | re.IGNORECASE
    source = patterns[0] if len(patterns) == 1 else "|".join(f"(?:{p})" for p in patterns)
    search = re.compile(source, flags).search

    def test(value: FieldValue, event: AccessEvent | ErrorEvent) -> str | None:
        text = _as_text(value)
        if text is None:
            return None
        match = search(text)
        if match is None and empty_is_dash and not text:
            match = search("-")
        return None if match is None else match.group()

    return test


def _regex_test(value: SigmaRegularExpression) -> ValueTest:
    flags = 0
    for flag in value.flags:
        flags |= SigmaRegularExpression.sigma_to_python_flags[flag]
    try:
        search = re.compile(str(value.regexp), flags).search
    except re.error as exc:  # pySigma compiled it already; kept for a clear message
        raise Unsupported(f"regular expression {str(value.regexp)!r}: {exc}") from exc

    def test(field_value: FieldValue, event: AccessEvent | ErrorEvent) -> str | None:
        text = _as_text(field_value)
        if text is None:
            return None
        match = search(text)
        return None if match is None else match.group()

    return test


def _number_test(value: SigmaNumber) -> ValueTest:
    number = value.number
    shown = str(number)

    def test(field_value: FieldValue, event: AccessEvent | ErrorEvent) -> str | None:
        if isinstance(field_value, int):
            return shown if field_value == number else None
        if isinstance(field_value, str) and field_value.strip() == shown:
            return field_value
        return None

    return test


_COMPARE: dict[CompareOperators, Callable[[float, float], bool]] = {
    CompareOperators.LT: operator.lt,
    CompareOperators.LTE: operator.le,
    CompareOperators.GT: operator.gt,
    CompareOperators.GTE: operator.ge,
    CompareOperators.NEQ: operator.ne,
}


def _to_number(value: FieldValue) -> float | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _compare_test(value: SigmaCompareExpression) -> ValueTest:
    compare = _COMPARE[value.op]
    bound = value.number.number

    def test(field_value: FieldValue, event: AccessEvent | ErrorEvent) -> str | None:
        number = _to_number(field_value)
        if number is None or not compare(number, bound):
            return None
        return str(field_value)

    return test


def _cidr_test(value: SigmaCIDRExpression) -> ValueTest:
    network = value.network

    def test(field_value: FieldValue, event: AccessEvent | ErrorEvent) -> str | None:
        if not isinstance(field_value, str) or not field_value:
            return None
        try:
            address = ipaddress.ip_address(field_value)
        except ValueError:
            return None
        return field_value if address in network else None

    return test


def _null_test(field_value: FieldValue, event: AccessEvent | ErrorEvent) -> str | None:
    return "" if field_value is None or field_value == "" else None


def _exists_test(value: SigmaExists) -> ValueTest:
    wanted = value.exists

    def test(field_value: FieldValue, event: AccessEvent | ErrorEvent) -> str | None:
        present = field_value is not None and field_value != ""
        return "" if present == wanted else None

    return test


def _bool_test(value: SigmaBool) -> ValueTest:
    wanted = "true" if value.boolean else "false"

    def test(field_value: FieldValue, event: AccessEvent | ErrorEvent) -> str | None:
        text = _as_text(field_value)
        return text if text is not None and text.lower() == wanted else None

    return test


def _fieldref_test(value: SigmaFieldReference, log: str) -> ValueTest:
    try:
        other = getter(value.field, log)
    except KeyError:
        raise Unsupported(f"field '{value.field}' has no Apache equivalent") from None
    starts, ends = value.starts_with, value.ends_with

    def test(field_value: FieldValue, event: AccessEvent | ErrorEvent) -> str | None:
        mine, theirs = _as_text(field_value), _as_text(other(event))
        if mine is None or theirs is None:
            return None
        mine_l, theirs_l = mine.lower(), theirs.lower()
        if starts and ends:
            found = theirs_l in mine_l
        elif starts:
            found = mine_l.startswith(theirs_l)
        elif ends:
            found = mine_l.endswith(theirs_l)
        else:
            found = mine_l == theirs_l
        return theirs if found else None

    return test


def _any_test(tests: Sequence[ValueTest]) -> ValueTest:
    def test(field_value: FieldValue, event: AccessEvent | ErrorEvent) -> str | None:
        for one in tests:
            found = one(field_value, event)
            if found is not None:
                return found
        return None

    return test


def compile_value(value: SigmaType, log: str) -> ValueTest:
    """The test for ``field: value`` on events of ``log``; raises :class:`Unsupported`."""
    if isinstance(value, SigmaString):
        cased = isinstance(value, SigmaCasedString)
        return string_test([wildcard_pattern(value)], cased=cased, empty_is_dash=True)
    if isinstance(value, SigmaRegularExpression):
        return _regex_test(value)
    if isinstance(value, SigmaTimestampPart):
        raise Unsupported("time modifiers (minute, hour, day...) are not supported")
    if isinstance(value, SigmaNumber):
        return _number_test(value)
    if isinstance(value, SigmaNull):
        return _null_test
    if isinstance(value, SigmaExists):
        return _exists_test(value)
    if isinstance(value, SigmaBool):
        return _bool_test(value)
    if isinstance(value, SigmaCompareExpression):
        return _compare_test(value)
    if isinstance(value, SigmaCIDRExpression):
        return _cidr_test(value)
    if isinstance(value, SigmaFieldReference):
        return _fieldref_test(value, log)
    if isinstance(value, SigmaExpansion):
        return _any_test([compile_value(inner, log) for inner in value.values])
    raise Unsupported(f"value type {type(value).__name__} is not supported")


def keyword_string(value: SigmaString) -> SigmaString:
    """A keyword matches anywhere in the searched text: ``value`` wrapped in ``*``."""
    if not value.startswith(SpecialChars.WILDCARD_MULTI):
        value = SpecialChars.WILDCARD_MULTI + value
    if not value.endswith(SpecialChars.WILDCARD_MULTI):
        value = value + SpecialChars.WILDCARD_MULTI
    return value


def compile_keyword(value: SigmaType) -> ValueTest:
    """The test for a keyword (fieldless) value; raises :class:`Unsupported`."""
    if isinstance(value, SigmaString):
        cased = isinstance(value, SigmaCasedString)
        return string_test(
            [wildcard_pattern(keyword_string(value))], cased=cased, empty_is_dash=False
        )
    if isinstance(value, SigmaRegularExpression):
        return _regex_test(value)
    if isinstance(value, SigmaNumber) and not isinstance(value, SigmaTimestampPart):
        return string_test([re.escape(str(value.number))], cased=False, empty_is_dash=False)
    if isinstance(value, SigmaExpansion):
        return _any_test([compile_keyword(inner) for inner in value.values])
    raise Unsupported(f"keyword value of type {type(value).__name__} is not supported")
