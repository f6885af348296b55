"""Shellshock (CVE-2014-6271/6278): a bash function definition in a header or the path."""

from __future__ import annotations

from lwsyslog.matching.linear import Regex
from lwsyslog.rules.base import BOTH, CodeRule, PatternRule
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = ["ShellshockBashImport", "ShellshockFunctionDef"]


class ShellshockFunctionDef(PatternRule):
    """``() { :; };`` in a field that a CGI program receives as an environment variable."""

    id = "shellshock-function-def"
    cves = ("CVE-2014-6271", "CVE-2014-7169")
    categories = ("shellshock",)
    severity = Severity.CRITICAL
    description = "bash function definition '() {' in a header or the path (Shellshock)"
    logs = BOTH
    fields = ("user_agent", "referer", "cookie", "headers", "target", "message")
    pattern = Regex(r"\(\s*\)\s*\{[^}]*?[;}]")
    trigger = r"\(\s*\)\s*\{"
    gate = "("
    must_match = (
        AccessSample(target="/cgi-bin/status", user_agent="() { :; }; /bin/bash -c 'id'"),
        AccessSample(target="/cgi-bin/test.cgi", referer="() { _; } >_[$($())] { echo; id; }"),
        AccessSample(target="/cgi-bin/x", cookie="() { :;}; echo vulnerable"),
        AccessSample(target="/cgi-bin/%28%29%20%7B%20%3A%3B%20%7D%3B%20id"),
        AccessSample(target="/cgi-bin/status", headers=(("Host", "() { :; }; /bin/bash -c id"),)),
    )
    must_not_match = (
        AccessSample(target="/cgi-bin/status", user_agent="Mozilla/5.0 (X11; Linux x86_64)"),
        AccessSample(
            target="/cgi-bin/status",
            headers=(("Host", "www.example.org"), ("X-Forwarded-For", "203.0.113.9, 10.0.0.2")),
        ),
        AccessSample(target="/docs/functions?sig=f()"),
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
