"""Shellshock (CVE-2014-6271/6278): a bash function definition in a header or the path."""

from __future__ import annotations

from lwsyslog.matching.linear import Regex
from lwsyslog.rules.base import BOTH, CodeRule, PatternRule
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = ["ShellshockBashImport", "ShellshockFunctionDef"]


class ShellshockFunctionDef(PatternRule):
    """``() { :; };`` at the start of a value that a CGI program receives as an environment
    variable.

    bash imports a function only from a variable whose value starts with ``() {``: a header's
    value (the User-Agent, the Referer, a line of the logged headers), the query string or
    one parameter's value, a path segment (``PATH_INFO``), or such a value quoted in an error
    message (after ``"``, ``'`` or ``:``). Code that merely contains ``() {`` further into a
    value (``int main() { return 0; }``, ``setTimeout(function() { }, 1000)``) is no import.
    """

    id = "shellshock-function-def"
    cves = ("CVE-2014-6271", "CVE-2014-7169")
    categories = ("shellshock",)
    severity = Severity.CRITICAL
    description = "bash function definition '() {' starting a header, parameter or path segment"
    logs = BOTH
    fields = ("user_agent", "referer", "cookie", "headers", "target", "message")
    pattern = Regex(r"(?:^|[\n/?=&\"':])\s*(?P<frag>\(\s*\)\s*\{[^}]*?[;}])")
    trigger = r"\(\s*\)\s*\{"
    gate = "("
    must_match = (
        AccessSample(target="/cgi-bin/status", user_agent="() { :; }; /bin/bash -c 'id'"),
        AccessSample(target="/cgi-bin/test.cgi", referer="() { _; } >_[$($())] { echo; id; }"),
        AccessSample(target="/cgi-bin/x", cookie="() { :;}; echo vulnerable"),
        AccessSample(target="/cgi-bin/%28%29%20%7B%20%3A%3B%20%7D%3B%20id"),
        AccessSample(target="/cgi-bin/status", headers=(("Host", "() { :; }; /bin/bash -c id"),)),
        AccessSample(target="/cgi-bin/status.cgi?() { :; }; /bin/cat /etc/passwd"),
        AccessSample(target="/cgi-bin/status.cgi?x=%28%29%20%7B%20%3A%3B%20%7D%3B%20id"),
        AccessSample(target="/", user_agent="  () { :; }; echo; /usr/bin/id"),
        ErrorSample(
            message='ModSecurity: Warning. Matched phrase "() {" at '
            'REQUEST_HEADERS:User-Agent. [data "Matched Data: () { :;}; echo found within '
            'REQUEST_HEADERS:User-Agent: () { :;}; echo"]',
            module="security2",
        ),
        ErrorSample(
            message="AH00126: Invalid URI in request GET /cgi-bin/() { :; }; id HTTP/1.1",
            module="core",
        ),
    )
    must_not_match = (
        AccessSample(target="/cgi-bin/status", user_agent="Mozilla/5.0 (X11; Linux x86_64)"),
        AccessSample(
            target="/cgi-bin/status",
            headers=(("Host", "www.example.org"), ("X-Forwarded-For", "203.0.113.9, 10.0.0.2")),
        ),
        AccessSample(target="/docs/functions?sig=f()"),
        AccessSample(target="/paste?code=int+main()+%7B+return+0;+%7D"),
        AccessSample(target="/paste?code=setTimeout(function()+%7B+%7D,+1000)"),
        AccessSample(target="/search?q=css+:is()+%7B+%7D"),
        AccessSample(target="/search?q=if+()+%7B+x;+%7D"),
        AccessSample(target="/", referer="https://example.org/?q=function+()+%7B+x;+%7D"),
        ErrorSample(message="PHP Parse error:  syntax error in /var/www/a.php: function() { x; }"),
    )


class ShellshockBashImport(CodeRule):
    """bash reporting a function definition it refused or failed to import (CGI stderr)."""

    id = "shellshock-bash-import"
    cves = ("CVE-2014-6271", "CVE-2014-7169")
    categories = ("shellshock",)
    severity = Severity.CRITICAL
    description = "bash stderr about an imported function definition (Shellshock reached CGI)"
    pattern = Regex(r"ignoring function definition attempt|error importing function definition for")
    trigger = r"function definition"
    must_match = (
        ErrorSample(
            message="/bin/bash: warning: HTTP_TEST: ignoring function definition attempt",
            code="AH01215",
            module="cgi",
        ),
        ErrorSample(
            message="/bin/bash: error importing function definition for `HTTP_TEST'",
            code="AH01215",
            module="cgi",
        ),
    )
    must_not_match = (
        ErrorSample(
            message="/usr/lib/cgi-bin/stats.pl: Use of uninitialized value", code="AH01215"
        ),
        ErrorSample(message="File does not exist: /var/www/html/function-definition"),
    )
