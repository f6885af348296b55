"""Recognise and strip a syslog header in front of a log line.

Lines read from files that rsyslog wrote (or pasted from ``journalctl``/``/var/log/syslog``)
carry a header: RFC 3164 ``Nov 23 14:00:00 web1 apache-access: <line>`` (optionally with
``<PRI>``, ``tag[pid]:`` and rsyslog's ISO timestamps) or RFC 5424 ``<134>1
2026-11-23T14:00:00Z web1 apache-access - - - <line>``. A header is stripped only when the
whole prefix has that shape, so an access line (which starts with an address or a host name)
is never mistaken for one.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from lwsyslog.hostnames import host_shown

__all__ = ["SyslogLine", "strip_syslog_header"]

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_ISO_TIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})"
_RFC3164 = re.compile(
    r"(?:<\d{1,3}>)?"
    rf"(?:{_MONTH} [ \d]\d \d{{2}}:\d{{2}}:\d{{2}}(?:\.\d{{1,9}})?|{_ISO_TIME}) "
    r"(?P<host>[^\s\[\]:]{1,255}) "
    r"(?P<tag>[^\s\[\]:]{1,64})(?:\[[^\]\s]{0,32}\])?: ?"
)
_SD_ELEMENT = r'\[[^\]"\\]*(?:(?:"(?:[^"\\]|\\.)*"|\\.)[^\]"\\]*)*\]'
_RFC5424 = re.compile(
    r"<\d{1,3}>\d{1,2} "
    rf"(?:-|{_ISO_TIME}) "
    r"(?P<host>\S{1,255}) (?P<tag>\S{1,48}) \S{1,128} \S{1,32} "
    rf"(?:-|(?:{_SD_ELEMENT})+)(?: |\Z)"
)


class SyslogLine(NamedTuple):
    """A line split into its syslog header parts and the message it carried."""

    host: str
    tag: str
    message: str


def strip_syslog_header(line: str) -> SyslogLine | None:
    """Split ``line`` into ``(host, tag, message)``, or ``None`` when it has no syslog header.

    ``tag`` is the program name without ``[pid]``; RFC 5424's ``-`` (nil) host or app name
    becomes ``""``; the host is as :func:`~lwsyslog.hostnames.host_shown` shows it. A UTF-8
    BOM that RFC 5424 allows before the message is dropped.
    """
    if not line:
        return None
    first = line[0]
    if first == "<" and len(line) > 4:
        m = _RFC5424.match(line)
        if m is not None:
            host, tag = m.group("host", "tag")
            message = line[m.end() :]
            if message.startswith("\ufeff"):
                message = message[1:]
            host = "" if host == "-" else host_shown(host)
            return SyslogLine(host, "" if tag == "-" else tag, message)
    elif not (first.isupper() or first.isdigit()):
        return None
    m = _RFC3164.match(line)
    if m is None:
        return None
    return SyslogLine(host_shown(m.group("host")), m.group("tag"), line[m.end() :])
