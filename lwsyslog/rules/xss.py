"""Cross-site scripting: markup or script planted in a field a page may echo."""

from __future__ import annotations

import re

from lwsyslog.matching.linear import Regex, verified_search
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


# An attribute a breakout may put before its handler (``' autofocus tabindex=1 onfocus=``).
_ATTRIBUTE = r"\s+[a-z][\w-]*(?:\s*=\s*(?:'[^']*'|\"[^\"]*\"|[^\s'\"<>]+))?"
# What a handler's value starts with: a quote, code right after "=", or after blanks a call
# or an assignment ("onclick= handler tutorial" is a phrase, "onfocus= alert(1)" code).
_HANDLER_VALUE = r"(?:\s*['\"`]|[^\s'\"`]|\s+[\w$.\[\]]+\s*[(`=])"


class XssEventHandler(PatternRule):
    """An ``on...=`` event handler inside an injected tag or after a broken-out attribute.

    A tag may hold quoted values with ``>`` in them (``<x a='>' onfocus=``), and be opened by
    a JavaScript escape (``\\u003cimg``, decoded as ``/u003cimg``); a quote that ends an
    attribute may be followed by other attributes before the handler (``' autofocus
    onfocus='``).
    """

    id = "xss-event-handler"
    categories = ("xss",)
    severity = Severity.HIGH
    description = "HTML event handler attribute (onerror=, onload=...) injected"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    # Inside one tag: no "<" or ">" between its name and the handler but in a quoted value.
    pattern = Regex(
        r"(?:<[a-z!/][^<>]*?|(?:<|/u003c|/x3c)[a-z!/](?:[^<>'\"]|'[^']*'|\"[^\"]*\")*?)"
        r"[\s/\"'`]on[a-z]{4,}\s*="
        rf"|[\"'`](?:{_ATTRIBUTE})*\s*on[a-z]{{4,}}\s*={_HANDLER_VALUE}"
    )
    trigger = r"on[a-z]{4,}\s*="
    gate = "="
    must_match = (
        AccessSample(target="/p?q=%3Cimg%20src=x%20onerror=alert(1)%3E"),
        AccessSample(target="/p?q=%3Csvg/onload=confirm(1)%3E"),
        AccessSample(target="/p?name=x%22%20onmouseover=%22alert(1)"),
        AccessSample(target="/p?q=&#x3c;body%20onload=alert(1)&#x3e;"),
        AccessSample(target="/s?q=x%27%20autofocus%20onfocus=%27eval(name)"),
        AccessSample(target="/s?q=x%22%20autofocus%20tabindex=1%20onfocus=%22eval(name)"),
        AccessSample(target="/s?q=%3Cx%20a='%3E'%20autofocus%20tabindex=1%20onfocus=eval(name)%3E"),
        AccessSample(target="/s?q=%5Cu003cimg%20src%3Dx%20onerror%3Deval(name)%5Cu003e"),
        AccessSample(target="/p?name=x%22%20onfocus=%20alert(1)"),
    )
    must_not_match = (
        AccessSample(target="/onboarding?step=2&online=true"),
        AccessSample(target="/events?filter=onload"),
        AccessSample(target="/search?q=%22hello%22+onclick%3D+handler+tutorial"),
        AccessSample(target="/search?q=%27button%27+and+onclick+%3D+what"),
        AccessSample(target="/search?q=%22a%22+online+%3D+yes+or+no"),
        AccessSample(target="/search?q=u003c+means+%3C"),
    )


# A script scheme, a blank allowed between its letters: URL parsers drop tabs and line breaks
# anywhere in it (``jav&#x09;ascript:``), and decoding made each of them one blank.
_SCHEME = r"(?:j\s?a\s?v\s?a|v\s?b|l\s?i\s?v\s?e)\s?s\s?c\s?r\s?i\s?p\s?t\s*:"
# After the scheme, code: not a title such as "javascript: the good parts" (a word and
# another word after a space) or "JavaScript:_The_Good_Parts" (a wiki's title), unless the word
# is a JavaScript operator or global ("javascript: void ...").
_SCRIPT_CODE = (
    r"\s*(?:$|[^\sa-z_]|[a-z][\w.$]*(?:$|\s*[^\s\w])"
    r"|(?:void|typeof|delete|this|top|self|parent|window|document|location|eval|alert"
    r"|prompt|confirm)\b)"
)
_DATA_URI = r"data\s*:\s*(?:text/html|image/svg\+xml|application/xhtml)"


class XssJsUri(PatternRule):
    """A ``javascript:`` / ``vbscript:`` / ``data:text/html`` URI.

    ``javascript:void(0)`` alone (a link that does nothing, "javascript: void(0) meaning") is
    no script: the scheme and code are found by RE2, and ``re`` confirms there that the code
    is not ``void(0)`` ending the value or followed by a word.
    """

    id = "xss-js-uri"
    categories = ("xss",)
    severity = Severity.HIGH
    description = "script URI scheme (javascript:, vbscript:, data:text/html)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    # What the code starts with is matched, not reported.
    pattern = Regex(rf"(?P<frag>{_SCHEME}){_SCRIPT_CODE}|{_DATA_URI}")
    linear = verified_search(
        pattern,
        re.compile(
            rf"{_SCHEME}(?=(?!\s*void\s*(?:\(\s*0\s*\)|0\b)\s*(?:$|\s|&)){_SCRIPT_CODE})"
            rf"|{_DATA_URI}"
        ),
        lead=0,
        tries=8,
    )
    words = frozenset({"javascript", "vbscript", "livescript", "script", "data"})
    trigger = r"p\s?t\s*:"
    gate = "(`;<:"
    must_match = (
        AccessSample(target="/redirect?url=javascript:alert(document.cookie)"),
        AccessSample(target="/redirect?url=JaVa%09ScRiPt%3Aalert(1)"),
        AccessSample(target="/r?u=data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
        AccessSample(target="/r?u=data:text/html,%20hello%3E"),
        AccessSample(target="/redirect?url=javascript://%250Aalert(1)"),
        AccessSample(target="/redirect?url=javascript:%20void%20document.cookie"),
        AccessSample(target="/redirect?url=javascript:"),
        AccessSample(target="/r?u=jav%26%23x09;ascript:eval(name)"),
        AccessSample(target="/r?u=jav%09ascript:eval(name)"),
        AccessSample(target="/r?u=java%0Ascript:alert(1)"),
        AccessSample(target="/r?u=javascript:void(0);eval(name)"),
        AccessSample(target="/r?u=javascript:void(document.cookie)"),
    )
    must_not_match = (
        AccessSample(target="/wiki/JavaScript:_The_Good_Parts"),
        AccessSample(target="/search?q=javascript:+void(0)+meaning"),
        AccessSample(target="/r?u=javascript:void(0)"),
        AccessSample(target="/search?q=java+script:+the+good+parts"),
        AccessSample(target="/learn/javascript/closures"),
        AccessSample(target="/api/data?format=json"),
        AccessSample(target="/books/search?q=javascript:+the+good+parts"),
        AccessSample(target="/books/search?q=JavaScript:+The+Definitive+Guide&page=2"),
    )


_ELEMENTS = (
    r"<\s*/?\s*(?:iframe|frame|frameset|svg|img|image|body|object|embed|video|audio|source"
    r"|details|math|marquee|base|link|meta|form|isindex|applet|style|xss|input|textarea"
    r"|keygen|layer|ilayer|xml|html|head|title|bgsound|xmp|plaintext|noscript|template)\b"
)
_BREAKOUT = r"['\"`]\s*/?>\s*<\s*[a-z][\w:-]*[\s/]+[\w:-]+\s*="
# Where the links an error-log message holds of its own point: PHP's manual (docref) and web
# pages. How many of them one message may hold before the next counts whatever it is.
_OWN_LINK_TARGETS = ("https://", "http://", "function.")
_MAX_OWN_LINKS = 8


class XssInjectedTag(PatternRule):
    """An active or document-level HTML element (iframe, svg, img, a href...) in a parameter.

    Also markup that breaks out of an attribute into a new element of any name (``"><x y=``),
    and closing tags that end the page's own document or raw-text elements (``</title>``).

    Not a link to a web page or to PHP's manual in an error-log message: PHP writes its own
    there (``[<a href='function.include'>function.include</a>]`` with ``html_errors`` on), and
    WordPress's notices end with one to its documentation (every request of many 6.7 sites
    logs one). A link whose target runs script is ``xss-js-uri``'s; a protocol-relative one
    (``<a href=//evil>``, as a quoted request has it) still counts.
    """

    id = "xss-injected-tag"
    categories = ("xss",)
    severity = Severity.HIGH
    description = "active HTML element (<iframe, <svg, <img, <a href...) in a parameter"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = Regex(f"{_ELEMENTS}|<\\s*a\\s[^<>]*?\\bhref\\s*=|<\\s*/\\s*a\\s*>|{_BREAKOUT}")
    trigger = r"<"
    gate = "<"

    def match_field(self, field: str, text: str) -> str | None:
        """The pattern's match; in an error-log message, not a link to a web page or to
        PHP's manual, nor a closing ``</a>``."""
        fragment = self.linear.search(text)
        if field != "message":
            return fragment
        rest = text
        for _ in range(_MAX_OWN_LINKS):
            if fragment is None:
                return None
            end = rest.find(fragment) + len(fragment)
            if "".join(fragment.split()) != "</a>":
                opening = fragment.startswith("<") and fragment.lstrip("<").lstrip()[:2] in (
                    "a ",
                    "a\t",
                    "a\n",
                )
                target = rest[end : end + 12].lstrip(" '\"")
                if not (opening and target.startswith(_OWN_LINK_TARGETS)):
                    return fragment
            rest = rest[end:]
            fragment = self.linear.search(rest)
        return fragment

    must_match = (
        AccessSample(target="/p?q=%3Ciframe%20src=//evil.example%3E"),
        AccessSample(target="/p?q=%26lt%3Bsvg%26gt%3B"),
        AccessSample(target="/", cookie="name=<IMG SRC=x>"),
        AccessSample(target="/p?q=%3Ca%20href=%22https://evil.example/login%22%3Eclick%3C/a%3E"),
        AccessSample(target="/p?q=%3Clayer%20src=%22//evil.example/x.html%22%3E%3C/layer%3E"),
        AccessSample(target="/p?name=x%22%3E%3Cfoo%20bar=baz(1)%3E"),
        AccessSample(target="/p?title=%3C/title%3E%3Cb%3Ehi"),
        ErrorSample(message='PHP Warning:  Undefined array key "<svg onload=x>" in /x.php'),
        ErrorSample(
            message='PHP Notice:  see <a href="https://example.org/">x</a> <iframe src=//e>'
        ),
        ErrorSample(message="AH00126: Invalid URI in request GET /p?q=<a href=//evil>x</a>"),
    )
    must_not_match = (
        ErrorSample(
            message="PHP Notice:  Function _load_textdomain_just_in_time was called "
            '<strong>incorrectly</strong>. Please see <a href="https://developer.wordpress.org/'
            'advanced-administration/debug/debug-wordpress/">Debugging in WordPress</a> for more'
            " information.",
            level="notice",
        ),
        ErrorSample(
            message="PHP Warning:  include(/var/www/html/inc/header.php) [<a href='function."
            "include'>function.include</a>]: failed to open stream: No such file or directory"
        ),
        AccessSample(target="/images/iframe-guide.png"),
        AccessSample(target="/compare?a=1%3C2&b=3"),
        AccessSample(target="/search?q=%3Cb%3Ebold%3C/b%3E+text"),
        AccessSample(target="/search?q=a+%3C+b+and+c+%3E+d"),
    )


class XssJsSink(PatternRule):
    """Classic proof-of-concept calls and DOM sinks (alert(), document.cookie...).

    ``alert (x)`` with a blank counts only when what is shown is code (a number, a string, a
    regex, ``document``...): "alert (red)" is a search. After a quote that ends a JavaScript
    string and an operator (``";eval(name)//``), the sinks that run a string as code count too
    (``eval``, ``setTimeout``, ``Function``/``constructor`` on a string).
    """

    id = "xss-js-sink"
    categories = ("xss",)
    severity = Severity.HIGH
    description = "JavaScript probe or sink (alert(), document.cookie, fromCharCode)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = Regex(
        r"\b(?:alert|prompt|confirm)(?:\(|`|\s+`"
        r"|\s+\(\s*(?:[-\d'\"`/)]|document|window|this|top|self|name\b|location))"
        r"|['\"`]\s*[;,+\-*/|&^%)]\s*(?:(?:window|top|self|parent|this)\s*\.\s*)?"
        r"(?:(?:eval|settimeout|setinterval|execscript)\s*(?:\(|`)"
        r"|(?:function|[\w$.]*constructor)\s*\(\s*['\"`])"
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
            "eval",
            "settimeout",
            "setinterval",
            "execscript",
            "function",
            "constructor",
        }
    )
    gate = "(`<'\""
    must_match = (
        AccessSample(target="/p?q=%22;alert(1)//"),
        AccessSample(target="/p?q=x%27-prompt%60%60-%27"),
        AccessSample(target="/p?cb=eval(String.fromCharCode(97,108,101,114,116))"),
        AccessSample(target="/p?q=%22%3Btop%5B%27al%27%2B%27ert%27%5D(1)%2F%2F"),
        AccessSample(target="/s?q=%22;eval(name)//"),
        AccessSample(target="/s?q=%27-setTimeout(name)-%27"),
        AccessSample(target="/s?q=%22;Function(%27ale%27%2B%27rt(1)%27)()//"),
        AccessSample(target="/s?q=%27;[].constructor.constructor(%27alert(1)%27)()//"),
        AccessSample(target="/p?q=alert%20(1)"),
        AccessSample(target="/p?q=alert(document.domain)"),
    )
    must_not_match = (
        AccessSample(target="/static/js/alert-banner.js"),
        AccessSample(target="/help/confirm-your-email?token=abc"),
        AccessSample(target="/search?q=alert+(red)"),
        AccessSample(target="/search?q=confirm+(booking)+email"),
        AccessSample(target="/search?q=%22eval%22+function+javascript"),
        AccessSample(target="/code?q=x+%3D+%22a%22;+function(b)+%7B%7D"),
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
