"""Where a quote stands in a value: whether it closes a string the value never opened.

An application puts a parameter inside its own quotes (``WHERE name = '...'``). Counted from
the value's start, a value's first quote closes the application's string, the second opens a
new one, and so on: a quote with an odd number of its kind up to it (itself included) breaks
out to SQL, one with an even number closes a string the value opened itself. A query language
of its own sent as a parameter (Jira's JQL, Confluence's CQL: ``status = "Open" AND assignee
= "jsmith"``) has its quotes in pairs, and the quote before ``AND`` is the second of a pair.

The decoded text does not say where a value starts (``%26`` decodes to ``&`` too), so every
place one may start counts: the field's start and the place after each ``?``, ``&`` and ``;``,
and after each ``/`` of the path. A quote that breaks out counted from any of them breaks out:
the value's true start is one of them, so a separator the attacker adds (``%26``) can only
add places, never hide the breaking one. A ``)`` breaks out the same way when, from one of
those places, it closes more parentheses than were opened.
"""

from __future__ import annotations

import re

__all__ = ["after_contains_operator", "closes_unopened"]

_QUERY_SEPARATORS = re.compile(r"[?&;]")
_PATH_SEPARATORS = re.compile(r"[/&;]")
# How far back blanks are skipped to find the operator before a quote (beyond: not found).
_LOOK_BACK = 32


def _parts(head: str) -> list[str]:
    """``head`` cut at every place a value may start (in order)."""
    query = head.find("?")
    if query < 0:
        return _PATH_SEPARATORS.split(head)
    return _PATH_SEPARATORS.split(head[:query]) + _QUERY_SEPARATORS.split(head[query + 1 :])


def closes_unopened(text: str, index: int) -> bool:
    """Whether the quote (or ``)``) at ``text[index]`` closes a string (or parenthesis) that
    the value holding it never opened, counted from each place a value may start there."""
    char = text[index]
    parts = _parts(text[: index + 1])
    count = 0
    if char == ")":
        for part in reversed(parts):
            count += part.count(")") - part.count("(")
            if count > 0:
                return True
        return False
    for part in reversed(parts):
        count += part.count(char)
        if count % 2:
            return True
    return False


def after_contains_operator(text: str, index: int) -> bool:
    """Whether the quote at ``text[index]`` follows ``~``, JQL's and CQL's contains operator
    (``text ~ "select * from t"``): the quote opens the query's own text literal."""
    head = text[max(0, index - _LOOK_BACK) : index].rstrip(" ")
    return head.endswith("~")
