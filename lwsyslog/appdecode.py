"""What an application decodes after the URL: string escapes of JSON and JavaScript
(``\\u0027``, ``\\x3c``) and fullwidth ASCII folded by Unicode NFKC (U+FF1C is ``<``).

A JSON decoder (``json_decode``, ``JSON.parse``, Jackson) turns ``\\u003cscript`` into
``<script``, and an application that NFKC-normalises its input (Python's ``unicodedata``, Java's
``Normalizer``, .NET) turns ``<script>`` written in fullwidth forms into ``<script>``. Neither
reading is the only one: a fullwidth question mark in a Japanese search is text to most
applications. :func:`app_reading` gives the
other reading, which :func:`lwsyslog.normalize.decode` appends to the field's text as a copy.

Both steps are a fixed number of C-level passes over the text, whatever it holds.
"""

from __future__ import annotations

import re
from typing import Final

from lwsyslog.percent import _utf8_or_latin1 as utf8_or_latin1

__all__ = ["FULLWIDTH", "app_reading", "folded_fullwidth", "unescaped"]

#: Fullwidth ASCII (U+FF01-U+FF5E), which NFKC folds to U+0021-U+007E.
FULLWIDTH: Final = re.compile("[\uff01-\uff5e]")


def _table(default: int, mapping: dict[bytes, int]) -> bytes:
    table = bytearray([default]) * 256
    for keys, value in mapping.items():
        for byte in keys:
            table[byte] = value
    return bytes(table)


# Escapes are found and decoded by whole-field integer operations on the text's UTF-8 bytes,
# one byte lane each (the first byte the highest) holding its class bits: a regex or a
# replacement costs a step per escape (100 ns each: 10,000 escapes were 10 ms). Shifting the
# classes left by 8k - b bits puts bit b of the lane k bytes on at bit 0 of each lane.
_BACKSLASH, _U, _X, _ZERO, _HEXDIGIT = 1, 2, 4, 8, 16
_CLASS_BITS: Final = _table(
    0,
    {
        b"\\": _BACKSLASH,
        b"u": _U,
        b"x": _X,
        b"0": _ZERO | _HEXDIGIT,
        b"123456789abcdefABCDEF": _HEXDIGIT,
    },
)
# \xHH: "\\" at bit 0, "x" (bit 2) a lane on, hex digits (bit 4) two and three lanes on.
_NARROW_SHIFTS: Final = (8 - 2, 16 - 4, 24 - 4)
# \u00HH: "u" (bit 1), "0" (bit 3) twice, then two hex digits (bit 4).
_WIDE_SHIFTS: Final = (8 - 1, 16 - 3, 24 - 3, 32 - 4, 40 - 4)
# A hex digit's value; the first digit of an escape read with "f" as "e", so that no decoded
# byte is 0xFF, which marks the bytes left out of the result (none of the text's UTF-8 is
# F5-FF): "\\xff" is read as 0xEF, and no attack needs a byte above 0xEF.
_HEX_VALUE: Final = bytes(
    int(chr(byte), 16) if chr(byte) in "0123456789abcdefABCDEF" else 0 for byte in range(256)
)
_HIGH_VALUE: Final = bytes(min(value, 0xE) for value in _HEX_VALUE)
_DROP: Final = b"\xff"
# Text with fewer backslashes than this is decoded escape by escape (no fixed cost of the
# whole-field passes).
_BULK_ESCAPES: Final = 16
_ESCAPE: Final = re.compile(r"\\(?:u00|x)([0-9a-fA-F]{2})")


def _escape_value(match: re.Match[str]) -> str:
    return chr(int(match.group(1), 16))


def _starts(classes: int, shifts: tuple[int, ...]) -> int:
    """Bit 0 of each lane where the escape those shifts describe starts (other bits junk)."""
    found = classes
    for shift in shifts:
        found &= classes << shift
    return found


def unescaped(text: str) -> str:
    """``text`` with its ``\\u00HH`` and ``\\xHH`` escapes decoded, any other backslash kept."""
    if "\\u00" not in text and "\\x" not in text:
        return text
    if text.count("\\") < _BULK_ESCAPES:
        return _ESCAPE.sub(_escape_value, text)
    data = text.encode("utf-8", "surrogatepass")
    size = len(data)
    classes = int.from_bytes(data.translate(_CLASS_BITS), "big")
    ones = int.from_bytes(b"\x01" * size, "big")
    narrow = _starts(classes, _NARROW_SHIFTS) & ones
    wide = _starts(classes, _WIDE_SHIFTS) & ones
    if not (wide or narrow):
        return text
    # Each escape's last hex digit becomes its value, its other bytes are dropped.
    last = ((narrow >> 24) | (wide >> 40)) * 0xFF
    dropped = narrow | (narrow >> 8) | (narrow >> 16)
    dropped = (dropped | wide | (wide >> 8) | (wide >> 16) | (wide >> 24) | (wide >> 32)) * 0xFF
    high = int.from_bytes(data.translate(_HIGH_VALUE), "big")
    values = ((high >> 8) << 4 | int.from_bytes(data.translate(_HEX_VALUE), "big")) & last
    kept = int.from_bytes(data, "big") & ~(dropped | last)
    raw = (kept | dropped | values).to_bytes(size, "big")
    # A byte above 0x7F so decoded is read as Latin-1 where it is no UTF-8.
    return utf8_or_latin1(raw.translate(None, _DROP))


# Fullwidth folding on the text's UTF-16: each character is a high byte and a low byte, and a
# fullwidth form is FF 01-5E, whose ASCII is 00 21-7E. Whole-field byte and integer operations.
_HIGH_FF: Final = _table(0, {b"\xff": 0xFF})
_LOW_FULLWIDTH: Final = _table(0, {bytes(range(0x01, 0x5F)): 0xFF})
_LOW_ASCII: Final = bytes((byte + 0x20) & 0xFF for byte in range(256))


def folded_fullwidth(text: str) -> str:
    """``text`` with each fullwidth ASCII form (U+FF01-U+FF5E) as its ASCII, as NFKC folds it
    (other characters NFKC changes are left: "‥" is no ".." to this reading). A fixed number
    of passes: a ``str.translate`` by a dict cost a lookup per character of the text."""
    if text.isascii() or FULLWIDTH.search(text) is None:
        return text
    data = text.encode("utf-16-be", "surrogatepass")
    high, low = data[0::2], data[1::2]
    size = len(high)
    select = int.from_bytes(high.translate(_HIGH_FF), "big") & int.from_bytes(
        low.translate(_LOW_FULLWIDTH), "big"
    )
    high_value = int.from_bytes(high, "big") & ~select
    low_value = (int.from_bytes(low, "big") & ~select) | (
        int.from_bytes(low.translate(_LOW_ASCII), "big") & select
    )
    folded = bytearray(2 * size)
    folded[0::2] = high_value.to_bytes(size, "big")
    folded[1::2] = low_value.to_bytes(size, "big")
    return folded.decode("utf-16-be", "surrogatepass")


#: The last texts read and their readings: a field is decoded once for the rules and once
#: more for the command rules (a shell's reading of its backslashes), both from the same text.
_RECENT: dict[str, str | None] = {}


def app_reading(text: str) -> str | None:
    """``text`` as a JSON decoder, then NFKC, would leave it (:func:`unescaped`, then
    :func:`folded_fullwidth`), or ``None`` when that is ``text`` itself."""
    if text in _RECENT:
        return _RECENT[text]
    reading: str | None = folded_fullwidth(unescaped(text) if "\\" in text else text)
    if reading == text:
        reading = None
    if len(_RECENT) >= 2:
        del _RECENT[next(iter(_RECENT))]
    _RECENT[text] = reading
    return reading
