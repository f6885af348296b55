"""Protocol anomalies: requests no browser sends (odd methods, TLS on a plain port, bad lines)."""

from __future__ import annotations

import re
from collections.abc import Callable

from lwsyslog.events import Event
from lwsyslog.matching.linear import Regex
from lwsyslog.normalize import EventView, flooded_head
from lwsyslog.percent import MAX_DISTINCT_PIECES, MAX_OVERLONG_PIECES
from lwsyslog.rules.base import ACCESS, BOTH, CodeRule, Rule, RuleMatch, StatusRule
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = [
    "ProtocolBadRequestStatus",
    "ProtocolDebugMethod",
    "ProtocolEncodingFlood",
    "ProtocolInvalidUri",
    "ProtocolMalformedRequestLine",
    "ProtocolOversizedRequest",
    "ProtocolTlsOnPlainPort",
    "ProtocolWebdavMethod",
]


class _MethodRule(Rule):
    """A rule that is one set of request methods."""

    logs = ACCESS

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """A match on ``method`` when it is one of ``methods``."""
        method = view.raw("method")
        return RuleMatch("method", method) if method in self.methods else None


class ProtocolDebugMethod(_MethodRule):
    """TRACE/TRACK (cross-site tracing), CONNECT (proxy abuse), DEBUG: methods sites never use."""

    id = "protocol-debug-method"
    categories = ("protocol-anomaly",)
    severity = Severity.MEDIUM
    description = "TRACE, TRACK, CONNECT or DEBUG request"
    methods = frozenset({"TRACE", "TRACK", "CONNECT", "DEBUG"})
    must_match = (
        AccessSample(method="TRACE", target="/", status=405),
        AccessSample(method="CONNECT", target="mail.example.com:25", status=400),
        AccessSample(method="TRACK", target="/", status=501),
    )
    must_not_match = (
        AccessSample(method="OPTIONS", target="/api/v1/items", status=204),
        AccessSample(method="GET", target="/trace/viewer", status=200),
    )


class ProtocolWebdavMethod(_MethodRule):
    """WebDAV methods, a sign of scanning where WebDAV is not in use."""

    id = "protocol-webdav-method"
    categories = ("protocol-anomaly",)
    severity = Severity.LOW
    description = "WebDAV request (PROPFIND, MKCOL, MOVE, LOCK...)"
    methods = frozenset(
        {"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH"}
    )
    must_match = (
        AccessSample(method="PROPFIND", target="/", status=405),
        AccessSample(method="MKCOL", target="/uploads/x/", status=405),
    )
    must_not_match = (
        AccessSample(method="PUT", target="/api/v1/items/7", status=204),
        AccessSample(method="GET", target="/search?q=propfind", status=200),
    )


_TLS_HELLO = re.compile(r"^(?:\x16\x03|\\x16\\x03)")


class ProtocolTlsOnPlainPort(Rule):
    """A TLS handshake sent to a plain-HTTP port (Apache answers 400 and logs the bytes)."""

    id = "protocol-tls-on-plain-port"
    categories = ("protocol-anomaly",)
    severity = Severity.LOW
    description = "TLS ClientHello bytes (\\x16\\x03) received on a plain-HTTP port"
    logs = ACCESS
    statuses = frozenset({400})
    must_match = (
        AccessSample(
            method="", target="", protocol="", status=400,
            request_line="\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        ),
        AccessSample(
            method="", target="", protocol="", status=400,
            request_line="\\x16\\x03\\x01\\x00\\xa5\\x01",
        ),
    )  # fmt: skip
    must_not_match = (
        AccessSample(target="/", status=400),
        AccessSample(method="", target="", protocol="", status=400, request_line="GARBAGE"),
    )

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """A match when the request line starts with a TLS record header."""
        line = view.raw("request_line") or view.raw("method")
        match = _TLS_HELLO.search(line)
        return None if match is None else RuleMatch("request_line", line[:16])


_TOKEN_METHOD = re.compile(r"[A-Z][A-Z_-]{0,31}")


class ProtocolMalformedRequestLine(Rule):
    """A request line that is not ``METHOD target protocol`` (garbage, binary, empty method)."""

    id = "protocol-malformed-request-line"
    categories = ("protocol-anomaly",)
    severity = Severity.LOW
    description = "malformed request line (no method, or a method that is not a token)"
    logs = ACCESS
    methods = frozenset({""})
    statuses = frozenset({400, 501})
    must_match = (
        AccessSample(method="", target="", protocol="", status=400, request_line="GARBAGE"),
        AccessSample(method="get\\x00", target="/", status=501),
    )
    must_not_match = (
        AccessSample(method="", target="", protocol="", status=408, request_line=""),
        AccessSample(target="/", status=400),
    )

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """A match for a non-empty request line without a valid method (TLS is its own rule)."""
        line = view.raw("request_line")
        method = view.raw("method")
        if _TLS_HELLO.search(line or method):
            return None
        if method:
            if _TOKEN_METHOD.fullmatch(method):
                return None
            return RuleMatch("method", method[:64])
        if line and line != "-":
            return RuleMatch("request_line", line[:64])
        return None


class ProtocolBadRequestStatus(StatusRule):
    """400/414/431 answers: Apache refused the request as malformed or oversized."""

    id = "protocol-bad-request-status"
    categories = ("protocol-anomaly",)
    severity = Severity.LOW
    description = "request answered 400 Bad Request, 414 URI Too Long or 431"
    statuses = frozenset({400, 414, 431})
    must_match = (
        AccessSample(target="/", status=400),
        AccessSample(target="/" + "A" * 300, status=414),
    )
    must_not_match = (
        AccessSample(target="/", status=404),
        AccessSample(target="/", status=200),
    )


class ProtocolInvalidUri(CodeRule):
    """Apache rejecting a request line it cannot parse: bad URI, bad method, junk after it."""

    id = "protocol-invalid-uri"
    categories = ("protocol-anomaly",)
    severity = Severity.MEDIUM
    description = "invalid URI or method in request (AH00126, AH00135)"
    codes = frozenset({"AH00126", "AH00135"})
    pattern = Regex(
        r"^invalid (?:uri|method) in request"
        r"|^request failed: erroneous characters after protocol string"
    )
    trigger = r"^invalid|^request failed: erroneous"
    must_match = (
        ErrorSample(message="Invalid URI in request GET /%%32%65 HTTP/1.1", code="AH00126"),
        ErrorSample(message="Invalid URI in request \xf9h\xa9\xf3\x88\x8cXKj", module=""),
        ErrorSample(message="Invalid method in request NOOP", module=""),
    )
    must_not_match = (
        ErrorSample(message="File does not exist: /var/www/html/invalid-uri-help"),
        ErrorSample(message="AH00112: Warning: DocumentRoot [/srv/www] does not exist"),
    )


class ProtocolOversizedRequest(CodeRule):
    """Request line or headers over Apache's limits: overflow attempts (``AH00565``...)."""

    id = "protocol-oversized-request"
    categories = ("protocol-anomaly",)
    severity = Severity.MEDIUM
    description = "request line or header too long (AH00565, AH00566, AH00567)"
    codes = frozenset({"AH00565", "AH00566", "AH00567"})
    pattern = Regex(
        r"uri too long|request line too long|request header (?:exceeds|field (?:is )?too long)"
        r"|size of a request header field exceeds|request header field is missing ':'"
    )
    trigger = r"too long|exceeds|missing ':'"
    must_match = (
        ErrorSample(message="request failed: URI too long (longer than 8190)", code="AH00565"),
        ErrorSample(message="request failed: URI too long", module=""),
        ErrorSample(
            message="request failed: error reading the headers: Size of a request header field "
            "exceeds server limit.",
            module="",
        ),
    )
    must_not_match = (
        ErrorSample(message="File does not exist: /var/www/html/uri-too-long.html"),
        ErrorSample(message="AH01630: client denied by server configuration: /srv/www/x"),
    )


class ProtocolTlsSniMismatch(CodeRule):
    """TLS SNI and HTTP ``Host`` that disagree, or no SNI for a name-based virtual host.

    Browsers always send a matching SNI; a mismatch comes from scanners and scripts that
    connect by address or reuse one TLS session for another host (AH02031-AH02033). Low: one
    is a misconfigured client; a burst from one address is what thresholds look for.
    """

    id = "protocol-tls-sni-mismatch"
    categories = ("protocol-anomaly",)
    severity = Severity.LOW
    description = "TLS SNI and Host header disagree, or SNI missing (AH02031-AH02033)"
    codes = frozenset({"AH02031", "AH02032", "AH02033"})
    pattern = Regex(
        r"^hostname \S+ provided via sni(?:,| and hostname)|^no hostname was provided via sni"
    )
    trigger = r"via sni"
    must_match = (
        ErrorSample(
            message="Hostname a.example provided via SNI, but no hostname provided in HTTP request",
            code="AH02031",
            module="ssl",
        ),
        ErrorSample(
            message="Hostname a.example provided via SNI and hostname b.example provided via HTTP"
            " have no compatible SSL setup",
            module="ssl",
        ),
        ErrorSample(message="No hostname was provided via SNI for a name based virtual host"),
    )
    must_not_match = (
        ErrorSample(message="AH01964: Connection to child 3 established (server a.example:443)"),
        ErrorSample(message="File does not exist: /var/www/html/docs/via-sni.html"),
    )


# The fields the decoder flags, per log: an error entry's path is cut from its message.
_FLOOD_FIELDS = {
    "access": ("path", "query", "user_agent", "referer", "cookie", "headers"),
    "error": ("path", "message", "referer"),
}
# Fewer "%" and "&" together than this and no decoding step can meet its cap: the fewest
# "%" that make more distinct sequences than the overlong cap (two each, at the least).
_FEWEST = 2 * MAX_OVERLONG_PIECES
# Fields of 600 distinct &#N; and of 60 Cyrillic letters, percent-encoded, for the samples.
_CHARREFS = "".join(f"&#{60 + i};" for i in range(600))
_WIDE = "".join(f"%u{0x100 + i:04x}" for i in range(300))
_OVERLONG3 = "".join(f"%e0%{0x80 + i % 32:02x}%{0x80 + i // 32:02x}" for i in range(100))
_CYRILLIC = "".join(f"%D0%{0xB0 + i % 16:02X}" for i in range(60))


class ProtocolEncodingFlood(Rule):
    """A field with more distinct character references, ``%uXXXX`` or overlong escapes than
    the decoder resolves (:data:`~lwsyslog.percent.MAX_DISTINCT_PIECES` per step, fewer
    overlong sequences).

    Each distinct one costs the decoder a Python call, so it resolves that many per field and
    no more one by one (percent escapes past the cap are decoded in bulk, references left as
    they are): a flood of them would otherwise cost a line twenty normal ones, and what is
    left undecoded may hide a payload from the other rules. No browser sends
    hundreds of distinct references or ``%u`` escapes in one field; hitting the cap is the
    evidence. Cheap: a field is looked at only when it holds enough ``%`` and ``&`` together
    to meet a cap (C-level counts), and then the decoder's own flag decides
    (:meth:`~lwsyslog.normalize.EventView.flooded`).
    """

    id = "protocol-encoding-flood"
    categories = ("protocol-anomaly",)
    severity = Severity.MEDIUM
    description = (
        f"more than {MAX_DISTINCT_PIECES} distinct character references, %u or overlong "
        "escapes in one field (decoder evasion)"
    )
    logs = BOTH
    # A flooded field's decoded text may hold nothing to look for: the references past the
    # cap ("&"), overlong lead bytes read as Latin-1 (C0/C1/E0/F0 lower-cased), but %uXXXX
    # escapes past the cap are decoded in bulk (any text). So no literal selects the rule:
    # every field value is a candidate and the decoder's flag decides (a C call, cached per
    # value).
    triggers = dict.fromkeys(
        ("path", "query", "user_agent", "referer", "cookie", "headers", "message"), r"[\s\S]"
    )
    # Confirmed on the field's decoded text as the scan finds it (cached per field value):
    # a query's "&" costs a lookup there, not an evaluation of the line.
    field_local = True
    must_match = (
        AccessSample(target="/", user_agent=f"Mozilla/5.0 {_CHARREFS}"),
        AccessSample(target=f"/search?q={_WIDE}"),
        AccessSample(target="/", referer=f"https://example.com/{_OVERLONG3}"),
        AccessSample(target=f"/a{_WIDE}/index.html"),
        ErrorSample(message=f"AH00128: File does not exist: /srv/{_WIDE}", code="AH00128"),
    )
    must_not_match = (
        AccessSample(target="/search?q=" + "+".join(f"%{0x41 + i:02X}" for i in range(26)) * 2),
        AccessSample(target=f"/wiki/{_CYRILLIC}"),
        AccessSample(
            target="/news?id=7",
            referer="https://example.com/page?a=1&amp;b=2&amp;c=3&amp;d=%E2%9C%93&lt;x&gt;",
        ),
        AccessSample(target="/search?" + "&".join(f"p{i}={i}" for i in range(120))),
        AccessSample(target="/", user_agent="Mozilla/5.0 " + "&#65;" * 300),
    )

    def match_field(self, field: str, text: str) -> str | None:
        """The start of ``text`` when its decoding met a cap (:func:`flooded_head`)."""
        return flooded_head(text)

    def confirmation(self, field: str) -> Callable[[str], str | None]:
        """:func:`~lwsyslog.normalize.flooded_head` itself: compiled, where a call of
        :meth:`match_field` runs as Python (the rule is asked about many fields)."""
        return flooded_head

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """The first field whose decoding met the cap; the fragment is its start, as logged."""
        line = event.raw  # holds every field: too few "%" and "&" in it, none in them
        if line and line.count("%") + line.count("&") <= _FEWEST:
            return None
        for field in _FLOOD_FIELDS[event.log]:
            raw = view.raw(field)
            if raw.count("%") + raw.count("&") > _FEWEST and view.flooded(field):
                return RuleMatch(field, raw[:100])
        return None
