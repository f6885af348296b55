"""WAF verdicts: ModSecurity already blocked or flagged the request."""

from __future__ import annotations

import re

from lwsyslog.matching.linear import Regex
from lwsyslog.rules.base import CodeRule
from lwsyslog.rules.samples import ErrorSample
from lwsyslog.severity import Severity

__all__ = ["WafModSecurityBlock", "WafModSecurityWarning"]


class WafModSecurityBlock(CodeRule):
    """ModSecurity denied a request."""

    id = "waf-modsecurity-block"
    categories = ("waf-block",)
    severity = Severity.MEDIUM
    description = "ModSecurity: Access denied"
    # "Access denied" anywhere after the module's name in the message.
    pattern = Regex(r"mod_?security:.*?access denied", re.DOTALL)
    trigger = r"mod_?security"
    must_match = (
        ErrorSample(
            message='ModSecurity: [file "/etc/modsecurity/crs/REQUEST-941-APPLICATION-ATTACK-XSS'
            '.conf"] [line "37"] [id "941100"] [msg "XSS Attack Detected via libinjection"] '
            'Access denied with code 403 (phase 2). [hostname "www.example.com"] [uri "/"]',
            module="security2",
        ),
        ErrorSample(message='mod_security: Access denied with code 403. Pattern match "w00tw00t"',
                    module=""),
    )  # fmt: skip
    must_not_match = (
        ErrorSample(message='ModSecurity: Warning. Matched phrase "nikto" at REQUEST_HEADERS.',
                    module="security2"),
        ErrorSample(message="AH01630: client denied by server configuration: /srv/www/admin"),
    )  # fmt: skip


_BLOCKED = WafModSecurityBlock()


class WafModSecurityWarning(CodeRule):
    """ModSecurity flagged a request without blocking it (detection-only mode)."""

    id = "waf-modsecurity-warning"
    categories = ("waf-block",)
    severity = Severity.LOW
    description = "ModSecurity warning (rule matched, request not blocked)"
    pattern = Regex(r"mod_?security:\s*(?:\[[^\]]*\]\s*)*warning\b")
    trigger = r"mod_?security"
    must_match = (
        ErrorSample(message='ModSecurity: Warning. Matched phrase "nikto" at REQUEST_HEADERS.',
                    module="security2"),
        ErrorSample(message="ModSecurity: Warning. Operator GE matched 5 at TX:anomaly_score.",
                    module="security2"),
    )  # fmt: skip
    must_not_match = (
        ErrorSample(message="ModSecurity: Access denied with code 403 (phase 2).",
                    module="security2"),
        ErrorSample(message="ModSecurity for Apache/2.9.7 configured.", level="notice",
                    client_ip=""),
    )  # fmt: skip

    def match_field(self, field: str, text: str) -> str | None:
        """A warning that is not also a block (the block rule reports those)."""
        if _BLOCKED.match_field(field, text) is not None:
            return None
        return super().match_field(field, text)
