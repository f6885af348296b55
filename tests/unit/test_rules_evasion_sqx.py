"""Evasions of the SQLi, XSS, template, header and NUL rules (audit of 2026-12-07; the XSS ones
confirmed in headless Chromium), each answered 200: ``lwsyslog scan`` must name the rule on
the line and raise an alert for it."""

from __future__ import annotations

import pytest

from tests.unit.scan_lines import Scanned, access_line, scan_lines

EVASIONS = [
    # XSS: attributes between the breaking quote and the handler.
    ("/s?q=x%27%20autofocus%20onfocus=%27eval(name)", "xss-event-handler"),
    ("/s?q=x%22%20autofocus%20onfocus=%22eval(name)", "xss-event-handler"),
    # XSS: a ">" inside a quoted attribute value.
    ("/s?q=%3Cx%20a='%3E'%20autofocus%20tabindex=1%20onfocus=eval(name)%3E", "xss-event-handler"),
    # XSS: a tab inside "javascript:" (URL parsers drop it).
    ("/r?u=jav%26%23x09;ascript:eval(name)", "xss-js-uri"),
    ("/r?u=jav%09ascript:eval(name)", "xss-js-uri"),
    # XSS: a JavaScript string breakout into eval.
    ("/s?q=%22;eval(name)//", "xss-js-sink"),
    # XSS: a tag opened by a JavaScript \u003c escape.
    ("/s?q=%5Cu003cimg%20src%3Dx%20onerror%3Deval(name)%5Cu003e", "xss-event-handler"),
    # SQLi: stacked statements.
    ("/p?id=1;COPY%20cmd%20FROM%20PROGRAM%20%27id%27", "sqli-stacked-query"),
    ("/p?id=1;TRUNCATE%20users", "sqli-stacked-query"),
    ("/p?id=1;ALTER%20USER%20postgres%20WITH%20PASSWORD%20%27x%27", "sqli-stacked-query"),
    # SQLi: SQL Server's control-character blanks.
    ("/p?id=1%01UNION%02SELECT%03name,password%04FROM%05users", "sqli-union-select"),
    # SQLi: login bypasses.
    ("/login?u=%27%3D%27&p=%27%3D%27", "sqli-quote-operator"),
    ("/login?u=%27-0--%20-", "sqli-quote-operator"),
    ("/login?u=%27*%27", "sqli-quote-operator"),
    ("/login?u=%27%2B0%2B%27", "sqli-quote-operator"),
    ("/login?u=admin%27%20or%20%271", "sqli-quote-breakout"),
    ("/p?id=-1%20or%201", "sqli-leading-condition"),
    ("/login?u=%27%20or%20id%20--%20-", "sqli-quote-breakout"),
    ("/p?id=1%27%20IS%20NOT%20NULL--%20-", "sqli-quote-breakout"),
    (
        "/p?id=1%20AND%20(SELECT%20password%20FROM%20users%20LIMIT%201)%20REGEXP%20%27%5Ea%27",
        "sqli-subquery-condition",
    ),
    # Template injection.
    ("/h?name={{config}}", "code-injection-template"),
    ("/h?name={{[%27id%27]|filter(%27system%27)}}", "code-injection-template"),
    (
        "/h?name={{_self.env.registerUndefinedFilterCallback(%22exec%22)}}",
        "code-injection-template",
    ),
    (
        "/h?name={{range.constructor(%22return%20global.process.mainModule%22)()}}",
        "code-injection-template",
    ),
    ("/h?name={{constructor.constructor(%27return%20process%27)()}}", "code-injection-template"),
    (
        "/h?name=%23{root.process.mainModule.require(%27child_process%27)}",
        "code-injection-template",
    ),
    ("/h?lang=__*{7*7}__::.x", "code-injection-template"),
    ("/h?name={{=7*7}}", "code-injection-template"),
    # Header injection in the middle of a value; NUL as an HTML reference.
    ("/r?u=x%0d%0aX-Foo:%20bar", "header-injection-probe"),
    ("/f?file=x.php%26%230;.jpg", "protocol-null-byte"),
]

# What the audit asked to keep catching while the false alerts were removed (the scan names
# the first SQLi rule that matched; sqli-quote-breakout has these as samples of its own).
STILL_CAUGHT = [
    ("/login?u=%27%20OR%201=1--", "sqli-tautology"),
    ("/login?u=1%27%20or%20%271%27=%271", "sqli-tautology"),
    ("/login?u=admin%27--", "sqli-quote-breakout"),
    ("/login?u=%27%20or%201=1%23", "sqli-tautology"),
    ("/login?u=%27)%20or%20(%27a%27=%27a", "sqli-tautology"),
    ("/p?id=1%20AND%20sleep(5)", "sqli-time-blind"),
    ("/p?q=alert(1)", "xss-js-sink"),
    ("/p?name=x%22%20onmouseover=%22alert(1)", "xss-event-handler"),
    ("/r?u=javascript:alert(1)", "xss-js-uri"),
]

CASES = EVASIONS + STILL_CAUGHT


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    lines = [access_line(number, target) for number, (target, _) in enumerate(CASES)]
    return scan_lines(lines, tmp_path_factory.mktemp("evasions"))


@pytest.mark.parametrize(
    ("number", "rule_id"),
    [(number, rule_id) for number, (_, rule_id) in enumerate(CASES)],
    ids=[target for target, _ in CASES],
)
def test_the_scan_names_the_rule_on_the_line_and_alerts(
    scanned: Scanned, number: int, rule_id: str
) -> None:
    assert rule_id in scanned.rules_at(number + 1)
    client = access_line(number, "/").split(" ", 1)[0]
    assert rule_id in {rule for rule, _ in scanned.alerts.get(client, [])}
