"""Cross-site scripting: markup or script planted in a field a page may echo."""

from __future__ import annotations

from lwsyslog.matching.linear import Regex
from lwsyslog.rules.base import BOTH, PAYLOAD_FIELDS, PatternRule
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = [
    "XssEventHandler",
    "XssInjectedTag",
    "XssJsSink",
    "XssJsUri",
    "XssLegacyVector",
    "XssScriptTag",
]


class XssScriptTag(PatternRule):
    """A ``<script>`` tag."""

    id = "xss-script-tag"
    categories = ("xss",)
    severity = Severity.HIGH
    description = "<script> tag in a parameter or header"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = Regex(r"<\s*/?\s*script\b")
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
    # Inside one tag: no "<" or ">" between its name and the handler.
    pattern = Regex(r"(?:<[a-z!/][^<>]*?[\s/\"'`]|[\"'`]\s*)on[a-z]{4,}\s*=")
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
    # After the scheme, code: not a title such as "javascript: the good parts" (a word and
    # another word after a space), unless the word is a JavaScript operator or global
    # ("javascript: void ..."). What the code starts with is matched, not reported.
    pattern = Regex(
        r"(?P<frag>(?:java|vb|live)\s?script\s*:)\s*(?:$|[^\sa-z]|[a-z][\w.$]*(?:$|\s*[^\s\w])"
        r"|(?:void|typeof|delete|this|top|self|parent|window|document|location|eval|alert"
        r"|prompt|confirm)\b)"
        r"|data\s*:\s*(?:text/html|image/svg\+xml|application/xhtml)"
    )
    words = frozenset({"javascript", "vbscript", "livescript", "script", "data"})
    gate = "(`;<:"
    must_match = (
        AccessSample(target="/redirect?url=javascript:alert(document.cookie)"),
        AccessSample(target="/redirect?url=JaVa%09ScRiPt%3Aalert(1)"),
        AccessSample(target="/r?u=data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
        AccessSample(target="/r?u=data:text/html,%20hello%3E"),
        AccessSample(target="/redirect?url=javascript://%250Aalert(1)"),
        AccessSample(target="/redirect?url=javascript:%20void%20document.cookie"),
        AccessSample(target="/redirect?url=javascript:"),
    )
    must_not_match = (
        AccessSample(target="/learn/javascript/closures"),
        AccessSample(target="/api/data?format=json"),
        AccessSample(target="/books/search?q=javascript:+the+good+parts"),
        AccessSample(target="/books/search?q=JavaScript:+The+Definitive+Guide&page=2"),
    )


class XssInjectedTag(PatternRule):
    """An active or document-level HTML element (iframe, svg, img, a href...) in a parameter.

    Also markup that breaks out of an attribute into a new element of any name (``"><x y=``),
    and closing tags that end the page's own document or raw-text elements (``</title>``).
    """

    id = "xss-injected-tag"
    categories = ("xss",)
    severity = Severity.HIGH
    description = "active HTML element (<iframe, <svg, <img, <a href...) in a parameter"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = Regex(
        r"<\s*/?\s*(?:iframe|frame|frameset|svg|img|image|body|object|embed|video|audio|source"
        r"|details|math|marquee|base|link|meta|form|isindex|applet|style|xss|input|textarea"
        r"|keygen|layer|ilayer|xml|html|head|title|bgsound|xmp|plaintext|noscript|template)\b"
        r"|<\s*a\s[^<>]*?\bhref\s*=|<\s*/\s*a\s*>"
        r"|['\"`]\s*/?>\s*<\s*[a-z][\w:-]*[\s/]+[\w:-]+\s*="
    )
    trigger = r"<"
    gate = "<"
    must_match = (
        AccessSample(target="/p?q=%3Ciframe%20src=//evil.example%3E"),
        AccessSample(target="/p?q=%26lt%3Bsvg%26gt%3B"),
        AccessSample(target="/", cookie="name=<IMG SRC=x>"),
        AccessSample(target="/p?q=%3Ca%20href=%22https://evil.example/login%22%3Eclick%3C/a%3E"),
        AccessSample(target="/p?q=%3Clayer%20src=%22//evil.example/x.html%22%3E%3C/layer%3E"),
        AccessSample(target="/p?name=x%22%3E%3Cfoo%20bar=baz(1)%3E"),
        AccessSample(target="/p?title=%3C/title%3E%3Cb%3Ehi"),
    )
    must_not_match = (
        AccessSample(target="/images/iframe-guide.png"),
        AccessSample(target="/compare?a=1%3C2&b=3"),
        AccessSample(target="/search?q=%3Cb%3Ebold%3C/b%3E+text"),
        AccessSample(target="/search?q=a+%3C+b+and+c+%3E+d"),
    )


class XssJsSink(PatternRule):
    """Classic proof-of-concept calls and DOM sinks (alert(), document.cookie...)."""

    id = "xss-js-sink"
    categories = ("xss",)
    severity = Severity.HIGH
    description = "JavaScript probe or sink (alert(), document.cookie, fromCharCode)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = Regex(
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


class XssLegacyVector(PatternRule):
    """Script vectors of CSS and old browsers: ``expression(``, ``behavior:``, ``datasrc=``...

    IE ran CSS ``expression()`` and ``behavior: url(x.htc)``, Firefox ``-moz-binding``; IE's
    data binding (``datasrc``/``dataformatas=html``), ``<?import`` namespaces and ``mhtml:``
    URIs load markup; Netscape ran ``&{...}`` entities. Still sent by every scanner.
    """

    id = "xss-legacy-vector"
    categories = ("xss",)
    severity = Severity.HIGH
    description = "legacy script vector (CSS expression(, behavior:, -moz-binding, datasrc=)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = Regex(
        r"[:=]\s*['\"]?\s*expression\s*\(|\bbehaviou?r\s*:\s*url\s*\(|-moz-binding\s*:"
        r"|\bbinding\s*:\s*url\s*\(|\bdata(?:src|fld|formatas)\s*=|<\?\s*(?:import|xml:namespace)\b"
        r"|\bmhtml:[a-z]|&\{[^}]*\}"
    )
    words = frozenset(
        {
            "expression", "behavior", "behaviour", "binding", "datasrc", "datafld", "dataformatas",
            "import", "xml", "mhtml",
        }
    )  # fmt: skip
    trigger = r"&\{"
    gate = ":=<&"
    must_match = (
        AccessSample(target="/p?c=%3Cdiv%20style=%22width:expression(alert(1))%22%3E"),
        AccessSample(target="/p?c=%3Cp%20style=%22behavior:%20url(/x.htc)%22%3E"),
        AccessSample(target="/p?c=body%7B-moz-binding:url(//evil.example/x.xml%23a)%7D"),
        AccessSample(target="/p?c=%3Cspan%20datasrc=%23d%20datafld=x%20dataformatas=html%3E"),
        AccessSample(target="/p?c=%3C?import%20namespace=%22t%22%20implementation=%22x%22%3E"),
        AccessSample(target="/p?c=x%26%7Balert(1)%7D;"),
    )
    must_not_match = (
        AccessSample(target="/docs/regular-expression-syntax?lang=en"),
        AccessSample(target="/search?q=regular+expression+(regex)+tutorial"),
        AccessSample(target="/search?q=dog+behavior+training"),
        AccessSample(target="/api/import?format=xml&data=1"),
    )
