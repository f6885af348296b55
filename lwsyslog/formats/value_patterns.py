"""How the value of each ``LogFormat`` directive is matched, by kind and position.

Inside a quoted part of the format a value runs to the next unescaped ``"``; outside quotes
numbers are bounded digit runs, names are non-blank tokens, and free text is matched lazily up
to the literal that follows it. Clients, lognames and server names have tighter shapes (see
:mod:`lwsyslog.formats.logformat`).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from lwsyslog.formats.directives import Directive
from lwsyslog.formats.time_directives import NUMBER, split_time_arg, time_value_pattern

__all__ = ["CLF_TIME", "KINDS", "KIND_TEXT", "ValueShape", "value_pattern", "value_shape"]

# Value patterns. Numbers are bounded so that int() never meets an absurd digit string.
_TOKEN = r"\S+"
_ESCAPED_TEXT = r'(?:[^"\\]|\\.)'  # Apache-escaped text: no raw quote, backslash pairs
_PLAIN_TEXT = r'[^"]'  # the same on a line without a backslash
CLF_TIME = r"[^\]]{1,64}+"  # possessive: "]" ends it
# A client address or host name (see the module docstring); the first character excludes
# "-" so that a shifted field such as the logname "-" is never read as a client.
_HOST_FIRST = r"[0-9A-Za-z:_]"
_HOST_CHARS = r"[0-9A-Za-z_.:%-]"
# A server name holds no ":" (that separates the port) unless it is an IPv6 address, with or
# without brackets.
_SERVER_NAME = r'[^\s":\[\]]+'
_SERVER_IPV6 = r"\[[0-9A-Fa-f:.%\w]{1,64}\]|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:.]*"
# An IP literal standing alone as a token: what a logname never is.
_IP_LITERAL = r"(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:.]*)(?!\S)"

_KIND_NUMBER = "number"
_KIND_DASH_NUMBER = "dash-number"
_KIND_TOKEN = "token"
KIND_TEXT = "text"
_KIND_HOST = "host"
_KIND_SERVER = "server"

KINDS: dict[str, str] = {
    "a": _KIND_HOST,
    "A": _KIND_TOKEN,
    "B": _KIND_NUMBER,
    "b": _KIND_DASH_NUMBER,
    "C": KIND_TEXT,
    "D": _KIND_NUMBER,
    "e": KIND_TEXT,
    "f": KIND_TEXT,
    "h": _KIND_HOST,
    "H": KIND_TEXT,
    "i": KIND_TEXT,
    "k": _KIND_NUMBER,
    "l": _KIND_TOKEN,
    "L": _KIND_TOKEN,
    "m": KIND_TEXT,
    "n": KIND_TEXT,
    "o": KIND_TEXT,
    "p": _KIND_NUMBER,
    "P": _KIND_NUMBER,
    "r": KIND_TEXT,
    "R": KIND_TEXT,
    "s": _KIND_DASH_NUMBER,
    "T": _KIND_NUMBER,
    "u": KIND_TEXT,
    "U": KIND_TEXT,
    "v": _KIND_SERVER,
    "V": _KIND_SERVER,
    "I": _KIND_DASH_NUMBER,
    "O": _KIND_DASH_NUMBER,
    "S": _KIND_DASH_NUMBER,
    "^ti": KIND_TEXT,
    "^to": KIND_TEXT,
}


def value_pattern(
    d: Directive, inside_quotes: bool, next_char: str, lenient: bool, plain: bool
) -> str:
    """The pattern of ``d``'s value given what follows it ("" = end, "%" = a directive).

    ``plain``: for lines without a backslash, where escaped text is a run of anything but
    ``"``; ``re`` scans a single excluded character several times faster than a class.
    """
    if d.letter == "u" and not inside_quotes and not lenient:
        # Strict: one token. A blank-free user keeps a syslog header ("Nov 23 14:00:00 web1
        # tag: 1.2.3.4 - - [...") from parsing as host "Nov", logname "23", user "14:...".
        return _TOKEN + ("+" if next_char in ("", " ", "\t") else "")
    if d.letter == "l":
        # "-" (no identd, nearly every line) first: it skips the look-ahead.
        return f"(?:-|(?!{_IP_LITERAL}){_token_pattern(inside_quotes, next_char)})"
    if d.letter == "t":
        _phase, rest = split_time_arg(d.arg or "")
        if not rest:
            return "CLF"
        return time_value_pattern(rest)
    if d.letter == "X":
        return r"[Xx+-]"
    if d.letter == "P" and d.arg == "hextid":
        return r"[0-9A-Fa-f]{1,20}"
    if d.letter == "q":
        text = _PLAIN_TEXT if plain else _ESCAPED_TEXT
        return r"(?:\?" + text + r"*" + ("" if next_char == "" else "?") + r")?"
    kind = KINDS[d.letter]
    # A possessive run is safe (and keeps failing lines linear) only when the character that
    # follows can never belong to the value.
    if kind in (_KIND_NUMBER, _KIND_DASH_NUMBER):
        possessive = next_char != "%" and not next_char.isdigit()
        number = NUMBER + ("+" if possessive else "")
        return number if kind == _KIND_NUMBER else f"(?:-|{number})"
    if kind == _KIND_HOST:
        # Possessive when the next character cannot continue the value (a blank, a quote).
        possessive = next_char == "" or re.fullmatch(_HOST_CHARS, next_char) is None
        return _HOST_FIRST + _HOST_CHARS + ("*+" if possessive else "*")
    if kind == _KIND_SERVER and not inside_quotes:
        possessive = next_char in ("", " ", "\t", ":")
        return f"(?:{_SERVER_NAME}{'+' if possessive else ''}|{_SERVER_IPV6})"
    if kind in (_KIND_TOKEN, _KIND_SERVER):
        return _token_pattern(inside_quotes, next_char)
    if inside_quotes and next_char == '"':
        # Unrolled (runs between escapes, an escape and a run): the same text, and a field of
        # 8,000 escapes costs 100 us instead of 175 (an alternation tried per escape).
        return _PLAIN_TEXT + "*+" if plain else r'[^"\\]*+(?:\\.[^"\\]*+)*+'
    if d.letter == "u" and not inside_quotes:
        # Lenient: blanks allowed, but bounded so a near miss cannot crawl a huge line. A
        # user starting "- " is a shifted line ("vhost client - - [...]"), not a user.
        lazy = "" if next_char == "" else "?"
        return rf"(?:-|(?!-[ \t]){_ESCAPED_TEXT}{{0,1024}}{lazy})"
    return (_PLAIN_TEXT if plain else _ESCAPED_TEXT) + ("*" if next_char == "" else "*?")


def _token_pattern(inside_quotes: bool, next_char: str) -> str:
    return (r'[^\s"\\]+' if inside_quotes else _TOKEN) + (
        "+" if _token_possessive(inside_quotes, next_char) else ""
    )


def _token_possessive(inside_quotes: bool, next_char: str) -> bool:
    return next_char in (('"', " ") if inside_quotes else ("", " ", "\t"))


class ValueShape(NamedTuple):
    """What the escape-aware pattern of a value can match (see
    :mod:`lwsyslog.formats.segments`)."""

    single_end: bool  # from a given start, the value can end in one place only
    blank_free: bool  # the value never takes a space or a tab
    run: bool = False  # a quoted value running possessively to the next unescaped quote


_UNKNOWN_SHAPE = ValueShape(single_end=False, blank_free=False)


def value_shape(d: Directive, inside_quotes: bool, next_char: str, lenient: bool) -> ValueShape:
    """The shape of ``value_pattern(d, inside_quotes, next_char, lenient, plain=False)``,
    branch for branch. Only what is certain is claimed: a value said to end in one place is a
    possessive run or a bracketed time (or, for a logname, a ``-`` that can only end where
    the possessive token after it would)."""
    if d.letter == "u" and not inside_quotes and not lenient:
        return ValueShape(_token_possessive(False, next_char), blank_free=True)
    if d.letter == "l":
        return ValueShape(_token_possessive(inside_quotes, next_char), blank_free=True)
    if d.letter == "t":
        _phase, rest = split_time_arg(d.arg or "")
        # The bracketed CLF time: a possessive run up to "]" (it holds a blank).
        return ValueShape(single_end=True, blank_free=False) if not rest else _UNKNOWN_SHAPE
    if d.letter == "X":
        return ValueShape(single_end=True, blank_free=True)
    if d.letter == "P" and d.arg == "hextid":
        return ValueShape(single_end=False, blank_free=True)
    if d.letter == "q":
        return _UNKNOWN_SHAPE
    kind = KINDS[d.letter]
    if kind in (_KIND_NUMBER, _KIND_DASH_NUMBER):
        return ValueShape(next_char != "%" and not next_char.isdigit(), blank_free=True)
    if kind == _KIND_HOST:
        possessive = next_char == "" or re.fullmatch(_HOST_CHARS, next_char) is None
        return ValueShape(possessive, blank_free=True)
    if kind == _KIND_SERVER and not inside_quotes:
        # An IPv6 address is matched greedily: it may end at more than one colon.
        return ValueShape(single_end=False, blank_free=True)
    if kind in (_KIND_TOKEN, _KIND_SERVER):
        return ValueShape(_token_possessive(inside_quotes, next_char), blank_free=True)
    if inside_quotes and next_char == '"':
        return ValueShape(single_end=True, blank_free=False, run=True)
    return _UNKNOWN_SHAPE
