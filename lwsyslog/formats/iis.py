"""IIS access logs in the W3C extended format.

A log is directives (``#Software:``, ``#Version:``, ``#Date:``, ``#Fields:``) and entries: one
line per request, the values of the fields ``#Fields:`` named, separated by single spaces. IIS
writes ``-`` for an empty value and ``+`` for each space inside a value (``Mozilla/5.0+(Windows+NT
10.0...``), so an entry always has exactly as many values as its ``#Fields:`` has names (the
request headers, User-Agent, Referer, Cookie and X-Forwarded-For, get their spaces back). The
field list can change within a file (a new ``#Fields:`` after a configuration change), and lines
of several servers may arrive interleaved through syslog: the list is kept per source (the
sending host and the log's name), for at most ``max_sources`` sources (least recently used
dropped). Until a source has sent its ``#Fields:`` (a stream picked up mid-file, a forwarder that
drops ``#`` lines), and for an entry that does not fit its source's list, a default list whose
length matches is used: IIS 8.5+'s default (15 fields), IIS 7's (14), or the list configured
instead.

Times are UTC (IIS's W3C logs always are). An entry whose date, time, status or client address
does not have its field's shape is not an IIS entry (``None``). A client written with its port
or IPv4-mapped is the address alone (:func:`~lwsyslog.formats.addresses.client_text`); without
a ``c-ip`` value, the right-most entry of an ``X-Forwarded-For`` field is the client.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lwsyslog.bounded import BoundedMap
from lwsyslog.errors import FormatError
from lwsyslog.events import AccessEvent, Origin
from lwsyslog.formats.addresses import client_text, last_hop
from lwsyslog.formats.json_access import XFF_KEY
from lwsyslog.formats.times import iis_time

__all__ = ["CLIENT_FIELDS", "DEFAULT_IIS_FIELDS", "IIS7_FIELDS", "IisReader", "Source"]

DEFAULT_IIS_FIELDS: tuple[str, ...] = (
    "date",
    "time",
    "s-ip",
    "cs-method",
    "cs-uri-stem",
    "cs-uri-query",
    "s-port",
    "cs-username",
    "c-ip",
    "cs(User-Agent)",
    "cs(Referer)",
    "sc-status",
    "sc-substatus",
    "sc-win32-status",
    "time-taken",
)
"""The fields IIS 8.5 and later log by default."""

IIS7_FIELDS: tuple[str, ...] = tuple(f for f in DEFAULT_IIS_FIELDS if f != "cs(Referer)")
"""The fields IIS 7.0 / 7.5 log by default (no Referer)."""

Source = tuple[str, str]
"""Whose field list applies: ``(host, log name)``."""

MAX_FIELDS = 128
_MAX_LAYOUTS = 64
_DIRECTIVE = re.compile(r"#([A-Za-z][A-Za-z-]{0,19}):")
_HOST = re.compile(r"[0-9A-Za-z:_][0-9A-Za-z_.:%-]{0,254}")
_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9()_.-]{0,63}")

# W3C field name (lower case) -> event field. Everything else goes to extra.
_EVENT_FIELDS = {
    "date": "date",
    "time": "time",
    "c-ip": "client_ip",
    "cs-method": "method",
    "cs-uri-stem": "stem",
    "cs-uri-query": "query",
    "cs-uri": "uri",
    "cs-version": "protocol",
    "cs-username": "user",
    "cs(user-agent)": "user_agent",
    "cs(referer)": "referer",
    "cs(cookie)": "cookie",
    "cs-host": "host",
    "s-sitename": "site",
    "sc-status": "status",
    "sc-bytes": "bytes_sent",
    "time-taken": "duration",
    "x-forwarded-for": "xff",
    "cs(x-forwarded-for)": "xff",
}
CLIENT_FIELDS: frozenset[str] = frozenset(
    name for name, field in _EVENT_FIELDS.items() if field in ("client_ip", "xff")
)
"""The W3C fields (lower case) a client can come from: ``c-ip``, else X-Forwarded-For."""
_EXTRA_NAMES = {
    "s-ip": "local_ip",
    "s-port": "server_port",
    "s-computername": "server",
    "s-sitename": "site",
    "sc-substatus": "substatus",
    "sc-win32-status": "win32_status",
    "cs-bytes": "bytes_received",
}
_SLOTS = (
    "date",
    "time",
    "client_ip",
    "method",
    "stem",
    "query",
    "uri",
    "protocol",
    "user",
    "user_agent",
    "referer",
    "cookie",
    "host",
    "site",
    "status",
    "bytes_sent",
    "duration",
    "xff",
)


def _extra_name(name: str) -> str:
    lower = name.lower()
    if lower in _EXTRA_NAMES:
        return _EXTRA_NAMES[lower]
    if lower.startswith("cs(") and lower.endswith(")"):
        return f"header:{lower[3:-1]}"
    if lower.startswith("sc(") and lower.endswith(")"):
        return f"response_header:{lower[3:-1]}"
    return lower


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each event field sits in an entry of one ``#Fields:`` list (``count``: absent,
    the index of the ``-`` appended to every entry's values)."""

    count: int
    slots: tuple[int, ...]  # in _SLOTS order
    extra: tuple[tuple[str, int], ...]

    @classmethod
    def build(cls, names: Sequence[str]) -> _Layout:
        index: dict[str, int] = {}
        extra: list[tuple[str, int]] = []
        seen: set[str] = set()
        for position, name in enumerate(names):
            lower = name.lower()
            slot = _EVENT_FIELDS.get(lower)
            if slot is not None and slot not in index:
                index[slot] = position
            if slot is None or lower in _EXTRA_NAMES:
                key = _extra_name(name)
                if key not in seen:
                    seen.add(key)
                    extra.append((key, position))
        count = len(names)
        return cls(count, tuple(index.get(s, count) for s in _SLOTS), tuple(extra))


def _check_fields(names: Sequence[str]) -> str | None:
    """Why ``names`` cannot be a field list, or ``None``."""
    if not names:
        return "no field names"
    if len(names) > MAX_FIELDS:
        return f"more than {MAX_FIELDS} fields"
    for name in names:
        if _FIELD_NAME.fullmatch(name) is None:
            return f"not a W3C field name: {name[:64]!r}"
    return None


def _plus(value: str) -> str:
    return value.replace("+", " ") if "+" in value else value


class IisReader:
    """Reads W3C extended entries, following each source's ``#Fields:`` directives.

    ``fields`` replaces the default field lists (used until a source's ``#Fields:`` arrives).
    Raises :class:`~lwsyslog.errors.FormatError` for an invalid list; :meth:`directive` and
    :meth:`parse` never raise.
    """

    __slots__ = ("_defaults", "_layouts", "_sources")

    def __init__(self, fields: Sequence[str] | None = None, *, max_sources: int = 1024) -> None:
        if fields is not None:
            problem = _check_fields(list(fields))
            if problem is not None:
                raise FormatError(f"IIS field list: {problem}")
            layouts = [_Layout.build(list(fields))]
        else:
            layouts = [_Layout.build(DEFAULT_IIS_FIELDS), _Layout.build(IIS7_FIELDS)]
        self._defaults = {layout.count: layout for layout in layouts}
        self._sources: BoundedMap[Source, _Layout] = BoundedMap(max_sources)
        self._layouts: dict[str, _Layout] = {}

    def knows(self, source: Source) -> bool:
        """True when ``source`` has sent a ``#Fields:`` directive (still remembered)."""
        return self._sources.get(source) is not None

    def directive(self, text: str, source: Source) -> bool:
        """Read a W3C directive line; a ``#Fields:`` sets ``source``'s field list (after an
        invalid one only the default lists apply). False when ``text`` is not a directive."""
        m = _DIRECTIVE.match(text)
        if m is None:
            return False
        if m.group(1).lower() != "fields":
            return True
        spec = text[m.end() :].strip()
        layout = self._layouts.get(spec)
        if layout is None:
            names = spec.split()
            if _check_fields(names) is not None:
                self._sources.put(source, _Layout(-1, (), ()))
                return True
            if len(self._layouts) >= _MAX_LAYOUTS:
                self._layouts.clear()
            layout = self._layouts[spec] = _Layout.build(names)
        self._sources.put(source, layout)
        return True

    def parse(self, text: str, origin: Origin, raw: str, source: Source) -> AccessEvent | None:
        """The event for one entry, or ``None`` when it does not fit ``source``'s fields (or a
        default list, before any ``#Fields:``)."""
        parts = text.split(" ")
        layout = self._sources.get(source)
        if layout is None or len(parts) != layout.count:
            # No #Fields: yet, or an entry that does not fit it (a file glued from two logs):
            # a default list of the entry's length, if there is one.
            layout = self._defaults.get(len(parts))
            if layout is None:
                return None
        parts.append("-")
        (
            date,
            time,
            client,
            method,
            stem,
            query,
            uri,
            protocol,
            user,
            agent,
            referer,
            cookie,
            host,
            site,
            status,
            size,
            taken,
            xff,
        ) = (parts[i] for i in layout.slots)
        when = None
        if date != "-" or time != "-":
            when = iis_time(date, time)
            if when is None:
                return None
        status_code = None
        if status != "-":
            if not (status.isdigit() and len(status) <= 3):
                return None
            status_code = int(status)
        xff = "" if xff == "-" else _plus(xff)
        if client == "-":
            # No c-ip logged: the nearest proxy appended X-Forwarded-For's right-most entry.
            client = last_hop(xff) if xff else ""
        else:
            client = client_text(client)
            if _HOST.fullmatch(client) is None:
                return None
        if uri != "-":
            target = uri
        else:
            target = "" if stem == "-" else stem
            if query != "-":
                target = f"{target}?{query}"
        method = "" if method == "-" else method
        protocol = "" if protocol == "-" else protocol
        extra: dict[str, str] = {}
        for key, index in layout.extra:
            value = parts[index]
            if value != "-":
                extra[key] = value
        if xff:
            extra[XFF_KEY] = xff
        return AccessEvent(
            origin,
            raw,
            client,
            when,
            method,
            target,
            protocol,
            " ".join(p for p in (method, target, protocol) if p),
            status_code,
            int(size) if size.isdigit() and len(size) <= 20 else None,
            "" if referer == "-" else _plus(referer),
            "" if agent == "-" else _plus(agent),
            "" if user == "-" else user,
            host if host != "-" else ("" if site == "-" else site),
            "" if cookie == "-" else _plus(cookie),
            int(taken) * 1000 if taken.isdigit() and len(taken) <= 15 else None,
            extra,
        )
