"""Make attacker-controlled text safe to show: one line, no raw control characters.

Log content is hostile: an ANSI escape in a User-Agent must not recolour an operator's
terminal, and a newline in a URL must not forge a second alert line. Everything that is not
printable becomes a visible escape (``\\x1b``, ``\\u202e``) and a backslash is doubled so the
result reads back unambiguously.
"""

from __future__ import annotations

__all__ = ["char_escape", "sanitize", "truncate"]


def sanitize(text: str, max_chars: int | None = None) -> str:
    """``text`` with non-printable characters escaped, optionally cut to ``max_chars``."""
    if max_chars is not None and len(text) > max_chars:
        text = truncate(text, max_chars)
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(_escape(char) for char in text)


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
