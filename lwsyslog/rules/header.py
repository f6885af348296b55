"""Header injection: a line break smuggled into a request so the answer carries extra headers.

A URL has no line breaks; a parameter or path that decodes to one (``%0d%0a``, double-encoded
``%250d%250a``, the UTF-8 ``嘊嘍`` that some servers cut to ``\\n\\r``) followed by a header
line is CRLF injection / HTTP response splitting: ``Set-Cookie:`` plants a session (fixation),
``Location:`` redirects, a second status line splits the response. The decoded text has every
break as one ``\\n`` (:func:`lwsyslog.normalize.decode`), so the patterns are written once.
"""

from __future__ import annotations

from lwsyslog.matching.linear import Regex
from lwsyslog.rules.base import ACCESS, PatternRule
from lwsyslog.rules.samples import AccessSample
from lwsyslog.severity import Severity

__all__ = ["HeaderInjectionKnownHeader", "HeaderInjectionProbe"]

# A decoded line break: "\n" (every CR, LF, VT, FF, NEL, U+2028/9 run), or U+560A / U+560D,
# whose low bytes are LF and CR (servers that truncate code points to bytes).
_BREAK = "[\\n\\u560a\\u560d]+"


class HeaderInjectionKnownHeader(PatternRule):
    """A line break followed by a response header an attacker plants, anywhere in the target.

    ``Set-Cookie``, ``Content-Type``/``-Length``/``-Disposition``, ``Refresh``, CORS and
    ``X-XSS-Protection`` headers, a ``Location:`` whose value is a URL or a path, and a second
    status line (``HTTP/1.1 200``). A message parameter with two lines, or one whose second
    line starts "Location: Berlin", is not this.
    """

    id = "header-injection-crlf"
    categories = ("header-injection",)
    severity = Severity.HIGH
    description = "CRLF injection: line break and a response header (%0d%0aSet-Cookie:)"
    logs = ACCESS
    fields = ("target", "cookie")
    pattern = Regex(
        _BREAK + r"(?:set-cookie2?|content-(?:type|length|disposition|security-policy|encoding)"
        r"|contenttype|contentlength|transfer-encoding|refresh|x-xss-protection|x-frame-options"
        r"|access-control-allow-[a-z-]{1,16}|x-forwarded-(?:for|host|proto)"
        r"|x-injection[a-z-]{0,16}|x-injected[a-z-]{0,16})\s?:"
        r"|" + _BREAK + r"location\s?:\s?(?:[a-z][a-z0-9+.-]{0,16}:|/)"
        r"|" + _BREAK + r"http/[0-9.]{1,3}\s\d{3}\b"
    )
    must_match = (
        AccessSample(target="/redirect?url=%0d%0aSet-Cookie:%20session=attacker"),
        AccessSample(target="/p?lang=en%250D%250ASet-cookie%253A%2520sid%253D1"),
        AccessSample(target="/%0d%0aSet-Cookie:crlf=injection"),
        AccessSample(target="/%E5%98%8A%E5%98%8DSet-Cookie:crlf=injection"),
        AccessSample(target="/go?to=x%0D%0ALocation:%20http://evil.example/"),
        AccessSample(target="/p?x=1%0d%0aContent-Length:%200%0d%0a%0d%0aHTTP/1.1%20200%20OK"),
    )
    must_not_match = (
        AccessSample(target="/contact?message=Hello%0D%0AThanks+for+the+help"),
        AccessSample(target="/contact?message=Meet+me%0ALocation:+Berlin+office"),
        AccessSample(target="/search?q=set-cookie+header+example"),
        AccessSample(target="/docs/http/Set-Cookie"),
        AccessSample(target="/search?q=%22location:%20/home%22"),
    )


# The X- header names that count mid-value: those a browser, cache, proxy or server acts on,
# and the names testers give a header of their own.
_X_HEADERS = (
    r"forwarded(?:-[a-z]+){1,2}|original-url|rewrite-url|real-ip|client-ip|remote-(?:ip|addr)"
    r"|originating-ip|cluster-client-ip|host|http-method(?:-override)?|method-override"
    r"|frame-options|xss-protection|content-type-options|content-security-policy|webkit-csp"
    r"|accel-[a-z-]{1,16}|sendfile|lighttpd-send-file|permitted-cross-domain-policies"
    r"|dns-prefetch-control|download-options|ua-compatible|robots-tag"
    r"|(?:foo|bar|test|custom|inject|crlf|hack|evil|pwn|attack)[a-z0-9_-]{0,16}"
)


class HeaderInjectionProbe(PatternRule):
    """A line break and a ``Name:`` header line where no message can have one.

    How scanners test for CRLF injection with a header of their own (``%0d%0ans:netsparker=``,
    ``%0d%09SomeCustomInjectedHeader:``, ``%250D%250Awapiti:``): anywhere in the path (no path
    holds a line break), at the start of a parameter value, or after a URL or path that a value
    holds (a redirect target: ``?next=http://x%0d%0aName:``). A message parameter whose second
    line starts ``Name:`` is none of these. Medium: it feeds the thresholds.

    Anywhere after a line break, an ``X-`` header glued to its colon and followed by a value,
    when the name is one with an effect (a proxy's routing and client address
    ``X-Forwarded-*``, ``X-Original-URL``, ``X-Real-IP``, a method override, a browser's
    ``X-Frame-Options`` or ``X-Content-Type-Options``, a server's ``X-Accel-*`` or
    ``X-Sendfile``) or one a tester names a header with (``X-Foo``, ``X-Custom-Header``,
    ``X-Injected``). Other ``X-`` words start lines of text ("X-ray: results attached",
    "X-Men: tonight"), and so do "Thanks: see you" or "Follow-up: soon".
    """

    id = "header-injection-probe"
    categories = ("header-injection",)
    severity = Severity.MEDIUM
    description = "a value or path segment that starts with a line break and a header line"
    logs = ACCESS
    fields = ("target",)
    pattern = Regex(
        r"^[^?]*?(?P<frag>" + _BREAK + r"[a-z][a-z0-9_-]*\s?:)"
        r"|(?P<frag1>[=&#]" + _BREAK + r"[a-z][a-z0-9_-]*\s?:)"
        r"|=(?:[a-z][a-z0-9+.-]{0,16}://|/)[^\s&]*(?P<frag2>" + _BREAK + r"[a-z][a-z0-9_-]*\s?:)"
        r"|(?P<frag3>" + _BREAK + r"x-(?:" + _X_HEADERS + r"):)\s?[^\s&]"
    )
    must_match = (
        AccessSample(target="/p?name=%0d%0ans:netsparker056650=vuln"),
        AccessSample(target="/index.php/%0d%09SomeCustomInjectedHeader:%20injected_by_wvs"),
        AccessSample(target="/p?msg=%250D%250Awapiti%253A%25203.0.4%2520version"),
        AccessSample(target="/p?x=%0d%0aX-Injection-Header:%20AttackValue"),
        AccessSample(target="/DVWA/dvwa/js/dvwaPage.js%0Ans:netsparker056650=vuln"),
        AccessSample(target="/echo?name=http%253A%2F%2Fwww.google.fr%250D%250Awapiti%253A%25203"),
        AccessSample(target="/r?u=x%0d%0aX-Foo:%20bar"),
        AccessSample(target="/r?u=abc%0d%0aX-Custom-Header:injected"),
        AccessSample(target="/contact?msg=Hello%0D%0AX-Forwarded-Host:%20evil.example"),
        AccessSample(target="/contact?msg=Hello%0D%0AX-Original-URL:%20/admin"),
        AccessSample(target="/p?q=a%0D%0AX-Accel-Redirect:%20/internal/secret"),
    )
    must_not_match = (
        AccessSample(target="/contact?message=Hello%0AName:+Bob"),
        AccessSample(target="/contact?message=%0AHello+there"),
        AccessSample(target="/p?note=line+one%0D%0Aline+two"),
        AccessSample(target="/time?at=12:30"),
        AccessSample(target="/contact?message=See+https://example.org/faq%0AName:+Bob"),
        AccessSample(target="/contact?message=Hi.%0AName:+Bob"),
        AccessSample(target="/contact?msg=Hello%0D%0AThanks:+see+you"),
        AccessSample(target="/contact?msg=Hello%0D%0AFollow-up:+soon"),
        AccessSample(target="/contact?msg=Hello%0D%0AX-mas+party:+friday"),
        AccessSample(target="/contact?msg=Hello%0D%0Ax-%3A+nothing"),
        AccessSample(target="/contact?msg=Hello%0D%0AX-ray%3A%20results%20attached"),
        AccessSample(target="/contact?msg=Hi%0D%0AX-Men:%20days+of+future+past"),
        AccessSample(target="/contact?msg=Hi%0D%0AX-hosting:%20ok"),
    )
