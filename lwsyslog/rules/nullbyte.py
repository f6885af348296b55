"""A NUL byte in the request target: the classic file-name truncation.

``../../etc/passwd%00`` cuts off the ``.php`` an application appends to a file name, and
``shell.php%00.jpg`` passes an extension check yet is saved or run as ``shell.php``. No browser
puts a NUL in a URL. An application that decodes HTML references reads ``&#0;`` (sent as
``%26%230;``) as one too. Decoding drops NUL bytes (:func:`lwsyslog.normalize.decode`), so this
rule reads the target as logged, case-folded: ``%00`` also double-encoded (``%2500``,
``%25%30%30``, ``%%30%30``), IIS's ``%u0000``, the overlong ``%c0%80``, and a raw NUL.

A site whose URLs carry binary data (a BitTorrent tracker's ``info_hash``) switches the rule
off, or allows those paths, in ``[rules.protocol-null-byte]``.
"""

from __future__ import annotations

from lwsyslog.events import Event
from lwsyslog.matching.fold import fold
from lwsyslog.matching.linear import Regex, linear_search
from lwsyslog.normalize import EventView
from lwsyslog.rules.base import ACCESS, Rule, RuleMatch
from lwsyslog.rules.samples import AccessSample
from lwsyslog.severity import Severity

__all__ = ["ProtocolNullByte"]

# Some text before the NUL (a file name, at most 16 characters) is reported with it.
_NUL = linear_search(
    Regex(
        r"(?P<frag>[^/?&=%]{0,16}(?:%(?:25)*(?:00|%30%30)|%u0000|%c0%80|\x00"
        r"|(?:&|%26)(?:#|%23)(?:x|%78)?0+(?:;|%3b))"
        r"(?:\.[a-z0-9]{1,5})?)"
    )
)


class ProtocolNullByte(Rule):
    """``%00`` (or another spelling of a NUL byte) anywhere in the request target."""

    id = "protocol-null-byte"
    categories = ("protocol-anomaly",)
    severity = Severity.HIGH
    description = "NUL byte in the request (%00: file-name truncation, extension bypass)"
    logs = ACCESS
    form = "raw"
    # No raw NUL among the literals: Hyperscan's literal compiler reads them as C strings.
    # Apache answers a request line holding one with 400 before any application sees it.
    triggers = {"target": r"%00|%2500|%2525|%30%30|%u0000|%c0%80|&#|%26#|&%23|%26%23"}
    must_match = (
        AccessSample(target="/index.php?page=../../../etc/passwd%00"),
        AccessSample(target="/upload/shell.php%00.jpg"),
        AccessSample(target="/view?file=report.pdf%2500.html"),
        AccessSample(target="/view?file=x%25%30%30.txt"),
        AccessSample(target="/view?file=x%%30%30"),
        AccessSample(target="/index.php%U0000.txt"),
        AccessSample(target="/search?q=%00"),
        AccessSample(target="/upload/x.php%26%230;.jpg"),
        AccessSample(target="/view?file=x.php%26%23x00%3B.txt"),
    )
    must_not_match = (
        AccessSample(target="/prices?min=100&max=2000"),
        AccessSample(target="/search?q=100%25+cotton"),
        AccessSample(target="/img/2024/10/00/photo.jpg"),
        AccessSample(target="/search?q=%2530%2530"),
        AccessSample(target="/color?hex=%23000000"),
        AccessSample(target="/search?q=%26%2310;+newline"),
        AccessSample(target="/search?q=%26%23x0a%3B+and+%26%23048%3B"),
        AccessSample(target="/search?q=tom%26%23039;s"),
    )

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """The NUL and the file name before it, in the target as logged."""
        target = view.raw("target")
        if not target:
            return None
        fragment = _NUL.search(fold(target))
        return None if fragment is None else RuleMatch("target", fragment)
