"""Long texts are scanned without finding a literal again at every position, and give the
same literals as short ones: a field of one character repeated costs what words do.

Hyperscan reports a literal once but still finds each later occurrence: in a field of
60,000 ``"`` a literal ``"`` and a literal ``""`` occur at every position (1 ms, a hundred
times a field of words). A long text's one-character literals are looked for with ``in``,
and its runs of a character that makes a literal on its own are cut first (see
``lwsyslog.matching.scanner``).
"""

from __future__ import annotations

import random
import time

import pytest

from lwsyslog.matching.scanner import LONG_TEXT, compile_literals, engine_name
from tests.unit.test_engines_agree import rule_literals

pytestmark = pytest.mark.skipif(engine_name() != "hyperscan", reason="Hyperscan only")


# Literals of one character repeated, runs inside longer ones, a backslash (a replacement
# template must not read it), non-ASCII and an astral character.
_ODD = ('"', '""', "'", "''", "..", "...", "a\"\"b", "\\", "\\\\", "à", "àà", "嘊", "😀😀",
        "%%", "x", "=")  # fmt: skip
_PIECES = ('"', "'", ".", "\\", "à", "嘊", "😀", "\ud800", "%", "=", "a", "b", "x", " ",
           "union select", "../", "<script", "${jndi:")  # fmt: skip


def test_long_texts_give_the_literals_that_occur() -> None:
    literals = sorted({*rule_literals(), *_ODD})
    scanner = compile_literals(literals)
    rng = random.Random(12)
    long = 0
    for _ in range(400):
        kinds = rng.sample(_PIECES, rng.randint(1, 6))
        runs = [rng.choice(kinds) * rng.choice((1, 2, 3, 4, 5, 40)) for _ in range(60)]
        text = "".join(runs)
        text = text * max(1, rng.choice((1, LONG_TEXT)) // max(1, len(text)))
        expected = sorted(index for index, literal in enumerate(literals) if literal in text)
        assert sorted(scanner.find(text)) == expected, text[:100]
        long += len(text) >= LONG_TEXT
    assert long > 150


def _best(scan: object, text: str) -> float:
    best = float("inf")
    for _ in range(7):
        start = time.perf_counter()
        scan(text)  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("char", ['"', "'", ".", "à"])
def test_a_long_run_of_one_character_costs_what_words_do(char: str) -> None:
    scanner = compile_literals(sorted({*rule_literals(), *_ODD}))
    words = " ".join(["summer", "garden", "orange", "window"] * 3000)[:60_000]
    run = char * 60_000
    ratio = float("inf")
    for _ in range(3):  # load on the machine slows both alike; a real regression stays
        ratio = min(ratio, _best(scanner.find, run) / _best(scanner.find, words))
        if ratio <= 3:
            break
    assert ratio <= 3, f"{char!r} x 60,000: {ratio:.1f}x words"
