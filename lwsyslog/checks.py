"""Value checks for configuration tables: each returns an error text, or ``None`` when fine.

The loader (:mod:`lwsyslog.config`) and the rule sources that declare their own tables (Sigma's
``[sigma]``, a rule's ``[rules.ID]`` options) share them, so every error reads the same way.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from typing import Any

from lwsyslog.matching.linear import Regex, linear_search, re2_available

__all__ = [
    "APACHE_LEVELS",
    "MAX_INTEGER",
    "MAX_SECS",
    "Checker",
    "between",
    "boolean",
    "choice",
    "dns_resolver",
    "domain_list",
    "integer",
    "network_list",
    "number",
    "regex",
    "regex_list",
    "seconds",
    "split_resolver",
    "status_codes",
    "status_list",
    "string",
    "string_list",
    "type_name",
    "word_list",
]

Checker = Callable[[Any], str | None]
"""A check of one value: the problem in words, or ``None``."""


def type_name(value: Any) -> str:
    """How an error names the TOML type of ``value`` (``a string``, ``a table``...)."""
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


MAX_INTEGER = 2**63 - 1
"""The largest integer a key takes: TOML's own limit (a signed 64-bit integer), which
Python's reader does not enforce, and what SQLite and the C counters can hold."""


def integer(minimum: int = 0) -> Checker:
    """An integer from ``minimum`` to :data:`MAX_INTEGER`."""
    return between(minimum, MAX_INTEGER)


def between(minimum: int, maximum: int) -> Checker:
    """An integer from ``minimum`` to ``maximum``."""

    def check(value: Any) -> str | None:
        if not _is_int(value):
            return f"expected an integer, got {type_name(value)}"
        if value < minimum:
            return f"must be >= {minimum}, got {value}"
        if value > maximum:
            return f"must be from {minimum} to {maximum}, got {value}"
        return None

    return check


def number(minimum: float = 0, maximum: float | None = None) -> Checker:
    """A finite integer or float of at least ``minimum`` (and at most ``maximum``).

    ``inf`` and ``nan`` are refused whatever the bounds: TOML spells them, and an infinite
    window or interval is never meant (one of ``inf`` seconds held every storm summary back
    until the program stopped).
    """

    def check(value: Any) -> str | None:
        if not (_is_int(value) or isinstance(value, float)):
            return f"expected a number, got {type_name(value)}"
        if maximum is not None and not (math.isfinite(value) and minimum <= value <= maximum):
            return f"must be a finite number from {minimum} to {maximum}, got {value}"
        if not math.isfinite(value):
            return f"must be a finite number, got {value}"
        return None if value >= minimum else f"must be >= {minimum}, got {value}"

    return check


MAX_SECS = 10 * 365 * 86400
"""The longest duration (a window, interval, timeout or hold) a ``_secs`` key takes: 10 years.
Longer is never meant (one such window or interval was an ``inf`` that held alerts back for
good), and it keeps every later sum of times finite."""


def seconds(minimum: float = 0) -> Checker:
    """A duration in seconds, from ``minimum`` to :data:`MAX_SECS`."""
    return number(minimum, MAX_SECS)


def boolean(value: Any) -> str | None:
    """``true`` or ``false``."""
    return None if isinstance(value, bool) else f"expected true or false, got {type_name(value)}"


def string(value: Any) -> str | None:
    """Any string."""
    return None if isinstance(value, str) else f"expected a string, got {type_name(value)}"


def choice(*choices: str) -> Checker:
    """One of ``choices``."""

    def check(value: Any) -> str | None:
        if value in choices:
            return None
        return f"expected one of {', '.join(choices)}, got {value!r}"

    return check


def string_list(value: Any) -> str | None:
    """A list of strings."""
    if not isinstance(value, list):
        return f"expected a list of strings, got {type_name(value)}"
    for number, item in enumerate(value, start=1):
        if not isinstance(item, str):
            return f"expected a list of strings: item {number} is {type_name(item)} ({item!r})"
    return None


APACHE_LEVELS = (
    "emerg",
    "alert",
    "crit",
    "error",
    "warn",
    "notice",
    "info",
    "debug",
    *(f"trace{n}" for n in range(1, 9)),
)
"""The levels Apache's ``LogLevel`` knows, most severe first."""


def word_list(*words: str) -> Checker:
    """A list of strings, each one of ``words`` (in any case)."""

    def check(value: Any) -> str | None:
        problem = string_list(value)
        if problem:
            return problem
        for item in value:
            if item.lower() not in words:
                return f"unknown {item!r}: expected some of {', '.join(words)}"
        return None

    return check


def status_codes(specs: list[str]) -> frozenset[int]:
    """The status codes ``["4xx", "500-504", "302"]`` name; ``ValueError`` names a bad one."""
    statuses: set[int] = set()
    for spec in specs:
        text = spec.strip().lower()
        try:
            if len(text) == 3 and text.endswith("xx") and text[0].isdigit():
                base = int(text[0]) * 100
                statuses.update(range(base, base + 100))
                continue
            low, _, high = text.partition("-") if "-" in text else (text, "", text)
            first, last = int(low), int(high)
        except ValueError:
            first = last = 0
        if not 100 <= first <= last <= 999:
            raise ValueError(f"bad status {spec!r}: use NNN, Nxx or NNN-MMM (100 to 999)")
        statuses.update(range(first, last + 1))
    return frozenset(statuses)


def status_list(value: Any) -> str | None:
    """A list of HTTP statuses: ``NNN``, ``Nxx`` or ``NNN-MMM``."""
    problem = string_list(value)
    if problem:
        return problem
    try:
        status_codes(value)
    except ValueError as error:
        return str(error)
    return None


def regex(value: Any) -> str | None:
    """One regular expression that compiles and runs in linear time."""
    problem = string(value)
    if problem:
        return problem
    return _pattern_problem(value)


def regex_list(value: Any) -> str | None:
    """A list of regular expressions that compile and run in linear time."""
    problem = string_list(value)
    if problem:
        return problem
    return next((p for p in map(_pattern_problem, value) if p), None)


def _pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot read what clients send, or None.

    These patterns read paths and User-Agents, which clients write: run by ``re``, a pattern
    such as ``(a+)+$`` takes exponential time on a crafted one. They run in RE2, linear in the
    text; one RE2 cannot run (look-around, back-references) is refused, except where the RE2
    wheel is missing and ``re`` runs everything.
    """
    try:
        re.compile(pattern)
    except re.error as error:
        return f"invalid regular expression {pattern!r}: {error}"
    if not re2_available():
        return None
    found = linear_search(Regex(pattern))
    if found.engine != "re2":
        return f"regular expression {pattern!r} cannot run in linear time: {found.reason}"
    return None


def network_list(value: Any) -> str | None:
    """A list of IP addresses or CIDR networks."""
    problem = string_list(value)
    if problem:
        return problem
    for item in value:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            return f"not an IP address or CIDR network: {item!r}"
    return None


_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")


def domain_list(value: Any) -> str | None:
    """A list of DNS domain names (``googlebot.com``; no wildcard, no trailing dot needed)."""
    problem = string_list(value)
    if problem:
        return problem
    for item in value:
        name = item.lower().removesuffix(".")
        labels = name.split(".")
        if len(name) > 253 or len(labels) < 2 or not all(_LABEL.fullmatch(x) for x in labels):
            return f"not a domain name such as googlebot.com: {item!r}"
    return None


def dns_resolver(value: Any) -> str | None:
    """``system`` (the servers of /etc/resolv.conf), ``ADDRESS``, ``ADDRESS:PORT`` or
    ``[IPV6]:PORT``; empty for none."""
    problem = string(value)
    if problem or value in ("", "system"):
        return problem
    try:
        split_resolver(value)
    except ValueError as error:
        return str(error)
    return None


def split_resolver(text: str) -> tuple[str, int]:
    """``("127.0.0.1", 53)`` from ``"127.0.0.1"``, ``"127.0.0.1:53"`` or ``"[::1]:53"``."""
    host, port = text, "53"
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"expected [IPV6]:PORT, got {text!r}")
        port = rest[1:] or "53"
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f'expected "system" or a server address such as 127.0.0.1:53, got {text!r}'
        ) from None
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"port must be a number from 1 to 65535, got {port!r}")
    return host, int(port)
