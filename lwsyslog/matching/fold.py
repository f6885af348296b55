"""The case folding that texts and literals share before they are compared."""

from __future__ import annotations

__all__ = ["fold"]

# The only characters outside ASCII that Python's re.IGNORECASE matches to an ASCII letter
# while str.lower() does not turn them into it (found by scanning all of Unicode): folded
# here, a literal taken from an IGNORECASE pattern is still found where the pattern matches.
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


def fold(text: str) -> str:
    """``text`` lower-cased, with the three letters above folded to their ASCII match."""
    # str.translate looks every character up in a dict: over a long non-ASCII text (an
    # attacker's) three C-level searches are far cheaper, and usually find none of the three.
    if not text.isascii() and ("\u0130" in text or "\u0131" in text or "\u017f" in text):
        text = text.translate(_FOLD)
    return text.lower()
