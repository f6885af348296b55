"""The time directives of a ``LogFormat`` (``%t``, ``%{format}t``): patterns and converters.

A ``%{format}t`` value is matched by a bounded pattern built from its strftime conversions
(never ``.*``), and turned into seconds since the epoch by the converter for its format.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lwsyslog.errors import FormatError
from lwsyslog.formats.directives import Directive
from lwsyslog.timeparse import apache_time, plausible, strftime_parser

__all__ = ["NUMBER", "split_time_arg", "time_converter", "time_value_pattern"]

NUMBER = r"\d{1,20}"
"""A bounded run of digits: int() never meets an absurd digit string."""

# strftime conversion -> a bounded pattern for the text it produces.
_STRFTIME_PATTERNS: dict[str, str] = {
    "a": r"[A-Za-z]{2,12}",
    "A": r"[A-Za-z]{2,12}",
    "b": r"[A-Za-z]{3,12}",
    "h": r"[A-Za-z]{3,12}",
    "B": r"[A-Za-z]{3,12}",
    "c": r"[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}",
    "C": r"\d{2}",
    "d": r"\d{2}",
    "D": r"\d{2}/\d{2}/\d{2}",
    "e": r"[ \d]\d",
    "F": r"\d{4}-\d{2}-\d{2}",
    "g": r"\d{2}",
    "G": r"\d{4}",
    "H": r"\d{2}",
    "I": r"\d{2}",
    "j": r"\d{3}",
    "k": r"[ \d]\d",
    "l": r"[ \d]\d",
    "m": r"\d{2}",
    "M": r"\d{2}",
    "n": r"\s",
    "p": r"[AaPp][Mm]",
    "r": r"\d{2}:\d{2}:\d{2} [AaPp][Mm]",
    "R": r"\d{2}:\d{2}",
    "s": r"\d{1,12}",
    "S": r"\d{2}",
    "t": r"\s",
    "T": r"\d{2}:\d{2}:\d{2}",
    "u": r"\d",
    "U": r"\d{2}",
    "V": r"\d{2}",
    "w": r"\d",
    "W": r"\d{2}",
    "x": r"[^\s\"]{1,32}",
    "X": r"[^\s\"]{1,32}",
    "y": r"\d{2}",
    "Y": r"\d{4}",
    "z": r"[+-]\d{4}",
    "Z": r"[A-Za-z]{1,10}",
    "%": "%",
}
_TIME_TOKENS: dict[str, str] = {
    "sec": NUMBER,
    "msec": NUMBER,
    "usec": NUMBER,
    "msec_frac": r"\d{3}",
    "usec_frac": r"\d{6}",
}


def _strftime_pattern(fmt: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c == "%" and i + 1 < len(fmt):
            out.append(_STRFTIME_PATTERNS.get(fmt[i + 1], r"[^\s\"]{0,32}"))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def split_time_arg(arg: str) -> tuple[str, str]:
    """``(phase, rest)`` of a ``%{...}t`` argument: phase is "begin", "end" or ""."""
    for phase in ("begin", "end"):
        if arg.startswith(phase + ":"):
            return phase, arg[len(phase) + 1 :]
    return "", arg


def time_converter(d: Directive) -> Callable[[str], float | None]:
    """The function turning a matched time value of directive ``d`` into epoch seconds."""
    _phase, rest = split_time_arg(d.arg or "")
    if not rest:
        return apache_time
    if rest in ("sec", "msec", "usec"):
        scale = {"sec": 1.0, "msec": 1e3, "usec": 1e6}[rest]
        return lambda v: plausible(int(v) / scale)
    parser = strftime_parser(rest)
    if parser is None:  # _offer only proposes parseable formats
        raise FormatError(f"directive {d.text!r} at position {d.position}: unusable time format")
    return parser


def time_value_pattern(rest: str) -> str:
    """The pattern of a ``%{rest}t`` value (``rest`` without its begin:/end: phase)."""
    return _TIME_TOKENS.get(rest) or _strftime_pattern(rest)
