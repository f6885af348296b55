"""Confirming a rule's pattern in linear time: RE2 where the pattern fits it, else ``re``.

A rule's pattern runs only on fields the literal scan selected, but an attacker controls that
text too: ``re`` backtracks, so a pattern such as ``\\{\\{[^}]{0,200}?...`` over 8,000 ``{``
costs tens of milliseconds. RE2 (the ``google-re2`` wheel) matches in time linear in the text
whatever the pattern, with the same leftmost-first semantics as ``re``. A pattern RE2 cannot
compile (look-around, atomic groups) stays with ``re``; those are written not to backtrack
and the adversarial tests hold every rule to a time budget.

RE2's classes are ASCII (``\\d``, ``\\w``, ``\\b``); the rules read decoded text whose odd
white space was already folded into plain spaces (:func:`lwsyslog.normalize.decode`).

RE2 has no look-around; a pattern that needs context around what it reports matches the
context and names the reported part ``(?P<frag>...)``: the search then gives that group.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple

__all__ = ["FRAGMENT_GROUP", "LinearSearch", "linear_search", "re2_available"]

FRAGMENT_GROUP = "frag"
"""The group whose text a search reports, when the pattern has one."""

Search = Callable[[str], str | None]


class LinearSearch(NamedTuple):
    """A compiled search: ``search(text)`` gives the first match's text or ``None``."""

    search: Search
    engine: str  # "re2" or "re"
    reason: str  # why "re" (empty for RE2)


@cache
def _re2() -> Any:
    try:
        import re2  # noqa: PLC0415  (optional: re stands in where the wheel is missing)
    except ImportError:
        return None
    return re2


def re2_available() -> bool:
    """True when the RE2 bindings can be imported."""
    return _re2() is not None


def _re2_source(pattern: str) -> str:
    # Python spellings RE2 writes differently.
    source = re.sub(r"(?<!\\)((?:\\\\)*)\\u([0-9a-fA-F]{4})", r"\1\\x{\2}", pattern)
    return re.sub(r"(?<!\\)((?:\\\\)*)\\Z", r"\1\\z", source)


def linear_search(pattern: re.Pattern[str]) -> LinearSearch:
    """The search of ``pattern`` by RE2 when it compiles there, else by ``re``."""
    re2 = _re2()
    if re2 is None:
        return LinearSearch(_re_search(pattern), "re", "RE2 is not installed")
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = not pattern.flags & re.IGNORECASE
    options.dot_nl = bool(pattern.flags & re.DOTALL)
    fragment = FRAGMENT_GROUP in pattern.groupindex
    options.never_capture = not fragment
    if pattern.flags & re.MULTILINE:
        options.posix_syntax = True
        options.one_line = False
    try:
        compiled = re2.compile(_re2_source(pattern.pattern), options)
    except re2.error as error:
        return LinearSearch(_re_search(pattern), "re", str(error))
    search = compiled.search
    group = FRAGMENT_GROUP if fragment else 0

    def run(text: str) -> str | None:
        match = search(text)
        return None if match is None else str(match.group(group))

    return LinearSearch(run, "re2", "")


def _re_search(pattern: re.Pattern[str]) -> Search:
    search = pattern.search
    group = FRAGMENT_GROUP if FRAGMENT_GROUP in pattern.groupindex else 0

    def run(text: str) -> str | None:
        match = search(text)
        return None if match is None else match.group(group)

    return run
