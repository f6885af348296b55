"""Escapes undone in bulk (Apache's, HTML references, bytes of percent runs): the same text as
one at a time."""

from __future__ import annotations

import html
import random
import re

from lwsyslog import percent
from lwsyslog.formats.fields import unescape
from lwsyslog.normalize import _ENTITY, _has_entity, _html_unescaped

# The definition: each escape replaced on its own, left to right (ap_escape_logitem reversed).
_ONE_ESCAPE = re.compile(rb"\\(x[0-9a-fA-F]{2}|.)", re.DOTALL)
_SIMPLE = {b'"': b'"', b"\\": b"\\", b"n": b"\n", b"t": b"\t", b"r": b"\r", b"b": b"\b",
           b"v": b"\v", b"f": b"\f"}  # fmt: skip


def _one_at_a_time(value: str) -> str:
    def meaning(match: re.Match[bytes]) -> bytes:
        seq = match.group(1)
        return bytes((int(seq[1:], 16),)) if len(seq) == 3 else _SIMPLE.get(seq, b"\\" + seq)

    if "\\" not in value:
        return value
    raw = value.encode("utf-8", "surrogatepass")
    return _ONE_ESCAPE.sub(meaning, raw).decode("utf-8", "backslashreplace")


def _texts(pieces: tuple[str, ...], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 14))) for _ in range(count)]


def test_apache_unescaping_in_bulk_gives_what_each_escape_gives_alone() -> None:
    pieces = ("\\", "x", "X", "4", "1", "g", "F", "c0", "af", "n", "t", '"', "é", "a", " ",
              "\ud800", "\\x", "\\xc3\\xa9", "\\xc0\\xaf", "\\'", "\\0")  # fmt: skip
    for text in _texts(pieces, 50_000, 1):
        assert unescape(text) == _one_at_a_time(text), text


def test_fields_of_hundreds_of_escapes_give_what_each_escape_gives_alone() -> None:
    # Past a few dozen backslashes the check for escapes Apache does not write is done in
    # bulk: one odd escape among hundreds is found.
    rng = random.Random(4)
    usual = ('\\"', "\\\\", "\\n", "\\xc3\\xa9", "\\t", "a", "x", "4")
    odd = ("\\", "\\'", "\\0", "\\x", "\\x4", "\\a", "\\\\\\", "\\é")
    for n in range(3000):
        # Half without a \xhh escape: those are checked by masks, the others by a search.
        kinds = usual if n % 2 else usual[:3] + usual[4:]
        pieces = [rng.choice(kinds) for _ in range(rng.randint(60, 200))]
        if rng.random() < 0.7:
            pieces.insert(rng.randrange(len(pieces) + 1), rng.choice(odd))
        text = "".join(pieces)
        assert unescape(text) == _one_at_a_time(text), text


def test_fields_of_only_apache_escapes_give_what_each_escape_gives_alone() -> None:
    # Only the escapes Apache writes (and plain text): what the C decoder's path sees.
    pieces = ('\\"', "\\\\", "\\n", "\\t", "\\r", "\\b", "\\v", "\\f", "\\x00", "\\xc3\\xa9",
              "\\xc0\\xaf", "\\xFF", "a", "0", "x", "é", "\ud800", " ")  # fmt: skip
    for text in _texts(pieces, 20_000, 3):
        assert unescape(text) == _one_at_a_time(text), text
    assert unescape('\\"' * 8000) == '"' * 8000
    # An escaped backslash between a short \x and a digit: the digit is not borrowed.
    assert unescape("\\x4\\\\1") == _one_at_a_time("\\x4\\\\1") == "\\x4\\1"
    assert unescape("\\\\x" * 4000) == "\\x" * 4000
    # Removing an escape joins text: a short \x before one must not borrow its digits.
    for text in ('\\x4\\"1', "\\x\\n41", "\\x\\x41" + "1", '\\x4\\"1' * 3000):
        assert unescape(text) == _one_at_a_time(text), text


def test_html_references_in_bulk_give_what_html_unescape_gives() -> None:
    pieces = ("&", "#", "6", "5", ";", "x", "X", "4", "a", "amp", "lt", "notin", "noti", " ",
              "\t", "&#65;", "&amp", "&ampx;", "&#x110000;", "&#0;", "&#128;", "é",
              "&#x41")  # fmt: skip
    for text in _texts(pieces, 50_000, 2):
        assert _html_unescaped(text) == html.unescape(text), text


def test_a_field_of_one_reference_repeated_gives_what_html_unescape_gives() -> None:
    # One reference at every "&" is replaced in one go: near misses must not be.
    for unit in ("&amp;", "&amp;amp;", "&#65;x", "&#65;5", "&#x41;;", "&notin;", "&noti;",
                 "&amp;&lt;", "&lt", "&ampx;", "&amp", "&#65", "&amp;&", "a&amp;b"):  # fmt: skip
        for text in (unit * 3, unit * 500, "&amp;" + unit * 50, unit * 50 + "&#66;"):
            assert _html_unescaped(text) == html.unescape(text), text


def test_a_field_of_many_ampersands_is_searched_for_references_as_by_the_regex() -> None:
    # Past 16 "&" the search is by bytes searches: it finds a reference where the regex does.
    rng = random.Random(5)
    pieces = ("&", "#", "1", "x", "X", "a", "F", "g", ";", "amp", "&#", "&#x", "é", " ", "Z",
              "&a;", "&ab;", "\ud800")  # fmt: skip
    found = 0
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(30, 90)))
        assert _has_entity(text) == (_ENTITY.search(text) is not None), text
        found += _has_entity(text)
    assert found > 2_000 and 20_000 - found > 200  # both answers are reached
    assert not _has_entity("&#" * 4000) and _has_entity("&#" * 4000 + "&#x4")


def test_a_field_of_thousands_of_escapes_is_undone_whole() -> None:
    assert unescape("\\xc3\\xa9" * 4000) == "é" * 4000
    assert _html_unescaped("&#65;" * 1600) == "A" * 1600


def _bytes_one_at_a_time(data: bytes) -> str:
    """The definition: overlong sequences replaced one by one, then each byte that is not
    UTF-8 read as Latin-1, one error at a time."""

    def overlong(match: re.Match[bytes]) -> bytes:
        return percent.overlong_meaning(match.group())

    data = percent.OVERLONG.sub(overlong, data)
    text, pos = [], 0
    while True:
        try:
            text.append(data[pos:].decode("utf-8"))
            return "".join(text)
        except UnicodeDecodeError as error:
            text.append(data[pos : pos + error.start].decode("utf-8"))
            text.append(data[pos + error.start : pos + error.end].decode("latin-1"))
            pos += error.end


def test_escaped_bytes_in_bulk_read_as_one_at_a_time() -> None:
    rng = random.Random(3)
    pieces = (b"a", b"\xc0", b"\xc1", b"\xe0", b"\xf0", b"\x80", b"\x9f", b"\xaf", b"\xed",
              b"\xa0", b"\xc3\xa9", b"\xe2\x82", b"\xf0\x9f\x98\x80", b"\xff", b"\x00")  # fmt: skip
    for _ in range(50_000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        assert percent.escaped_bytes_text(data) == _bytes_one_at_a_time(data), data
