"""Described Sigma values (:mod:`lwsyslog.sigma.ir`) built into Python tests.

Each value of a condition leaf becomes a test on one field value that returns the matched
text (``""`` when a match has no text to show) or ``None``. Nothing here imports pySigma.

Plain strings match case-insensitively (the Sigma default) unless ``cased``; regular
expressions are case-sensitive unless ``|i``, and searched (not anchored), as in PCRE. Every
search runs in RE2 (:func:`lwsyslog.matching.linear.linear_search`), in time linear in the
field whatever the pattern: an attacker writes the field, and ``re`` spent 13 ms on one 8 KB
query against one SigmaHQ rule (``*/config/keystore/*.json*`` over the first literal
repeated). A pattern is compiled when a test first runs: a start pays nothing for the
patterns of rules no event selects (SigmaHQ's web rules hold about 700).
"""

from __future__ import annotations

import ipaddress
import operator
import re
from collections.abc import Callable, Sequence

from lwsyslog.events import AccessEvent, ErrorEvent
from lwsyslog.matching.linear import Regex, linear_search
from lwsyslog.sigma.fields import FieldValue, getter
from lwsyslog.sigma.ir import Value

__all__ = ["Unsupported", "ValueTest", "value_test"]

ValueTest = Callable[[FieldValue, AccessEvent | ErrorEvent], str | None]
"""A built value: ``(field value, event) -> matched text or None``."""


class Unsupported(Exception):  # noqa: N818 - a verdict on a rule, not an error of lwsyslog
    """A rule uses a Sigma feature lwsyslog cannot evaluate; the rule is listed, not loaded."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _as_text(value: FieldValue) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _search_flags(cased: bool) -> int:
    """The ``re`` flags of a wildcard-string search."""
    return re.DOTALL if cased else re.DOTALL | re.IGNORECASE


def _search_test(source: str, flags: int, empty_is_dash: bool) -> ValueTest:
    """A search for ``source`` (compiled at the first test) giving the matched text.

    With ``empty_is_dash``, an empty field is also tried as ``-``: Apache logs a missing
    value as ``-`` and lwsyslog parses that to ``""``, so a rule written against the raw
    log line (``cs-referer: '-'``) still matches.
    """
    search: Callable[[str], str | None] | None = None

    def test(value: FieldValue, event: AccessEvent | ErrorEvent) -> str | None:
        nonlocal search
        text = _as_text(value)
        if text is None:
            return None
        if search is None:
            search = linear_search(Regex(source, flags)).search
        found = search(text)
        if found is None and empty_is_dash and not text:
            found = search("-")
        return found

    return test


def _strings_test(patterns: Sequence[str], cased: bool, empty_is_dash: bool) -> ValueTest:
    """One search over the alternation of ``patterns`` (OR-linked values share one regex)."""
    source = patterns[0] if len(patterns) == 1 else "|".join(f"(?:{p})" for p in patterns)
    return _search_test(source, _search_flags(cased), empty_is_dash)


def _number_test(number: float) -> ValueTest:
    shown = str(number)

    def test(field_value: FieldValue, event: AccessEvent | ErrorEvent) -> str | None:
        if isinstance(field_value, int):
            return shown if field_value == number else None
        if isinstance(field_value, str) and field_value.strip() == shown:
            return field_value
        return None

    return test


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
    "neq": operator.ne,
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


def _compare_test(op: str, bound: float) -> ValueTest:
    compare = _COMPARE[op]

    def test(field_value: FieldValue, event: AccessEvent | ErrorEvent) -> str | None:
        number = _to_number(field_value)
        if number is None or not compare(number, bound):
            return None
        return str(field_value)

    return test


def _cidr_test(network_text: str) -> ValueTest:
    network = ipaddress.ip_network(network_text)

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


def _exists_test(wanted: bool) -> ValueTest:
    def test(field_value: FieldValue, event: AccessEvent | ErrorEvent) -> str | None:
        present = field_value is not None and field_value != ""
        return "" if present == wanted else None

    return test


def _bool_test(boolean: bool) -> ValueTest:
    wanted = "true" if boolean else "false"

    def test(field_value: FieldValue, event: AccessEvent | ErrorEvent) -> str | None:
        text = _as_text(field_value)
        return text if text is not None and text.lower() == wanted else None

    return test


def _fieldref_test(field: str, starts: bool, ends: bool, log: str) -> ValueTest:
    try:
        other = getter(field, log)
    except KeyError:
        raise Unsupported(f"field '{field}' has no Apache equivalent") from None

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


def value_test(value: Value, log: str) -> ValueTest:
    """The test a described value stands for on events of ``log``.

    Raises ``ValueError`` for a description this module does not know (a stored one from
    elsewhere), :class:`Unsupported` for a field reference lwsyslog cannot read.
    """
    if "strings" in value:
        return _strings_test(value["strings"], bool(value["cased"]), bool(value["dash"]))
    if "regex" in value:
        return _search_test(value["regex"], int(value["flags"]), False)
    if "number" in value:
        return _number_test(value["number"])
    if "compare" in value:
        return _compare_test(value["compare"], value["bound"])
    if "cidr" in value:
        return _cidr_test(value["cidr"])
    if "null" in value:
        return _null_test
    if "exists" in value:
        return _exists_test(bool(value["exists"]))
    if "bool" in value:
        return _bool_test(bool(value["bool"]))
    if "fieldref" in value:
        return _fieldref_test(value["fieldref"], bool(value["starts"]), bool(value["ends"]), log)
    if "any" in value:
        return _any_test([value_test(inner, log) for inner in value["any"]])
    raise ValueError(f"not a described Sigma value: {sorted(value)}")
