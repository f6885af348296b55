"""Make attacker-controlled text safe to show: one line, no raw control characters.

Log content is hostile: an ANSI escape in a User-Agent must not recolour an operator's
terminal, and a newline in a URL must not forge a second alert line. Everything that is not
printable becomes a visible escape (``\\x1b``, ``\\u202e``) and a backslash is doubled so the
result reads back unambiguously.

Some characters Python calls printable show nothing, or disguise their neighbours: blank
letters (Hangul fillers, the braille blank), variation selectors, the combining grapheme
joiner, overlays that strike through the character before, and stacks of combining marks
(a third mark on one character and beyond). They are escaped too, so a fragment or a host
name cannot hide text or pass for another.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["char_escape", "sanitize", "truncate"]

_BLANK_OR_DISGUISING = (
    "\u115f\u1160\u3164\uffa0\u2800"  # Hangul fillers, the braille blank
    "\u034f\u17b4\u17b5\u180b-\u180d\u180f"  # grapheme joiner, Khmer, Mongolian selectors
    "\ufe00-\ufe0f\U000e0100-\U000e01ef"  # variation selectors
    "\u0334-\u0338\u20d2-\u20d6\u20d8-\u20da\u20e5\u20e6\u20ea\u20eb"  # overlays
)
_COMBINING = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# Two searches, each one C scan of a character class (one alternation with a look-behind cost
# ten times as much on plain non-ASCII text), and the escapes made in one pass over the text.
_BLANK: Final = re.compile(f"[{_BLANK_OR_DISGUISING}]")
_STACK: Final = re.compile(f"[{_COMBINING}]{{3,}}")
_IS_COMBINING: Final = re.compile(f"[{_COMBINING}]")


def sanitize(text: str, max_chars: int | None = None) -> str:
    """``text`` with non-printable (and invisible) characters escaped, optionally cut to
    ``max_chars``."""
    if max_chars is not None and len(text) > max_chars:
        text = truncate(text, max_chars)
    if (
        text.isprintable()
        and "\\" not in text
        and (text.isascii() or (_BLANK.search(text) is None and _STACK.search(text) is None))
    ):
        return text
    if text.isascii():
        return "".join(_escape(char) for char in text)
    return _escape_all(text)


def _escape_all(text: str) -> str:
    """Every character :func:`sanitize` escapes, escaped, in one pass."""
    parts: list[str] = []
    marks = 0  # combining marks in a row so far
    for char in text:
        if _IS_COMBINING.match(char):
            marks += 1
            hidden = marks > 2 or _BLANK.match(char) is not None
            parts.append(char_escape(char) if hidden else char)
            continue
        marks = 0
        parts.append(char_escape(char) if _BLANK.match(char) else _escape(char))
    return "".join(parts)


def truncate(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars`` characters, marking the cut with an ellipsis."""
    if len(text) <= max_chars:
        return text
    return text[: max(max_chars - 1, 0)] + "…"


def _escape(char: str) -> str:
    if char == "\\":
        return "\\\\"
    if char.isprintable():
        return char
    return char_escape(char)


def char_escape(char: str) -> str:
    """The visible escape of one character: ``\\x1b``, ``\\u202e``, ``\\U0001f600``."""
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
