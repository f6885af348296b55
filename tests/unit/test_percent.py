"""Percent-decoding: what tricky escapes decode to, the bulk path agrees with the run-by-run
one, and a field of thousands of escapes costs about what a normal field does."""

from __future__ import annotations

import random

import pytest

from lwsyslog import percent
from lwsyslog.config import load_config
from lwsyslog.normalize import decode
from lwsyslog.percent import BULK_ESCAPES, percent_decoded
from lwsyslog.pipeline import Pipeline
from tests.unit.user_agent_cost import cost_ratio

# (text, one round of percent-decoding): the meaning each path must give.
PINNED: tuple[tuple[str, str], ...] = (
    ("%2e%2E%2f", "../"),
    ("%252e", "%2e"),  # one round: the next one makes it "."
    ("%c3%a9", "é"),
    ("%e2%80%a8", "\u2028"),
    ("%f0%9f%98%80", "\U0001f600"),
    # Overlong UTF-8 as the ASCII it stands for, IIS's variants with any trailing byte too.
    ("%c0%af", "/"),
    ("%C0%AE%c0%ae%c0%af", "../"),
    ("%c1%9c", "\\"),
    ("%c0%c0%af", "\x00¯"),  # the scan pairs C0 C0 first; AF alone is Latin-1
    ("%c1%c0%af", "@¯"),
    ("%c0%c1%af", "\x01¯"),
    ("%c0%2f", "/"),
    ("%e0%80%af", "/"),
    ("%e0%82%a9", "©"),  # three-byte forms stand for code points up to U+07FF
    ("%e0%9f%bf", "\u07ff"),
    ("%f0%80%88%a2", "\u0222"),
    ("%e0%80%c0%af", "\x00¯"),  # the three-byte form takes the C0 as its last byte
    ("%c0%e0%80%af", " \x80¯"),  # the C0 takes the E0: no three-byte form left
    ("%f0%80%80%af", "/"),
    ("%f0%8f%bc%8e", "."),  # fullwidth full stop, best-fit
    # An overlong lead whose next byte is not an escape of the same run stands alone.
    ("%c0", "À"),
    ("%c0x", "Àx"),
    ("%c0%", "À%"),
    ("%c0%%af", "À%¯"),
    ("%c0%u0041", "ÀA"),
    ("%e0%80", "à\x80"),
    # Bytes that are not UTF-8, as Latin-1; truncated UTF-8 too.
    ("%ff%fe", "ÿþ"),
    ("%a0", "\xa0"),
    ("%c3", "Ã"),
    ("%c3x%a9", "Ãx©"),
    ("%ed%b2%80", "í²\x80"),  # UTF-8 of a surrogate: not UTF-8
    ("é%a9", "é©"),
    # IIS %uXXXX: code points, fullwidth and slash look-alikes as ASCII, surrogates replaced.
    ("%u0041%U002e", "A."),
    ("%uff0e%u2215", "./"),
    ("%uD800", "\ufffd"),
    ("%c3%u00a9", "Ã©"),
    # A decoded %uXXXX is text to the round's %XX pass: it starts or ends no escape there.
    ("%4%u0031", "%41"),
    ("%%u0034" + "1", "%41"),
    ("%u0025" + "41", "%41"),
    ("%u00%u0041%u0041", "%u00AA"),
    ("%c0%u00af", "À¯"),
    # Not escapes: kept as they are.
    ("%", "%"),
    ("%%41", "%A"),
    ("%4", "%4"),
    ("%zz", "%zz"),
    ("%u00", "%u00"),
    ("%uzzzz", "%uzzzz"),
    ("%\n%41", "%\nA"),
    ("%\r%41", "%\rA"),
    # What the bulk decoders read specially, as literal text.
    ("a=b%3d", "a=b="),
    ("=%41", "=A"),
    ("==\n", "==\n"),
    ("\\%41", "\\A"),
    ("\\x41%41", "\\x41A"),
    ("\\\\%5c", "\\\\\\"),
    ("\ud800%41", "\ud800A"),
)


@pytest.mark.parametrize(("text", "meaning"), PINNED)
def test_an_escape_decodes_to_what_a_lenient_application_reads(text: str, meaning: str) -> None:
    assert percent_decoded(text) == meaning
    # Many of them in a field: the bulk path (one separator keeps runs apart as above).
    many = "|".join([text] * BULK_ESCAPES)
    assert percent_decoded(many) == "|".join([meaning] * BULK_ESCAPES)


def test_decoding_repeats_rounds_to_the_bound() -> None:
    assert decode("%252e%252e%252f" * 30) == "../" * 30
    assert decode("%25252e" * 30) == "." * 30
    assert decode("%2525252e" * 30) == "%2e" * 30  # three rounds, no more


_PIECES = (
    "%c0", "%C1", "%e0", "%f0", "%80", "%9f", "%af", "%2e", "%25", "%c3", "%a9", "%ff",
    "%ed%b2%80", "%u0041", "%uD800", "%u00", "%", "%4", "%zz", "%\n", "%\r", "\n", "=", "=3D",
    "\\", "\\x41", "x", "f", "5", "é", "\ud800", "&amp;",
)  # fmt: skip


def test_the_bulk_path_gives_what_the_run_by_run_path_gives() -> None:
    rng = random.Random(11)
    bulk = 0
    for _ in range(20_000):
        pieces = rng.sample(_PIECES, rng.randint(1, 6))
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 60)))
        decoded = percent._in_bulk(text)
        if decoded is not None:
            bulk += 1
            assert decoded == percent._by_runs(text), text
    assert bulk > 8_000  # the check is not vacuous


# --- cost -----------------------------------------------------------------------------------

#: Most such a line may cost, in normal lines of the same length: it was 6-7 before the bulk
#: decoders (and a field of them, not one escape, is what an attacker sends); about 2 now.
BUDGET = 4.5


@pytest.mark.parametrize("seed", ["%c0%af", "%252e", "%c0", "&amp;"])
def test_a_user_agent_of_thousands_of_escapes_costs_a_few_normal_lines(seed: str) -> None:
    hostile = seed * (8000 // len(seed))
    ratio = cost_ratio(Pipeline(load_config([])), hostile, BUDGET)
    assert ratio <= BUDGET, f"{seed!r} x {len(hostile) // len(seed)}: {ratio:.1f}x a normal line"


def test_a_text_decoded_again_gives_the_same_text_and_meets_the_same_caps() -> None:
    """The last texts of many escapes keep their decoding for the other views of a field;
    the caps they met count again, or a field read second would lose its flood flag (the
    engines-agree fuzz test caught that)."""
    flood = "".join(f"%u{0x4E00 + n:04x}" for n in range(70)) + "%27%20UNION%20SELECT"
    runs = []
    for _ in range(3):
        before = percent.cap_hits()
        runs.append((percent.percent_decoded(flood), percent.cap_hits() - before))
    assert runs[0][1] >= 1
    assert runs[1] == runs[0] == runs[2]
    assert runs[0][0].endswith("' UNION SELECT")
