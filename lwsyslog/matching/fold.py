"""The case folding that texts and literals share before they are compared."""

from __future__ import annotations

__all__ = ["fold"]

# The only characters outside ASCII that Python's re.IGNORECASE matches to an ASCII letter
# while str.lower() does not turn them into it (found by scanning all of Unicode): folded
# here, a literal taken from an IGNORECASE pattern is still found where the pattern matches:
# U+0130 and U+0131 to "i", U+017F (long s) to "s".


def fold(text: str) -> str:
    """``text`` lower-cased, with the three letters above folded to their ASCII match."""
    # Three C-level replacements: str.translate looks every character up in a dict, which over
    # a long non-ASCII text (an attacker's) costs a Python-speed step per character.
    if not text.isascii():
        text = text.replace("\u0130", "i").replace("\u0131", "i").replace("\u017f", "s")
    return text.lower()
