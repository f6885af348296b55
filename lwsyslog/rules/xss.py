"""Cross-site scripting: markup or script planted in a field a page may echo."""

from __future__ import annotations

import re

from lwsyslog.rules.base import BOTH, PAYLOAD_FIELDS, PatternRule
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = ["XssEventHandler", "XssInjectedTag", "XssJsSink", "XssJsUri", "XssScriptTag"]


class XssScriptTag(PatternRule):
    """A ``<script>`` tag."""

    id = "xss-script-tag"
    categories = ("xss",)
    severity = Severity.HIGH
    description = "<script> tag in a parameter or header"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = re.compile(r"<\s*/?\s*script\b")
    trigger = r"<"
    gate = "<"
    must_match = (
        AccessSample(target="/search?q=%3Cscript%3Ealert(1)%3C/script%3E"),
        AccessSample(target="/search?q=%253CScRiPt%253Ealert(document.domain)"),
        AccessSample(target="/c?x=%u003cscript%u003e"),
        AccessSample(target="/page", referer="http://evil.example/?<script>alert(1)</script>"),
        ErrorSample(message="File does not exist: /var/www/html/<script>alert(1)</script>"),
    )
    must_not_match = (
        AccessSample(target="/static/js/script.js"),
        AccessSample(target="/docs/javascript-guide?section=scripts"),
    )


class XssEventHandler(PatternRule):
    """An ``on...=`` event handler inside an injected tag or after a broken-out attribute."""

    id = "xss-event-handler"
    categories = ("xss",)
    severity = Severity.HIGH
    description = "HTML event handler attribute (onerror=, onload=...) injected"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = re.compile(r"(?:<[a-z!/][^>]{0,300}?[\s/\"'`]|[\"'`]\s*)on[a-z]{4,25}\s*=")
    gate = "<\"'`"
    must_match = (
        AccessSample(target="/p?q=%3Cimg%20src=x%20onerror=alert(1)%3E"),
        AccessSample(target="/p?q=%3Csvg/onload=confirm(1)%3E"),
        AccessSample(target="/p?name=x%22%20onmouseover=%22alert(1)"),
        AccessSample(target="/p?q=&#x3c;body%20onload=alert(1)&#x3e;"),
    )
    must_not_match = (
        AccessSample(target="/onboarding?step=2&online=true"),
        AccessSample(target="/events?filter=onload"),
    )


class XssJsUri(PatternRule):
    """A ``javascript:`` / ``vbscript:`` / ``data:text/html`` URI."""

    id = "xss-js-uri"
    categories = ("xss",)
    severity = Severity.HIGH
    description = "script URI scheme (javascript:, vbscript:, data:text/html)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = re.compile(
        r"(?:java|vb|live)\s?script\s*:|data\s*:\s*(?:text/html|image/svg\+xml|application/xhtml)"
    )
    words = frozenset({"javascript", "vbscript", "livescript", "script", "data"})
    gate = "(`;<"
    must_match = (
        AccessSample(target="/redirect?url=javascript:alert(document.cookie)"),
        AccessSample(target="/redirect?url=JaVa%09ScRiPt%3Aalert(1)"),
        AccessSample(target="/r?u=data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
    )
    must_not_match = (
        AccessSample(target="/learn/javascript/closures"),
        AccessSample(target="/api/data?format=json"),
    )


class XssInjectedTag(PatternRule):
    """An active HTML element (iframe, svg, img, object...) in a parameter."""

    id = "xss-injected-tag"
    categories = ("xss",)
    severity = Severity.HIGH
    description = "active HTML element (<iframe, <svg, <img, <object...) in a parameter"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = re.compile(
        r"<\s*(?:iframe|frame|frameset|svg|img|image|body|object|embed|video|audio|source|details"
        r"|math|marquee|base|link|meta|form|isindex|applet|style|xss|input|textarea|keygen)\b"
    )
    trigger = r"<"
    gate = "<"
    must_match = (
        AccessSample(target="/p?q=%3Ciframe%20src=//evil.example%3E"),
        AccessSample(target="/p?q=%26lt%3Bsvg%26gt%3B"),
        AccessSample(target="/", cookie="name=<IMG SRC=x>"),
    )
    must_not_match = (
        AccessSample(target="/images/iframe-guide.png"),
        AccessSample(target="/compare?a=1%3C2&b=3"),
    )


class XssJsSink(PatternRule):
    """Classic proof-of-concept calls and DOM sinks (alert(), document.cookie...)."""

    id = "xss-js-sink"
    categories = ("xss",)
    severity = Severity.HIGH
    description = "JavaScript probe or sink (alert(), document.cookie, fromCharCode)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = re.compile(
        r"\b(?:alert|prompt|confirm)\s*(?:\(|`)"
        r"|document\s*\.\s*(?:cookie|domain|write)\b|window\s*\.\s*location\b"
        r"|\.\s*innerhtml\b|string\s*\.\s*fromcharcode\b"
        r"|\b(?:window|top|self|this|parent)\s*\[\s*['\"`][a-z]{0,10}['\"`]\s*\+"
    )
    words = frozenset(
        {
            "alert",
            "prompt",
            "confirm",
            "document",
            "window",
            "innerhtml",
            "fromcharcode",
            "top",
            "self",
            "this",
            "parent",
        }
    )
    gate = "(`<'\""
    must_match = (
        AccessSample(target="/p?q=%22;alert(1)//"),
        AccessSample(target="/p?q=x%27-prompt%60%60-%27"),
        AccessSample(target="/p?cb=eval(String.fromCharCode(97,108,101,114,116))"),
        AccessSample(target="/p?q=%22%3Btop%5B%27al%27%2B%27ert%27%5D(1)%2F%2F"),
    )
    must_not_match = (
        AccessSample(target="/static/js/alert-banner.js"),
        AccessSample(target="/help/confirm-your-email?token=abc"),
    )
