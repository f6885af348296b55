"""Reading what can be read of an access line that arrived cut (or fits no format at all).

A request padded past a relay's message limit arrives without its end: no closing quote, no
status, perhaps half a User-Agent. No format fits it, yet the attack sits in its first bytes
(``GET /index.html?file=../../../../etc/passwd&pad=AAAA...``). :func:`salvage_access` reads
the prefix every Apache access format shares (``[vhost[:port] ]client ident user [time]
"request``) and whatever follows of the combined layout, as far as it goes, and returns an
:class:`~lwsyslog.events.AccessEvent` marked ``cut`` so the rules still see the request line,
the Referer and the User-Agent that made it, and the ``protocol-cut-line`` rule says the line
was cut. The client counts only when it is an IP address: a line that fits nothing must not
frame anyone by a name it carries.
"""

from __future__ import annotations

import ipaddress
import re

from lwsyslog.events import AccessEvent, Origin
from lwsyslog.formats.fields import split_request_line, unescape
from lwsyslog.timeparse import apache_time

__all__ = ["salvage_access"]

# Apache-escaped text: runs of characters but a quote or backslash, or a backslash pair. The
# two alternatives start with different characters, and the possessive quantifiers (Python
# 3.11) never give back what they took: one step per run, not per character (a 128 KiB cut
# line of ordinary text is read in a seventh of the time), and never a backtrack.
_TEXT = r'(?:[^"\\]++|\\.)*+'
_CUT = re.compile(
    rf'(?:(?P<vhost>[^\s"\[\]]+) )?(?P<client>[0-9A-Fa-f:.]+) \S+ \S+ \[(?P<time>[^\]]{{1,64}})\] '
    rf'"(?P<request>{_TEXT})'
    rf'(?:"(?: (?P<status>\d{{3}}|-)(?: \S+(?: "(?P<referer>{_TEXT})'
    rf'(?:"(?: "(?P<agent>{_TEXT}))?)?)?)?)?)?',
    re.DOTALL,
)


def _address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return ""


def salvage_access(text: str, origin: Origin) -> AccessEvent | None:
    """The access event readable from ``text``, marked ``cut``, or ``None`` when not even the
    common prefix with an IP address as client is there."""
    match = _CUT.match(text)
    if match is None:
        return None
    client = _address(match["client"])
    if not client:
        return None
    request = unescape(match["request"])
    method, target, protocol = split_request_line(request)
    status_text = match["status"]
    return AccessEvent(
        origin=origin,
        raw=text,
        client_ip=client,
        time=apache_time(match["time"]),
        method=method,
        target=target if target else request,
        protocol=protocol,
        request_line=request,
        status=int(status_text) if status_text and status_text != "-" else None,
        referer="" if match["referer"] in (None, "-") else unescape(match["referer"]),
        user_agent="" if match["agent"] in (None, "-") else unescape(match["agent"]),
        vhost=(match["vhost"] or "").split(":", 1)[0],
        cut=True,
    )
