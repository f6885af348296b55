"""Linear-time searches: RE2 finds the match, fragment groups report the part that counts."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from lwsyslog.matching import linear
from lwsyslog.matching.linear import Regex, checked_search, linear_search, verified_search

pytest.importorskip("re2")

# A word "union" (not "reunion") then "select": the letters around are context, not reported.
UNION = re.compile(r"(?:^|[^a-z])(?P<frag>union\s+select)(?:$|[^a-z])")
# Branches with their own context: "/.." before a non-name character, or a run of three dots.
DOTS = re.compile(r"/\.{3,}|(?P<frag>/\.\.)(?:$|[^\w./-])|(?:^|=)(?P<frag1>x+)(?:&|$)")


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        (UNION, "id=1 union select 2", "union select"),
        (UNION, "union select", "union select"),
        (UNION, "reunion select", None),
        (UNION, "union selection", None),
        (DOTS, "a/..?b", "/.."),
        (DOTS, "a/..b", None),
        (DOTS, "a/....b", "/...."),
        (DOTS, "q=xxx&r", "xxx"),
        (DOTS, "/" + "." * 5000 + "?", "/" + "." * 5000),
    ],
)
def test_search_reports_the_fragment_group_not_the_context(
    pattern: re.Pattern[str], text: str, found: str | None
) -> None:
    search = linear_search(pattern)
    assert search.engine == "re2"
    assert search.search(text) == found


@pytest.mark.parametrize(
    ("source", "flags"),
    [
        ("abc", 0),
        ("abc", re.IGNORECASE),
        ("abc", re.ASCII | re.IGNORECASE),
        ("a.c", re.DOTALL | re.MULTILINE),
        ("(?i)abc", 0),
        ("(?s:a.)c", 0),
        ("(?:a)b", re.VERBOSE),
    ],
)
def test_a_regex_reports_the_flags_re_gives_it_without_compiling(source: str, flags: int) -> None:
    regex = Regex(source, flags)
    assert regex.flags == re.compile(source, flags).flags
    # Flags of its own ("(?i)", "(?s:") are read by compiling it; else nothing compiles.
    assert regex.is_compiled == (source[:3] in ("(?i", "(?s"))


def test_a_regex_searches_as_its_compiled_pattern_and_compiles_only_for_re() -> None:
    lazy = [Regex(UNION.pattern), Regex(DOTS.pattern)]
    for regex, compiled in zip(lazy, (UNION, DOTS), strict=True):
        texts = ("id=1 union select 2", "a/..?b", "q=xxx&r", "a/..b", "/" + "." * 50 + "?")
        assert [linear_search(regex).search(t) for t in texts] == [
            linear_search(compiled).search(t) for t in texts
        ]
        assert not regex.is_compiled  # RE2 ran it; the groups came from an ASCII compile
        assert regex.search(texts[0]) is not None or regex.search(texts[2]) is not None
        assert regex.is_compiled


def test_search_without_re2_gives_the_same_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linear, "_re2", lambda: None)
    search = linear_search(DOTS)
    assert (search.engine, search.reason) == ("re", "RE2 is not installed")
    assert [search.search(t) for t in ("a/..?b", "a/..b", "q=xxx&r")] == ["/..", None, "xxx"]


def test_a_match_whose_end_re_reads_differently_still_reports_its_group() -> None:
    # re's "$" also matches before a final "\n", RE2's does not: RE2's match is the one kept.
    search = linear_search(re.compile(r"(?P<frag>ab)(?:$|\n)"))
    assert search.search("ab\n") == "ab"


def test_reading_a_fragment_group_never_backtracks_over_the_line() -> None:
    """A user rule's group that ``re`` reads in exponential time (12 s at 40 characters, twice
    as long with each two more) is read by RE2 too: 5,000 characters are nothing."""
    search = linear_search(re.compile(r"/acmex(?P<frag>(?:a|aa)*c|a*)"))
    assert search.engine == "re2"
    done = subprocess.run(
        [sys.executable, "-c", HOSTILE_GROUP_RUN],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["5000", "60"]


HOSTILE_GROUP_RUN = """
import re
from lwsyslog.matching.linear import linear_search
search = linear_search(re.compile(r"/acmex(?P<frag>(?:a|aa)*c|a*)"))
print(len(search.search("GET /acmex" + "a" * 5000 + " HTTP/1.1")))
print(len(search.search("GET /acmex" + "a" * 59 + "c HTTP/1.1")))
"""


@pytest.mark.parametrize(
    ("source", "plain"),
    [
        (r"(?P<frag>a)(b)", r"(?:a)(?:b)"),
        (r"[(](x)", r"[(](?:x)"),
        (r"[]()](x)\((y)\)", r"[]()](?:x)\((?:y)\)"),
        (r"[^]()](?:x)(?=y)", r"[^]()](?:x)(?=y)"),
    ],
)
def test_groups_become_non_capturing_for_the_dfa(source: str, plain: str) -> None:
    assert linear._without_groups(source) == plain


# The same word on both sides of "=": a back-reference, which RE2 does not run.
SAME = re.compile(r"(?:^|[^\w])(\w+)=\1\b")
CANDIDATES = re.compile(r"(?:^|[^\w])\w+=\w")


def test_verified_search_finds_the_first_match_of_the_exact_pattern() -> None:
    search = verified_search(CANDIDATES, SAME, lead=1, tries=8)
    assert search.engine == "re2"
    assert search.search("a=b c=c d=d") == " c=c"
    assert search.search("a=b c=d") is None
    assert search.search("x=x") == "x=x"


def test_verified_search_fails_closed_after_its_tries() -> None:
    search = verified_search(CANDIDATES, SAME, lead=1, tries=3)
    assert search.search(" a=b c=d e=f") is None
    # Past three near-misses the next candidate counts as a match: padding cannot hide one.
    assert search.search(" a=b c=d e=f g=h x=x") == " g=h"


def test_checked_search_skips_unconfirmed_matches_and_fails_closed_after_its_tries() -> None:
    """A match the check refuses is passed over for the next one; a text of more refused
    matches than ``tries`` is reported (the work stays bounded)."""
    search = checked_search(
        Regex(r"x\d"), lambda text, start, _end: text[start + 1] == "7", tries=3
    )
    assert search.search("x1 x2 x7") == "x7"
    assert search.search("x1 x2") is None
    assert search.search("x1 x2 x3 x4 x7") == "x4"
