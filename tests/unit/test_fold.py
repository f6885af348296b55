"""The case folding texts and literals share: lower case, and the three letters outside ASCII
that re.IGNORECASE matches to an ASCII letter folded to it."""

from __future__ import annotations

import random
import re

from lwsyslog.matching.fold import fold


def test_the_three_letters_fold_to_the_ascii_letter_ignorecase_matches() -> None:
    for letter, ascii_letter in (("\u0130", "i"), ("\u0131", "i"), ("\u017f", "s")):
        assert re.fullmatch(ascii_letter, letter, re.IGNORECASE)
        assert fold(f"x{letter}Y") == f"x{ascii_letter}y"


def test_folding_is_lower_casing_with_the_three_letters_replaced() -> None:
    rng = random.Random(11)
    alphabet = ["a", "Q", "\u0130", "\u0131", "\u017f", "\u00c9", "\u01c5", "\ue000", " ", "%"]
    table = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert fold(text) == text.translate(table).lower()
    assert fold("SELECT") == "select"
