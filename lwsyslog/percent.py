"""One round of percent-decoding, as a lenient web application does it.

A run of ``%XX``/``%uXXXX`` escapes is decoded as one byte string (multi-byte UTF-8 stays
whole): ``%XX`` bytes as UTF-8, a byte that is not UTF-8 as Latin-1, overlong UTF-8 (``%c0%af``)
as the ASCII it stands for, ``%uXXXX`` as one code point (IIS best-fit: fullwidth forms and
slash look-alikes as their ASCII). A ``%`` that starts no escape is kept.

Two implementations give the same text (``tests/unit/test_percent.py`` pins it): run by run
(:func:`_by_runs`, regex split, for text with few escapes) and in bulk (:func:`_in_bulk`, a
fixed number of bytes-level C calls whatever the number of escapes: thousands of escapes in a
hostile field cost a few passes over its bytes, not a regex match and a list item each).

The text past a cap of distinct pieces (:data:`MAX_DISTINCT_PIECES`) is decoded in bulk only
(:func:`past_cap`): a padding of distinct escapes does not hide what follows it.
"""

from __future__ import annotations

import re

# The C decoder of Python's bytes escapes: it reads "\\xhh" (and "\\\\"), nothing else is
# written to it. Typed in _codecs only.
from _codecs import escape_decode
from binascii import a2b_qp
from collections.abc import Callable, Hashable
from functools import lru_cache
from itertools import islice
from typing import TypeVar

__all__ = [
    "CAPS",
    "MAX_DISTINCT_PIECES",
    "MAX_OVERLONG_PIECES",
    "CapHits",
    "cap_hits",
    "code_point",
    "distinct_until_cap",
    "escaped_bytes_text",
    "group_split",
    "overlong_meaning",
    "past_cap",
    "percent_decoded",
    "resolved_split",
    "split_at",
]

#: Most distinct pieces (``%uXXXX`` escapes, runs of escapes, overlong sequences, HTML
#: references) one decoding step resolves one by one in Python in one text. Each costs a
#: Python call (0.5-2 us): a field of thousands of distinct ones made one line cost 20 normal
#: lines. Past the cap the rest of the text, from the first piece that is not among the
#: first ones, is not resolved piece by piece: percent escapes there are decoded in bulk
#: (:func:`past_cap`, a few C-level passes), other pieces left as they are. No browser or
#: client sends more
#: than a few dozen distinct ones in one field (the corpora in tests/fixtures: at most a
#: dozen); more is an evasion attempt, and says so (:func:`cap_hits`, the rule
#: ``protocol-encoding-flood``).
MAX_DISTINCT_PIECES = 64

#: The cap for overlong UTF-8 sequences (``%c0%af``, ``%e0%80%ae``, ``%f0%80%80%af``), which
#: no client sends at all and cost twice as much each: a tighter one.
MAX_OVERLONG_PIECES = 16

_Key = TypeVar("_Key", bound=Hashable)
_Text = TypeVar("_Text", str, bytes)


class CapHits:
    """How many times a decoding step has met its cap in this process (:data:`CAPS`, read
    as an attribute by the decoder of every field: detection runs in one thread)."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


#: The one :class:`CapHits`: a caller compares ``CAPS.count`` before and after decoding.
CAPS = CapHits()


def cap_hits() -> int:
    """How many times a decoding step has met :data:`MAX_DISTINCT_PIECES` (or
    :data:`MAX_OVERLONG_PIECES`) in this process."""
    return CAPS.count


def distinct_until_cap(
    keys: list[_Key], cap: int = MAX_DISTINCT_PIECES
) -> tuple[dict[_Key, None], int]:
    """The distinct keys (in order of first appearance) a step resolves, and how many of
    ``keys`` it resolves: all, or those before the first appearance of a distinct key past
    ``cap`` (then the cap is counted as met). C-level calls only."""
    distinct = dict.fromkeys(keys)
    if len(distinct) <= cap:
        return distinct, len(keys)
    CAPS.count += 1
    first_left = next(islice(distinct, cap, None))
    return dict.fromkeys(islice(distinct, cap)), keys.index(first_left)


#: A text is first split at most this many times the cap: when the pieces of those splits
#: alone pass the cap, the rest of the text is never split (a field of thousands of distinct
#: pieces costs a few hundred pieces' work, not a C-level step per piece of the whole field).
SPLIT_CHUNK = 4


def _over_cap(keys: list[_Key], cap: int = MAX_DISTINCT_PIECES) -> bool:
    return len(keys) > cap and len(dict.fromkeys(keys)) > cap


def split_at(text: str, separator: str | re.Pattern[str]) -> list[str]:
    """``text`` split at ``separator`` (a string, or a pattern without groups): wholly, or
    its first :data:`SPLIT_CHUNK` times :data:`MAX_DISTINCT_PIECES` splits and the unsplit
    rest when those pieces hold more distinct ones than the cap (the rest is then past the
    cap: it stays as it is)."""
    chunk = SPLIT_CHUNK * MAX_DISTINCT_PIECES
    if isinstance(separator, str):
        pieces = text.split(separator, chunk)
    else:
        pieces = separator.split(text, chunk)
    if len(pieces) <= chunk or _over_cap(pieces[1:-1]):
        return pieces
    return text.split(separator) if isinstance(separator, str) else separator.split(text)


def group_split(
    pattern: re.Pattern[_Text],
    text: _Text,
    *,
    between: bool = False,
    cap: int = MAX_DISTINCT_PIECES,
) -> list[_Text]:
    """``pattern.split(text)`` (a pattern with one group: text, match, text...), or its first
    :data:`SPLIT_CHUNK` times ``cap`` splits and the unsplit rest when their matches (and with
    ``between``, the texts between them) hold more distinct ones than ``cap``."""
    chunk = SPLIT_CHUNK * cap
    pieces = pattern.split(text, chunk)
    if len(pieces) <= 2 * chunk or _over_cap(pieces[1::2], cap):
        return pieces
    if between and _over_cap(pieces[0:-1:2], cap):
        return pieces
    return pattern.split(text)


def resolved_split(
    pieces: list[_Text],
    resolve: Callable[[_Text], _Text],
    empty: _Text,
    cap: int = MAX_DISTINCT_PIECES,
    rest: Callable[[_Text], _Text] | None = None,
) -> _Text:
    """The pieces of a regex split on one group (text, key, text, key..., text) joined, each
    distinct key replaced by ``resolve(key)`` (once), up to ``cap`` distinct keys; the text
    from the first key past the cap as it is, or ``rest`` of it."""
    keys = pieces[1::2]
    distinct, cut = distinct_until_cap(keys, cap)
    meaning = {key: resolve(key) for key in distinct}
    if cut == len(keys):
        pieces[1::2] = map(meaning.__getitem__, keys)
        return empty.join(pieces)
    head = pieces[: 2 * cut + 1]
    head[1::2] = map(meaning.__getitem__, keys[:cut])
    tail = empty.join(pieces[2 * cut + 1 :])
    return empty.join(head) + (tail if rest is None else rest(tail))


# A run of %XX / %uXXXX escapes: decoded as one byte string so multi-byte UTF-8 stays whole.
_ESCAPE = r"%(?:[uU][0-9a-fA-F]{4}|[0-9a-fA-F]{2})"
# Starts with a literal "%" so the regex engine can skip straight to candidates. Split on it
# (the run kept as a group), the runs are every other piece.
_PERCENT_RUN = re.compile(rf"({_ESCAPE}(?:{_ESCAPE})*)")
# Overlong UTF-8 (C0/C1 xx, E0 80-9F xx, F0 80-8F xx xx) and IIS's variants with any trailing
# byte: lenient decoders turn them into ASCII ("%c0%af" is "/").
OVERLONG = re.compile(
    rb"([\xc0\xc1][\x00-\xff]|\xe0[\x80-\x9f][\x00-\xff]|\xf0[\x80-\x8f][\x00-\xff]{2})"
)
_FULLWIDTH_FIRST, _FULLWIDTH_LAST = 0xFF01, 0xFF5E
_SLASH_LOOKALIKES = frozenset({0x2215, 0x2044, 0x29F8})


def code_point(value: int) -> str:
    """The character a lenient (IIS best-fit) decoder makes of a ``%u`` code point."""
    if _FULLWIDTH_FIRST <= value <= _FULLWIDTH_LAST:
        return chr(value - 0xFEE0)
    if value in _SLASH_LOOKALIKES:
        return "/"
    if 0xD800 <= value <= 0xDFFF:
        return "\ufffd"
    return chr(value)


def overlong_meaning(seq: bytes) -> bytes:
    """What one overlong sequence (a match of :data:`OVERLONG`) stands for, as UTF-8."""
    if len(seq) == 2:
        value = ((seq[0] & 0x1F) << 6) | (seq[1] & 0x3F)
    elif len(seq) == 3:
        value = ((seq[1] & 0x3F) << 6) | (seq[2] & 0x3F)
    else:
        value = ((seq[1] & 0x3F) << 12) | ((seq[2] & 0x3F) << 6) | (seq[3] & 0x3F)
    return code_point(value).encode("utf-8")


def _utf8_or_latin1(data: bytes) -> str:
    """``data`` as UTF-8, each byte that is not UTF-8 read as Latin-1, as MySQL and PHP do:
    %A0 is a no-break space (a whitespace bypass), %AD a soft hyphen (PHP-CGI's CVE-2024-4577
    "-"). "surrogateescape" marks each such byte as U+DC80-U+DCFF, whose UTF-8 (with
    "surrogatepass") is ED B2 xx / ED B3 xx, and valid text never holds those bytes: two
    replacements make them C2 xx / C3 xx, the UTF-8 of Latin-1 U+0080-U+00FF (a str.translate
    of the marks cost a dict lookup per character of the text)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        marked = data.decode("utf-8", "surrogateescape").encode("utf-8", "surrogatepass")
        return marked.replace(b"\xed\xb2", b"\xc2").replace(b"\xed\xb3", b"\xc3").decode("utf-8")


def escaped_bytes_text(data: bytes) -> str:
    """The text of the bytes of one run of ``%XX`` escapes: overlong sequences as what they
    stand for, then UTF-8 with Latin-1 for the bytes that are not UTF-8."""
    if data.isascii():
        return data.decode("ascii")
    pieces = group_split(OVERLONG, data, cap=MAX_OVERLONG_PIECES)
    if len(pieces) > 1:
        data = resolved_split(pieces, overlong_meaning, b"", MAX_OVERLONG_PIECES)
    return _utf8_or_latin1(data)


# A %uXXXX escape, as a group to split a run on: the pieces between are runs of %XX bytes.
_WIDE_ESCAPE = re.compile(r"(%[uU][0-9a-fA-F]{4})")


def _run_text(run: str) -> str:
    """One run of ``%XX``/``%uXXXX`` escapes, decoded: each distinct ``%uXXXX`` and each
    distinct run of ``%XX`` between them decoded once, put back by a C-level map and join (a
    field of 1,300 ``%u0041`` was a Python loop step each)."""
    if "u" not in run and "U" not in run:
        return escaped_bytes_text(bytes.fromhex(run.replace("%", "")))
    pieces = group_split(_WIDE_ESCAPE, run, between=True)
    wide = pieces[1::2]
    narrow = pieces[0::2]
    wide_cut = distinct_until_cap(wide)[1]
    narrow_cut = distinct_until_cap(narrow)[1]
    # Pieces up to the first past either cap are decoded one by one, the rest of the run in
    # bulk (and the rest of a run split in part is past one).
    cut = min(2 * wide_cut + 1, 2 * narrow_cut)
    head = pieces[:cut]
    wide_meaning = {code: _wide_char(code) for code in dict.fromkeys(head[1::2])}
    narrow_meaning = {part: _narrow_text(part) for part in dict.fromkeys(head[0::2])}
    head[1::2] = map(wide_meaning.__getitem__, head[1::2])
    head[0::2] = map(narrow_meaning.__getitem__, head[0::2])
    if cut == len(pieces):
        return "".join(head)
    return "".join(head) + past_cap("".join(pieces[cut:]))


def _wide_char(code: str) -> str:
    return code_point(int(code[2:], 16))


def _narrow_text(part: str) -> str:
    return escaped_bytes_text(bytes.fromhex(part.replace("%", ""))) if part else ""


# Short runs seen before (in other fields or lines) are not decoded again. Short runs only:
# the cache stays under a megabyte.
_CACHED_RUN_CHARS = 64
_short_run_text = lru_cache(maxsize=1024)(_run_text)


def _run_meaning(run: str) -> str:
    return _short_run_text(run) if len(run) <= _CACHED_RUN_CHARS else _run_text(run)


def _by_runs(text: str) -> str:
    """One round, run by run: each distinct run decoded once and the runs put back by one
    C-level map and join. A regex match and two list items per run: for text with few."""
    pieces = group_split(_PERCENT_RUN, text)
    if len(pieces) == 1:
        return text
    return resolved_split(pieces, _run_meaning, "", rest=past_cap)


_HEX_DIGITS = b"0123456789abcdefABCDEF"


def _table(default: int, mapping: dict[bytes, int]) -> bytes:
    """A ``bytes.translate`` table: each byte of a key to its value, any other to ``default``."""
    table = bytearray([default]) * 256
    for keys, value in mapping.items():
        for byte in keys:
            table[byte] = value
    return bytes(table)


# In bulk, every byte of the text's UTF-8 gets a class: "%", "h" (hex digit), "u" (u or U),
# "x" (anything else). An escape's "%" is then found by plain bytes searches ("%hh", "%uhhhh").
_CLASSES = _table(ord("x"), {b"%": ord("%"), _HEX_DIGITS: ord("h"), b"uU": ord("u")})
# Marks interleaved with the bytes (mark, byte, mark, byte...). UTF-8 never holds F5-FF, and
# decoded escapes sit at odd offsets only: a search for a pattern that starts with a mark
# can match only at a mark.
_LITERAL, _ESCAPED, _C0_TAIL, _C1_TAIL = 0xF5, 0xF6, 0xF7, 0xF8
_MARKS = _table(_LITERAL, {bytes([_ESCAPED]): _ESCAPED})
_PAIR_TAIL = _table(0, {bytes([_C0_TAIL, _C1_TAIL]): 0xFF})
_C1_BIT = _table(0, {bytes([_C1_TAIL]): 0x40})
_LOW6 = bytes(byte & 0x3F for byte in range(256))
_PERCENT_TO_EQUALS = bytes.maketrans(b"%", b"=")
# Every escape "=ff" (0xFF once decoded), every other byte "5" or "f" (not 0xFF).
_ORIGIN_QP = _table(ord("5"), {b"%": ord("="), _HEX_DIGITS: ord("f")})
_FF_ESCAPED = _table(_LITERAL, {b"\xff": _ESCAPED})
# Overlong forms the two replacements of _overlongs_undone do not read right: three- and
# four-byte forms (an E0 or F0 escape before an escape in their second-byte range), and a C1
# escape before a C0 escape (which of the two starts a pair then depends on what comes
# before: a scan, not a search).
_NOT_PAIRS = re.compile(rb"\xf6\xe0\xf6[\x80-\x9f]|\xf6\xf0\xf6[\x80-\x8f]|\xf6\xc1\xf6\xc0")
# OVERLONG on the interleaved marks and bytes, every byte from an escape: the same scan as
# OVERLONG on the bytes of each run (bytes next to each other from escapes are of one run).
_OVERLONG_ESCAPES = re.compile(
    rb"(\xf6[\xc0\xc1]\xf6[\x00-\xff]|\xf6\xe0\xf6[\x80-\x9f]\xf6[\x00-\xff]"
    rb"|\xf6\xf0\xf6[\x80-\x8f]\xf6[\x00-\xff]\xf6[\x00-\xff])"
)

#: Text with fewer escapes than this is decoded run by run (no fixed cost of bulk passes).
BULK_ESCAPES = 24


def _interleaved(marks: bytes, data: bytes) -> bytearray:
    pairs = bytearray(2 * len(data))
    pairs[0::2] = marks
    pairs[1::2] = data
    return pairs


# Each byte with a mark before it, for what an overlong sequence stands for.
_MARKED_BYTES = [bytes((_LITERAL, byte)) for byte in range(256)]


def _marked_meaning(marked: bytes) -> bytes:
    """What an overlong sequence (interleaved with its marks) stands for, so interleaved.
    Two- and three-byte forms stand for code points under U+0800, which no best-fit maps:
    their values are computed here (a call less per sequence of a field of thousands)."""
    if len(marked) == 4:
        return _MARKED_BYTES[((marked[1] & 0x1F) << 6) | (marked[3] & 0x3F)]
    if len(marked) == 6:
        value = ((marked[3] & 0x3F) << 6) | (marked[5] & 0x3F)
        if value < 0x80:
            return _MARKED_BYTES[value]
        return _MARKED_BYTES[0xC0 | value >> 6] + _MARKED_BYTES[0x80 | value & 0x3F]
    return b"".join(map(_MARKED_BYTES.__getitem__, overlong_meaning(marked[1::2])))


def _overlongs_undone(data: bytes, origin: bytes) -> bytes:
    """``data`` with its overlong sequences (all bytes from escapes of one run: ``origin``
    marks each byte of ``data``) replaced by what they stand for, as
    :func:`escaped_bytes_text` does run by run.

    Two-byte forms, the ones seen in attacks, are marked (not decoded) by two replacements
    on the interleaved marks and bytes: a C0 escape before another escape becomes the mark
    "tail of a C0 pair" on that escape, left to right as the scan pairs them (a run of C0
    escapes pairs up two by two), then the same for C1. The tails' values,
    ``(lead & 1) << 6 | tail & 0x3F``, are then put in place by whole-field integer
    operations: a few passes whatever the number of sequences. Other forms are split out by
    a regex, each distinct sequence decoded once."""
    pairs = _interleaved(origin, data)
    # The search (a step per escape) only when one of its byte pairs is there at all.
    if (b"\xe0" in data or b"\xf0" in data or b"\xc1\xc0" in data) and _NOT_PAIRS.search(
        pairs
    ) is not None:
        pieces = group_split(_OVERLONG_ESCAPES, bytes(pairs), cap=MAX_OVERLONG_PIECES)
        return resolved_split(pieces, _marked_meaning, b"", MAX_OVERLONG_PIECES)[1::2]
    if b"\xc0" in data:
        pairs = pairs.replace(b"\xf6\xc0\xf6", b"\xf7")
    if b"\xc1" in data:
        pairs = pairs.replace(b"\xf6\xc1\xf6", b"\xf8")
    marks, data = bytes(pairs[0::2]), bytes(pairs[1::2])
    select = int.from_bytes(marks.translate(_PAIR_TAIL), "big")
    if not select:
        return data
    value = int.from_bytes(data, "big")
    meaning_bits = int.from_bytes(data.translate(_LOW6), "big") | int.from_bytes(
        marks.translate(_C1_BIT), "big"
    )
    return ((value & ~select) | (meaning_bits & select)).to_bytes(len(data), "big")


def _marked_bytes(data: bytes, classes: bytes) -> tuple[bytes, bytes]:
    """The bytes of ``data`` (no ``%uXXXX`` escape in it; ``classes``: its bytes' classes)
    with its ``%XX`` escapes decoded, and which of them came from an escape
    (:data:`_ESCAPED`, else :data:`_LITERAL`): by Python's C escape decoder, for text with a
    "%" that starts no escape."""
    # Each escape's "%" becomes "\\x" and each "\\" in the text "\\\\", for the C decoder;
    # the other "%" stay. Done on the interleaved marks and bytes: only an escape's "%" changes.
    pairs = _interleaved(classes.replace(b"%hh", b"\xf6hh").translate(_MARKS), data)
    if b"\\" in data:
        pairs = pairs.replace(b"\xf5\\", b"\xf5\\\xf5\\")
    raw: bytes = escape_decode(bytes(pairs.replace(b"\xf6%", b"\xf5\\\xf5x")[1::2]))[0]
    return raw, classes.replace(b"%hh", b"\xf6").translate(_MARKS)


def _quoted_printable_bytes(data: bytes) -> bytes | None:
    """The bytes of ``data`` with its ``%XX`` escapes decoded, or None when some "%" starts no
    ``%XX`` escape. Quoted-printable is the same code with "=": binascii's C decoder reads
    it, once each "=" of the text is written "%3D" and each "%" "=". It reads "=" and a line
    break as nothing and "=" before anything but two hex digits as "=": the decoded length
    tells whether every "=" started an escape (two bytes shorter each), once "=" before a
    line break is ruled out."""
    if (b"\n" in data and b"%\n" in data) or (b"\r" in data and b"%\r" in data):
        return None
    if b"=" in data:
        data = data.replace(b"=", b"%3D")
    escaped = data.translate(_PERCENT_TO_EQUALS)
    raw = a2b_qp(escaped)
    return raw if len(raw) == len(escaped) - 2 * data.count(b"%") else None


# Where a "%U" may start a wide escape: a split there keeps the "%U" on the piece after it.
_WIDE_START = re.compile(r"(?=%[uU])")
_WIDE_DIGITS = re.compile(r"[0-9a-fA-F]{4}")
_ESCAPE_HEAD = re.compile(r"%(?:[uU][0-9a-fA-F]{0,3}|[0-9a-fA-F])?\Z")


def _ends_in_escape_head(text: str) -> bool:
    """Whether ``text`` ends in the head of an escape ("%", "%4", "%u00"...): before a
    decoded %uXXXX, it would read as the start of an escape in this round ("%4" before
    "%u0031" is the text "%41", not "A")."""
    return _ESCAPE_HEAD.search(text, max(0, len(text) - 5)) is not None


def _wide_done(text: str) -> str | None:
    """``text`` with its ``%uXXXX`` escapes decoded, or None when the %XX pass of the round
    would then read it differently (an escape decoded to "%", or text that ends in the head
    of an escape before one). A decoded escape is text to that pass, so a run of %XX ends
    there as it does when the run is decoded whole. The text is cut before each "%u" by
    ``str.split`` (one C call; a regex split when there is a "%U") and each distinct piece
    is decoded once (a regex split cost a match per escape: 120 us for 1,300)."""
    if "%U" in text:
        pieces, marker, start = split_at(text, _WIDE_START), "", 2
    else:
        pieces, marker, start = split_at(text, "%u"), "%u", 0
    head, rest = pieces[0], pieces[1:]
    if _ends_in_escape_head(head):
        return None
    distinct, cut = distinct_until_cap(rest)
    meaning: dict[str, str] = {}
    for piece in distinct:
        digits = piece[start : start + 4]
        if _WIDE_DIGITS.fullmatch(digits) is None:
            whole = marker + piece
            if _ends_in_escape_head(whole):
                return None
            meaning[piece] = whole
            continue
        # Below U+2044 no best-fit applies (a call less per escape of a field of thousands).
        value = int(digits, 16)
        char = chr(value) if value < 0x2044 else code_point(value)
        if char == "%":
            return None
        if len(piece) == start + 4:  # the escape alone (a run of them): nothing after it
            meaning[piece] = char
            continue
        # The piece's end: a "%" among its last characters first (a search costs more).
        if "%" in piece[-5:] and _ends_in_escape_head(piece):
            return None
        meaning[piece] = char + piece[start + 4 :]
    if cut == len(rest):
        return head + "".join(map(meaning.__getitem__, rest))
    # Past the cap: the text from the first escape not resolved on is decoded in bulk.
    resolved = head + "".join(map(meaning.__getitem__, rest[:cut]))
    return resolved + _wide_in_bulk(marker + marker.join(rest[cut:]))


def _in_bulk(text: str) -> str | None:
    """One round in bulk, or None when :func:`_by_runs` must do it (a lone surrogate in the
    text, a ``%uXXXX`` escape :func:`_wide_done` leaves)."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    classes = data.translate(_CLASSES)
    if (b"%u" in data or b"%U" in data) and b"%uhhhh" in classes:
        wide_done = _wide_done(text)
        if wide_done is None:
            return None
        text = wide_done
        data = text.encode("utf-8")
        classes = data.translate(_CLASSES)
    return _narrow_in_bulk(text, data, classes)


def _narrow_in_bulk(text: str, data: bytes, classes: bytes) -> str:
    """``text`` (``data``: its UTF-8, ``classes``: their classes) with its ``%XX`` escapes
    decoded in bulk."""
    if b"%hh" not in classes:
        # No %XX escape: a field of "%" that start none costs a search, not a decoding.
        return text
    origin: bytes | None = None
    raw = _quoted_printable_bytes(data)
    if raw is None:
        raw, origin = _marked_bytes(data, classes)
    if raw.isascii():
        return raw.decode("ascii")
    if b"\xc0" in raw or b"\xc1" in raw or b"\xe0" in raw or b"\xf0" in raw:
        if origin is None:
            # Which bytes came from escapes: the same decoding of the text with every escape
            # "%ff" and every other byte "5" or "f" (one byte each way).
            origin = a2b_qp(data.translate(_ORIGIN_QP)).translate(_FF_ESCAPED)
        raw = _overlongs_undone(raw, origin)
    return _utf8_or_latin1(raw)


# What code_point() makes of a code point, for text decoded in bulk: fullwidth forms as their
# ASCII, slash look-alikes as "/", surrogates as U+FFFD.
_BEST_FIT: dict[int, str] = {
    **{value: chr(value - 0xFEE0) for value in range(_FULLWIDTH_FIRST, _FULLWIDTH_LAST + 1)},
    **dict.fromkeys(_SLASH_LOOKALIKES, "/"),
    **dict.fromkeys(range(0xD800, 0xE000), "\ufffd"),
}
# Whether any character of a text is one _BEST_FIT changes: one C search, where a translate by
# a dict costs a lookup per character (85 us for 1,400 CJK characters a %u flood decodes to).
_BEST_FIT_CHARS = re.compile(
    "[" + "".join(f"\\u{value:04x}" for value in sorted(_SLASH_LOOKALIKES)) + "\uff01-\uff5e"
    "\ud800-\udfff]"
)


def _wide_in_bulk(text: str) -> str:
    """``text`` with its ``%uXXXX`` escapes decoded by a fixed number of C-level passes (no
    work per escape), for the text past a cap: written as ``\\uXXXX`` for Python's
    raw-unicode-escape codec, each backslash of the text first written ``\\u005c`` so that
    only those are escapes. The best-fit of :func:`code_point` applies to the whole text
    (a fullwidth letter or a lone surrogate there is read as an escaped one)."""
    data = text.replace("\\", "\\u005c").encode("raw_unicode_escape")
    classes = data.translate(_CLASSES)
    if b"%uhhhh" in classes:
        marks = classes.replace(b"%uhhhh", b"\xf6uhhhh").translate(_MARKS)
        pairs = _interleaved(marks, data).replace(b"\xf6%", b"\xf6\\")
        if b"U" in data:
            pairs = pairs.replace(b"\xf6\\\xf5U", b"\xf6\\\xf5u")
        data = bytes(pairs[1::2])
    decoded = data.decode("raw_unicode_escape")
    if decoded.isascii() or _BEST_FIT_CHARS.search(decoded) is None:
        return decoded
    return decoded.translate(_BEST_FIT)


def past_cap(text: str) -> str:
    """The text past a cap of distinct pieces with its percent escapes decoded in bulk only:
    a padding of distinct escapes in front of a payload does not leave the payload encoded,
    and the work stays a few passes over the text, whatever the number of escapes."""
    if "%" not in text:
        return text
    text = _wide_in_bulk(text)
    data = text.encode("utf-8")
    return _narrow_in_bulk(text, data, data.translate(_CLASSES))


#: The last texts of many escapes decoded, their decoding and the caps it met: one field is
#: read by several views (decoded, shell, form), each of which decodes it, and a flood of
#: escapes is the costly case (2 entries: at most 4 fields of 1 MiB held).
_RECENT_BULK: dict[str, tuple[str, int]] = {}


def percent_decoded(text: str) -> str:
    """One round of percent-decoding of ``text`` (see the module docstring)."""
    if text.count("%") >= BULK_ESCAPES:
        known = _RECENT_BULK.get(text)
        if known is not None:
            decoded, caps = known
            CAPS.count += caps  # a caller reads the caps a decoding met (a flood of escapes)
            # Callers tell "nothing decoded" by identity: an equal text is another object.
            return text if decoded == text else decoded
        caps_before = CAPS.count
        found = _in_bulk(text)
        decoded = _by_runs(text) if found is None else found
        if len(_RECENT_BULK) >= 2:
            del _RECENT_BULK[next(iter(_RECENT_BULK))]
        _RECENT_BULK[text] = (decoded, CAPS.count - caps_before)
        return decoded
    return _by_runs(text)
