"""Ordinary searches that raised a critical SQLi or XSS alert (audit of 2026-12-07), each
answered 200: ``lwsyslog scan`` must report no finding of medium or more and no alert."""

from __future__ import annotations

import pytest

from lwsyslog.severity import Severity
from tests.unit.scan_lines import Scanned, access_line, scan_lines

ORDINARY = [
    # Feet and inches: a number after OR/AND that SQL would not follow with a quote.
    "/search?q=6%27+or+8%27+fence+panel",
    "/search?q=2%27+or+3%27+cable",
    "/search?q=12%27+and+16%27+boards",
    "/search?q=1/2%22+or+3/4%22+pipe",
    "/search?q=6%272%22+or+6%273%22",
    "/search?q=12%27+or+13%27+boat",
    # An apostrophe, then a dash between words.
    "/search?q=Don%27t+Stop+Believin%27+--+Journey",
    "/search?q=The+%27Best%27+--+and+worst",
    # Words that are also function names.
    "/search?q=sleep+(5+hours)",
    "/search?q=alert+(red)",
    "/search?q=%22hello%22+onclick%3D+handler+tutorial",
    # "javascript:" as a title.
    "/wiki/JavaScript:_The_Good_Parts",
    "/search?q=javascript:+void(0)+meaning",
    # Near misses of the evasions now found.
    "/search?q=%27%3D%27+sign+meaning",
    "/search?q=1+or+2+players",
    "/notes?text=done;+truncate+long+lines",
    "/search?q=%7B%7Bconfiguration%7D%7D+vue",
    "/search?q=%23%7Bid%7D+ruby+interpolation",
    "/contact?msg=Hello%0D%0AThanks:+see+you",
    "/contact?msg=Hello%0D%0AFollow-up:+soon",
    "/search?q=%26%2310;+newline",
]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    lines = [access_line(number, target) for number, target in enumerate(ORDINARY)]
    return scan_lines(lines, tmp_path_factory.mktemp("false-alerts"))


@pytest.mark.parametrize("number", range(len(ORDINARY)), ids=ORDINARY)
def test_an_ordinary_search_gets_no_finding_of_medium_or_more(
    scanned: Scanned, number: int
) -> None:
    serious = [
        rule
        for rule, severity in scanned.findings.get(number + 1, [])
        if Severity(severity).rank >= Severity.MEDIUM.rank
    ]
    assert serious == []


@pytest.mark.parametrize("number", range(len(ORDINARY)), ids=ORDINARY)
def test_an_ordinary_search_raises_no_alert(scanned: Scanned, number: int) -> None:
    client = access_line(number, "/").split(" ", 1)[0]
    assert scanned.alerts.get(client, []) == []
