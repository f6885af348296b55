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
those places, it closes more parentheses than were opened. MySQL reads a backslash before a
quote as an escape, other databases do not: a quote breaks out when it does in either reading.
"""

from __future__ import annotations

import re

__all__ = ["after_contains_operator", "closes_unopened"]

_QUERY_SEPARATORS = re.compile(r"[?&;]")
_PATH_SEPARATORS = re.compile(r"[/&;]")
# How far back blanks are skipped to find the operator before a quote (beyond: not found).
_LOOK_BACK = 32
# The parameters that carry a JQL or CQL query (Jira's /issues/?jql=, /rest/api/2/search?jql=;
# Confluence's dosearchsite.action?cql=, /rest/api/search?cql=).
_QUERY_PARAMETERS = ("jql=", "cql=")


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
    # MySQL reads a backslash before a quote as an escape (``\'`` is a quote character, not
    # the string's end), other databases do not; decoded, the backslash reads as "/". Both
    # readings count: a quote breaks out when it does under either. The quote at ``index``
    # counts under both (escaped, it breaks out under the other reading alone).
    escaped = 0
    for number, part in enumerate(reversed(parts)):
        count += part.count(char)
        if "/" + char in part:
            escaped += _escaped(part[:-1] if number == 0 else part, char)
        if count % 2 or (count - escaped) % 2:
            return True
    return False


def _escaped(part: str, char: str) -> int:
    """How many ``char`` quotes in ``part`` follow an odd run of "/" (a decoded backslash):
    the quotes MySQL reads as escaped."""
    found = 0
    index = part.find("/" + char)
    while index >= 0:
        start = index
        while start > 0 and part[start - 1] == "/":
            start -= 1
        found += (index + 1 - start) % 2
        index = part.find("/" + char, index + 2)
    return found


def after_contains_operator(text: str, index: int) -> bool:
    """Whether the quote at ``text[index]`` follows ``~``, JQL's and CQL's contains operator
    (``text ~ "select * from t"``), in the value of a ``jql=`` or ``cql=`` parameter (Jira's
    and Confluence's search queries): the quote opens the query's own text literal. In any
    other parameter ``x~' order by 3--`` is a breakout like any other.

    The parameter is the one after the last ``?``, ``&`` or ``;`` before the quote: a
    separator inside the query (a decoded ``%26``) only takes the exemption away."""
    head = text[max(0, index - _LOOK_BACK) : index].rstrip(" ")
    if not head.endswith("~"):
        return False
    start = max(text.rfind(char, 0, index) for char in "?&;") + 1
    return text.startswith(_QUERY_PARAMETERS, start)
