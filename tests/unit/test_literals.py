"""The literal analysis: every clause it gives holds on every match, and the character next to
a run of text sharpens it."""

from __future__ import annotations

import random
import re
import zlib

import pytest

from lwsyslog.matching.literals import literal_requirement

# Patterns whose runs of text are followed or preceded by a character from a small set, with
# pieces of text that random texts are made of (their own words and neighbours: they match).
PATTERNS = (
    (r"(?:\b(?:and|or|not)|&&)\s*\(*\s*-?\d+\s*(?:=|<>)\s*\d",
     ("and", "or", "not", "&&", " ", "(", "-", "1", "7", "=", "<>", "x", "_")),
    (r"(?:['\"`)]|(?<![\w.])\d+)\s*(?:or|and|\|\|)\s*\(?['\"`]?\w+",
     ("'", '"', "`", ")", "1", ".", "a", " ", "or", "and", "||", "(", "x")),
    (r"(?:^|[^a-z])union(?:\s+all)?[\s(]*select(?:$|[^a-z])",
     ("union", "select", "all", " ", "(", "a", "1", "=")),
    (r"[;|`]\s*(?:id|cat|ls)\b", (";", "|", "`", " ", "id", "cat", "ls", "x")),
    (r"x(?:y|\d|$)", ("x", "y", "1", "z")),
    (r"a*b?c{2,3}(?:d|e)*", ("a", "b", "c", "d", "e", "f")),
    (r"(?:foo|ba[rz])[0-9]+qu+x", ("foo", "bar", "baz", "1", "2", "qu", "u", "x", "q")),
    (r"^[^?]*?[;|]+x:|[=&][;|]+y:|=/[^&]*[;|]+z:",
     ("?", ";", "|", "x", ":", "=", "&", "y", "/", "z", "a")),
)  # fmt: skip


def _holds(requirement: tuple[frozenset[str], ...] | None, text: str) -> bool:
    return requirement is None or all(
        any(literal in text for literal in clause) for clause in requirement
    )


@pytest.mark.parametrize("flags", [0, re.ASCII])
@pytest.mark.parametrize(("pattern", "pieces"), PATTERNS)
def test_every_clause_holds_on_every_match(
    pattern: str, pieces: tuple[str, ...], flags: int
) -> None:
    compiled = re.compile(pattern, flags)
    requirement = literal_requirement(pattern, flags, single_spaces=True)
    rng = random.Random(zlib.crc32(pattern.encode()))
    seen = 0
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        text = re.sub(" +", " ", text)  # decoded text: one space per run
        for match in compiled.finditer(text):
            seen += 1
            assert _holds(requirement, match.group()), (pattern, match.group(), requirement)
    assert seen > 50


def test_the_character_after_a_word_is_part_of_the_literal() -> None:
    pattern = r"\b(?:and|or)\s*\(*\s*-?\d+\s*="
    requirement = literal_requirement(pattern, re.ASCII, single_spaces=True)
    assert requirement is not None
    first = requirement[0]
    assert {"or1", "or(", "or-", "or ", "and9"} <= first
    assert "or" not in first  # "orders" and "normal" no longer select the rule


def test_digits_are_ten_characters_only_in_ascii_mode() -> None:
    # In Unicode mode \\d also matches "٣": the character after "or" cannot be listed.
    unicode_mode = literal_requirement(r"\bor\d", 0, single_spaces=True)
    assert unicode_mode is not None and "or" in unicode_mode[0]
    assert re.search(r"\bor\d", "or٣") is not None


def test_the_character_before_a_word_is_part_of_the_literal() -> None:
    requirement = literal_requirement(r"['\"]\s*(?:or|and)\b", 0, single_spaces=True)
    assert requirement is not None
    assert any({"'or", "' or", '"and'} <= clause for clause in requirement)


def test_a_clause_every_branch_needs_is_a_clause_of_the_alternation() -> None:
    # Every branch needs ":" and one of ";|"; a union of the branches' clauses rank by rank
    # mixes them with "=", "&" and "/", which some branches need and most URLs hold.
    pattern = r"^[^?]*?[;|]+[a-z][a-z0-9]*:|[=&][;|]+[a-z][a-z0-9]*:|=/[^&]*[;|]+[a-z][a-z0-9]*:"
    assert literal_requirement(pattern, single_spaces=True) == (
        frozenset({":"}),
        frozenset({";", "|"}),
    )
