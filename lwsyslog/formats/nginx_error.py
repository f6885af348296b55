"""nginx error-log lines: ``2026/12/05 15:29:25 [error] 14043#14043: *5 MESSAGE, client: ...``.

The layout (``ngx_log_error_core`` and ``ngx_http_log_error_handler``): time (local, no zone),
``[level]``, ``pid#tid:``, ``*connection`` when there is one, the message (with `` while
ACTION`` appended), then the context: ``, client: ADDR, server: NAME`` and, for a request,
``, request: "..."``, ``, subrequest: "..."``, ``, upstream: "..."``, ``, host: "..."``,
``, referrer: "..."`` in that order. nginx escapes none of them: the message can hold a decoded
request path (``open() "/var/www/x, client: 6.6.6.6, server: y" failed``) and the request line,
``Host`` and ``Referer`` are written as the client sent them.

So the client is taken only where it cannot be forged: the context starts at the one
``, client: ADDR, server: `` of the line. When the line holds more than one such piece naming
different addresses, someone planted one and nothing tells which is nginx's: ``client_ip`` stays
empty (the attacker can hide his own address from this line, never frame another one),
``extra["ambiguous_client"]`` counts the candidates, and the whole text after the prefix is the
message, so rules reading the message still see every byte. Request fields after the client are
split left to right at the first marker of each next field: text planted in one field can only
move into a later one, and the last (``referrer``) is read by the rules.
"""

from __future__ import annotations

import re

from lwsyslog.events import ErrorEvent, Origin
from lwsyslog.formats.addresses import client_text
from lwsyslog.formats.fields import split_request_line
from lwsyslog.formats.times import nginx_error_time

__all__ = ["looks_like_nginx_error", "parse_nginx_error_line"]

_PREFIX = re.compile(
    r"(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) "
    r"\[(emerg|alert|crit|error|warn|notice|info|debug)\] "
    r"(\d{1,10})#(\d{1,24}): (?:\*(\d{1,20}) )?"
)
_CLIENT_MARK = ", client: "
# What follows ", client: " in nginx's own context: an address (or unix:) then the server.
_CLIENT_AT = re.compile(r", client: ([0-9A-Fa-f:.]{2,45}|unix:[^,\s]{0,108}), server: ")
# The quoted context fields, in the order nginx writes them, and where each goes.
_QUOTED = ("request", "subrequest", "upstream", "host", "referrer")
_MARKS = tuple(f', {name}: "' for name in _QUOTED)
_ENDS = tuple(f'", {name}: "' for name in _QUOTED)


def looks_like_nginx_error(text: str) -> bool:
    """A cheap test: does ``text`` start like an nginx error line (``YYYY/MM/DD HH:MM:SS [``)?"""
    return len(text) > 21 and text[4] == "/" and text[7] == "/" and text[20] == "["


def _client_candidates(rest: str) -> tuple[int, int, int, set[str]]:
    """Where nginx's context may start: ``(first start, last end, count, addresses)`` of the
    ``, client: ADDR, server: `` pieces in ``rest``. One pass: each search starts after the
    previous mark, and a match reads at most the address and ``, server: ``."""
    first = last = count = 0
    addresses: set[str] = set()
    pos = rest.find(_CLIENT_MARK)
    while pos >= 0:
        m = _CLIENT_AT.match(rest, pos)
        if m is not None:
            if not count:
                first = pos
            last = m.end()
            count += 1
            addresses.add(m.group(1))
        pos = rest.find(_CLIENT_MARK, pos + len(_CLIENT_MARK))
    return first, last, count, addresses


def _context(tail: str) -> tuple[str, dict[str, str], str]:
    """``(server, quoted fields, leftover)`` of the context after ``server: ``.

    Each quoted value ends at the earliest end marker of a field that may follow it, so text
    planted in a value can push the rest into a later field, never pull it into an earlier one.
    """
    values: dict[str, str] = {}
    starts = [tail.find(mark) for mark in _MARKS]
    present = [pos for pos in starts if pos >= 0]
    if not present:
        return tail, values, ""
    first = min(present)
    server, rest = tail[:first], tail[first:]
    for index, mark in enumerate(_MARKS):
        if not rest.startswith(mark):
            continue
        rest = rest[len(mark) :]
        cuts = [cut for cut in (rest.find(end) for end in _ENDS[index + 1 :]) if cut >= 0]
        if not cuts:
            values[_QUOTED[index]] = rest[:-1] if rest.endswith('"') else rest
            return server, values, ""
        cut = min(cuts)
        values[_QUOTED[index]] = rest[:cut]
        rest = rest[cut + 1 :]
    return server, values, rest


def parse_nginx_error_line(line: str, origin: Origin, raw: str | None = None) -> ErrorEvent | None:
    """The :class:`~lwsyslog.events.ErrorEvent` for an nginx error-log line, or ``None``.

    ``client_ip`` comes from the context's ``client:`` (see the module docstring), ``referer``
    from ``referrer:``, ``request_line`` (split into ``method``, ``target``, ``protocol``) from
    ``request:``, ``host`` from ``host:``, ``server`` from ``server:``; ``extra`` holds
    ``connection`` (the ``*N`` id), ``tid``-free ``upstream`` and ``subrequest``. Never raises.
    """
    m = _PREFIX.match(line)
    if m is None:
        return None
    time_text, level, pid, tid, connection = m.groups()
    rest = line[m.end() :]
    extra: dict[str, str] = {}
    if connection is not None:
        extra["connection"] = connection
    client_ip = server = referer = host = request_line = ""
    message = rest
    first, last, count, addresses = (
        _client_candidates(rest) if _CLIENT_MARK in rest else (0, 0, 0, set())
    )
    if len(addresses) == 1:
        address = addresses.pop()
        client_ip = "" if address.startswith("unix:") else client_text(address)
        message = rest[:first]
        server, values, leftover = _context(rest[last:])
        request_line = values.get("request", "")
        host = values.get("host", "")
        referer = values.get("referrer", "")
        for key in ("upstream", "subrequest"):
            if key in values:
                extra[key] = values[key]
        if leftover:
            extra["context"] = leftover
    elif addresses:
        extra["ambiguous_client"] = str(count)
    method, target, protocol = split_request_line(request_line) if request_line else ("", "", "")
    return ErrorEvent(
        origin=origin,
        raw=line if raw is None else raw,
        time=nginx_error_time(time_text),
        level=level,
        pid=int(pid),
        tid=tid,
        client_ip=client_ip,
        message=message,
        referer=referer,
        method=method,
        target=target,
        protocol=protocol,
        request_line=request_line,
        host=host,
        server=server,
        extra=extra,
    )
