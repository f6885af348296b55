"""The application's reading of a field (JSON/JavaScript escapes, NFKC's fullwidth fold): the
same text as one escape or character at a time, given as a copy after the field's own text,
and costing a few normal lines however many escapes a field holds."""

from __future__ import annotations

import random
import re

import pytest

from lwsyslog.appdecode import app_reading, folded_fullwidth, unescaped
from lwsyslog.config import load_config
from lwsyslog.normalize import COPY_SEPARATOR, decode
from lwsyslog.pipeline import Pipeline
from tests.unit.user_agent_cost import access_line, cost_ratio

# The definition: each \u00HH or \xHH escape replaced on its own, left to right.
_ONE_ESCAPE = re.compile(r"\\(?:u00([0-9a-fA-F]{2})|x([0-9a-fA-F]{2}))")


def _one_at_a_time(text: str) -> str:
    return _ONE_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def _nfkc_fullwidth(text: str) -> str:
    return text.translate({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)})


_PIECES = [
    "\\", "\\\\", "u", "x", "0", "00", "a", "F", "7", "g", "\\u00", "\\x", "\\u0027", "\\x3c",
    "\\u00e9", "\\U0041", "q", " ", "＜", "？", "（", "ｱ", "\uff00", "\uff5f", "東", "😀", "é",
]  # fmt: skip


@pytest.mark.parametrize("seed", range(40))
def test_escapes_decoded_in_bulk_are_those_decoded_one_at_a_time(seed: int) -> None:
    pick = random.Random(seed)
    text = "".join(pick.choice(_PIECES) for _ in range(pick.randrange(1, 60)))
    # Only ASCII escapes (what attacks use) are compared character for character; a byte
    # above 0x7F decoded from an escape is read as UTF-8 where it can be.
    expected = _one_at_a_time(text)
    got = unescaped(text)
    if all(ord(c) < 0x80 for c in expected if c not in text):
        assert got == expected, text


@pytest.mark.parametrize("seed", range(40))
def test_fullwidth_folded_in_bulk_is_nfkc_of_each_fullwidth_form(seed: int) -> None:
    pick = random.Random(seed)
    text = "".join(pick.choice(_PIECES) for _ in range(pick.randrange(1, 60)))
    assert folded_fullwidth(text) == _nfkc_fullwidth(text), text


def test_json_escapes_are_read_as_a_json_decoder_reads_them() -> None:
    assert unescaped(r'{"u":"admin\u0027 or \u00271\u0027=\u00271"}') == (
        """{"u":"admin' or '1'='1"}"""
    )
    assert unescaped(r"\x3cimg src=x\x3E") == "<img src=x>"
    # Backslashes that start no such escape stay, and so do escapes cut short.
    assert unescaped(r"C:\temp\u12\xg \\") == r"C:\temp\u12\xg \\"


def test_ordinary_text_has_no_second_reading() -> None:
    assert app_reading("/search?q=shoes&size=42") is None
    assert app_reading("東京タワー ｱｸｾｽ") is None
    assert app_reading(r"C:\Users\me") is None


def test_a_field_with_escapes_keeps_its_own_text_and_adds_the_decoded_one() -> None:
    decoded = decode('{"n":"\\u003cscript\\u003e"}')
    own, other = decoded.split(COPY_SEPARATOR)
    assert own == '{"n":"/u003cscript/u003e"}'
    assert other == '{"n":"<script>"}'


def test_fullwidth_punctuation_stays_in_the_fields_own_text() -> None:
    decoded = decode("q=%E6%9D%B1%E4%BA%AC%EF%BC%9F%EF%BC%88%E6%98%8E%E6%97%A5%EF%BC%89")
    own, other = decoded.split(COPY_SEPARATOR)
    assert own == "q=東京？（明日）"
    assert other == "q=東京?(明日)"
    # Raw UTF-8 in the field, no percent escape: still read.
    assert decode("＜script＞").endswith(COPY_SEPARATOR + "<script>")


#: Most such a line may cost, in normal lines of the same length: a field of 60,000
#: characters of escapes cost 2-4.5 before it had a second reading (the shell's reading of
#: its backslashes is a second decoding already), 3-6 now (measured on a loaded machine).
BUDGET = 8.0


@pytest.mark.parametrize("piece", ["\\u0041", "\\x41", "＜", "\\u003c＞", "\\u00"])
def test_a_field_of_thousands_of_escapes_costs_a_few_normal_lines(piece: str) -> None:
    hostile = piece * (60_000 // len(piece))
    ratio = cost_ratio(Pipeline(load_config([])), hostile, BUDGET, access_line)
    assert ratio <= BUDGET, f"{piece!r} x {60_000 // len(piece)}: {ratio:.1f}x a normal line"
