"""Value checks for configuration tables: each returns an error text, or ``None`` when fine.

The loader (:mod:`lwsyslog.config`) and the rule sources that declare their own tables (Sigma's
``[sigma]``, a rule's ``[rules.ID]`` options) share them, so every error reads the same way.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

__all__ = [
    "Checker",
    "boolean",
    "choice",
    "integer",
    "network_list",
    "number",
    "regex_list",
    "string",
    "string_list",
    "type_name",
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


def integer(minimum: int = 0) -> Checker:
    """An integer of at least ``minimum``."""

    def check(value: Any) -> str | None:
        if not _is_int(value):
            return f"expected an integer, got {type_name(value)}"
        return None if value >= minimum else f"must be >= {minimum}, got {value}"

    return check


def number(minimum: float = 0) -> Checker:
    """An integer or float of at least ``minimum``."""

    def check(value: Any) -> str | None:
        if not (_is_int(value) or isinstance(value, float)):
            return f"expected a number, got {type_name(value)}"
        return None if value >= minimum else f"must be >= {minimum}, got {value}"

    return check


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
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return f"expected a list of strings, got {type_name(value)}"
    return None


def regex_list(value: Any) -> str | None:
    """A list of regular expressions that compile."""
    problem = string_list(value)
    if problem:
        return problem
    for item in value:
        try:
            re.compile(item)
        except re.error as error:
            return f"invalid regular expression {item!r}: {error}"
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
