"""Apache error-log lines (2.4 default ``ErrorLogFormat`` and the 2.0/2.2 layout).

2.4: ``[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 1234:tid 5678] [client
1.2.3.4:5678] AH00126: message, referer: http://x``; 2.2: ``[Wed Oct 11 14:32:52 2000]
[error] [client 1.2.3.4] message``. The parts between the level and the message are
optional and come in Apache's order: ``[pid N:tid N]``, the source location (debug levels),
the APR status ``(13)Permission denied:``, ``[remote ip:port]``, ``[client ip:port]``. With
``ErrorLog syslog`` Apache omits the time, so a line may also start at ``[module:level]``.

The client is the address in ``[client ...]``. Without one, the address in ``[remote ...]``
is used: Apache's default format writes ``[remote ip:port]`` instead of ``[client ip:port]``
when the connection has no scoreboard slot. That is the case for requests served over HTTP/2
(mod_http2's secondary connections: an ``AH01618`` authentication failure can carry
``[remote ...]``) and for mod_proxy's connections to a backend, where the address is the
backend server rather than a browser. A custom ``ErrorLogFormat`` may write both
(``[remote %{c}a] [client %a]`` behind mod_remoteip): then ``[client ...]`` wins.

The client comes only from the bracketed prefix: the prefix is matched from the start of the
line and stops before the message, so ``[client 6.6.6.6]`` written anywhere in the message
(inside a requested URL, say) never becomes the client.

Times carry no zone in these formats; they are read as UTC (see
:func:`lwsyslog.timeparse.error_log_time`). The message is kept as Apache wrote it (its
``\\xhh`` escaping is not undone: ModSecurity's ``[id "942100"]`` and similar stay intact).
"""

from __future__ import annotations

import ipaddress
import re

from lwsyslog.events import ErrorEvent, Origin
from lwsyslog.formats.addresses import client_text
from lwsyslog.timeparse import error_log_time

__all__ = ["parse_error_line", "split_client"]

_LEVELS = r"emerg|alert|crit|error|warn|notice|info|debug|trace[1-8]"
# An address (IPv6 in brackets or bare, with a port or zone) or a host name: nothing else, so
# a control character or markup in "[client ...]" leaves the line without a client.
_CLIENT = r"\[[0-9A-Fa-f:.%\w]{1,64}\](?::\d{1,5})?|[0-9A-Za-z_.:%-]{1,80}"
_PREFIX = re.compile(
    rf"(?:\[(?P<time>[^\]]{{1,64}})\] )?"
    rf"\[(?:(?P<module>[\w.-]{{0,64}}):)?(?P<level>{_LEVELS})\] "
    r"(?:\[pid (?P<pid>\d{1,10})(?::tid (?P<tid>\d{1,24}))?\] )?"
    r"(?:[\w./-]{1,128}\(\d{1,6}\): )?"
    r"(?:\((?P<errno>-?\d{1,6})\)(?P<errtext>[^:\[\]]{0,200}): )?"
    rf"(?:\[remote (?P<remote>{_CLIENT})\] )?"
    rf"(?:\[client (?P<client>{_CLIENT})\] )?",
)
_CODE = re.compile(r"(AH\d{5}): ?")
_REFERER = ", referer: "


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def split_client(text: str, *, with_port: bool) -> tuple[str, int | None]:
    """``(ip, port)`` from the inside of ``[client ...]``.

    ``[2001:db8::1]:443`` and ``1.2.3.4:5678`` are unambiguous. Apache 2.4 writes IPv6
    clients without brackets (``2001:db8::1:443``): when ``with_port`` is true (a 2.4 line,
    which always carries a port) the last ``:digits`` is the port if what precedes it is an
    address. 2.2 lines carry no port, so an IPv6 address is kept whole.
    """
    if text.startswith("["):
        end = text.find("]")
        rest = text[end + 1 :]
        port = rest[1:]
        return text[1:end], int(port) if rest.startswith(":") and port.isdigit() else None
    colons = text.count(":")
    if colons == 1:
        ip, _, port = text.partition(":")
        if port.isdigit() and len(port) <= 5:
            return ip, int(port)
        return text, None
    if colons > 1 and with_port:
        ip, _, port = text.rpartition(":")
        if port.isdigit() and len(port) <= 5 and _is_ip(ip):
            return ip, int(port)
    return text, None


def parse_error_line(line: str, origin: Origin, raw: str | None = None) -> ErrorEvent | None:
    """The :class:`~lwsyslog.events.ErrorEvent` for an Apache error-log line, or ``None``.

    ``message`` is the text after the prefixes without the ``AHnnnnn:`` code (in ``code``)
    and without the trailing ``, referer: ...`` (in ``referer``); an APR status such as
    ``(13)Permission denied: `` stays at the start of the message. ``client_ip`` and
    ``client_port`` come from ``[client ...]``, else from ``[remote ...]`` (see the module
    docstring), else are empty. ``raw`` defaults to ``line``.
    """
    m = _PREFIX.match(line)
    if m is None:
        return None
    time_text, module, level, pid, tid, errno, errtext, remote, client = m.group(
        "time", "module", "level", "pid", "tid", "errno", "errtext", "remote", "client"
    )
    rest = line[m.end() :]
    is_24 = module is not None or pid is not None
    client_ip, client_port = "", None
    if client is not None:
        client_ip, client_port = split_client(client, with_port=is_24)
        # ModSecurity 2 repeats the client in its own message; drop the echo.
        echo = f"[client {client_ip}] "
        if rest.startswith(echo):
            rest = rest[len(echo) :]
    elif remote is not None:
        # Only 2.4 writes [remote ip:port], always with a port.
        client_ip, client_port = split_client(remote, with_port=True)
    if ":" in client_ip:
        client_ip = client_text(client_ip)  # ::ffff:1.2.3.4 from a dual-stack socket
    referer = ""
    cut = rest.rfind(_REFERER)
    if cut >= 0:
        referer = rest[cut + len(_REFERER) :]
        rest = rest[:cut]
    code = ""
    cm = _CODE.match(rest)
    if cm is not None:
        code = cm.group(1)
        rest = rest[cm.end() :]
    if errno is not None:
        rest = f"({errno}){errtext}: {rest}"
    return ErrorEvent(
        origin=origin,
        raw=line if raw is None else raw,
        time=error_log_time(time_text) if time_text else None,
        module=module or "",
        level=level,
        pid=int(pid) if pid else None,
        tid=tid or "",
        client_ip=client_ip,
        client_port=client_port,
        code=code,
        message=rest,
        referer=referer,
    )
