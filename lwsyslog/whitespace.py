"""White space folded as applications and shells read it: each run of blanks one space, a run
holding a line break one ``"\\n"``, in a few C-level passes whatever the text holds."""

from __future__ import annotations

import re
from typing import Final

__all__ = ["ODD_SPACE_CHARS", "fold_space", "folded"]

#: Unicode white space other than the plain space (what str.isspace() accepts), as the body
#: of a character class.
ODD_SPACE_CHARS: Final = (
    r"\t\n\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)
_ODD_SPACE = re.compile(f"[{ODD_SPACE_CHARS}]")

# White space: other blanks become spaces and line breaks "\n", then runs of spaces one space
# and a run holding a line break one "\n". Translations and replacements only, no Python
# call per run: a field of 4,000 runs costs about what one run does.
_BLANKS = "\t\x1c\x1d\x1e\x1f\xa0\u1680\u2000-\u200a\u202f\u205f\u3000"
_BREAKS = "\r\x0b\x0c\x85\u2028\u2029"  # and "\n"
_ASCII_BLANKS: Final = "\t\x1c\x1d\x1e\x1f"
_ASCII_BREAKS: Final = "\r\x0b\x0c"
_ASCII_WHITE: Final = str.maketrans(
    {**dict.fromkeys(_ASCII_BLANKS, " "), **dict.fromkeys(_ASCII_BREAKS, "\n")}
)
_OTHER_BLANKS: Final = re.compile(f"[{_BLANKS}]+")
_OTHER_BREAKS: Final = re.compile(f"[{_BREAKS}]")
# The white space of _BLANKS and _BREAKS beyond ASCII. Text without any (most non-ASCII
# text) has its ASCII blanks and breaks replaced one character at a time: a search for these
# and eight ``str.replace`` cost 21 us on 6,000 characters, the two substitutions above 83 us.
_NON_ASCII_WHITE: Final = re.compile("[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


def fold_space(text: str) -> str:
    """Each run of white space as one space, or as one "\\n" when it holds a line break (a
    line break separates shell commands and HTTP headers: it stays visible)."""
    if text.isascii():
        text = text.translate(_ASCII_WHITE)
    elif _NON_ASCII_WHITE.search(text) is None:
        for blank in _ASCII_BLANKS:
            if blank in text:
                text = text.replace(blank, " ")
        for line_break in _ASCII_BREAKS:
            if line_break in text:
                text = text.replace(line_break, "\n")
    else:
        text = _OTHER_BREAKS.sub("\n", _OTHER_BLANKS.sub(" ", text))
    text = _squeeze(text, "  ", " ")
    if "\n" in text:
        text = _squeeze(text.replace(" \n", "\n").replace("\n ", "\n"), "\n\n", "\n")
    return text


def _squeeze(text: str, pair: str, single: str) -> str:
    # A pass of sixteen to one first leaves a long run (60,000 line breaks) a few hundred
    # long; then each pass halves every run.
    sixteen = single * 16
    while sixteen in text:
        text = text.replace(sixteen, single)
    while pair in text:
        text = text.replace(pair, single)
    return text


def folded(text: str) -> str:
    """``text`` with its white space folded (:func:`fold_space`) when it has any to fold."""
    if "  " in text:
        return fold_space(text)
    # ASCII white space other than " " is unprintable: one C loop, where the Unicode
    # class search cost 36 us on 10 KB that had none.
    if text.isascii():
        return text if text.isprintable() else fold_space(text)
    return fold_space(text) if _ODD_SPACE.search(text) else text
