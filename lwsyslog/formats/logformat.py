"""Apache ``LogFormat`` strings compiled into one anchored regular expression each.

:func:`compile_logformat` reads a format once (the grammar lives in
:mod:`lwsyslog.formats.directives`) and builds an :class:`AccessFormat`: a single ``re``
pattern with one named group per directive, and precomputed group indexes that turn a match
into an :class:`~lwsyslog.events.AccessEvent`. Per line only ``re`` and a few slices and
``int()`` calls run. Lines without a backslash (nearly all) take a faster twin of the
pattern and a conversion function written for the format (see :class:`AccessFormat`).

How a directive's value is matched depends on where it sits: inside a quoted part of the
format a value runs to the next unescaped ``"`` (Apache escapes quotes in logged strings, so
``"GET /a\\"b HTTP/1.1"`` is one field and a client cannot forge a field boundary); outside
quotes numbers are digits, names are non-blank tokens, and free text is matched lazily up to
the literal that follows it.

Some values have a tighter shape, because a line from another format must not pass for this
one with its fields shifted (``www.example.com 203.0.113.9 - - [...]``, a virtual host in
front of a combined line, must not give client ``www.example.com``):

- the client (``%h``, ``%a``) is an IP address or a host name: it starts with a letter, digit,
  ``:`` or ``_`` and holds only those, ``.``, ``-`` and ``%`` (an IPv6 zone), never a quote or
  a bracket;
- the identd logname (``%l``) is never an IP address;
- a server name (``%v``, ``%V``) holds no ``:`` unless it is an IPv6 address, so
  ``www.example.com:443`` is read as name and port, never as one name;
- a remote user with blanks (lenient matching only) never starts with ``- `` (the tell-tale of
  a shifted ``- -``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType

from lwsyslog.errors import FormatError
from lwsyslog.events import AccessEvent, Origin
from lwsyslog.formats.addresses import client_text, last_hop
from lwsyslog.formats.directives import Directive, LogFormatItem, parse_logformat
from lwsyslog.formats.fields import split_request_line, text_value
from lwsyslog.formats.plain_event import (
    PlainConverter,
    PlainPlan,
    compile_plain_event,
    request_from_parts,
)
from lwsyslog.formats.plain_native import COMPILED as NATIVE_COMPILED
from lwsyslog.formats.plain_native import NativePlainConverter
from lwsyslog.formats.segments import Groups, Part, SegmentedPattern
from lwsyslog.formats.time_directives import (
    split_time_arg,
    time_converter,
)
from lwsyslog.formats.value_patterns import CLF_TIME, KIND_TEXT, KINDS, value_pattern, value_shape
from lwsyslog.timeparse import strftime_parser

__all__ = ["BUILTIN_FORMATS", "AccessFormat", "compile_logformat", "resolve_format"]

BUILTIN_FORMATS: Mapping[str, str] = MappingProxyType(
    {
        "common": '%h %l %u %t "%r" %>s %b',
        "combined": '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"',
        "vhost_combined": '%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"',
        "vhost_combined_noport": '%v %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"',
        "vhost_common": '%v %h %l %u %t "%r" %>s %b',
        "referer": "%{Referer}i -> %U",
        "agent": "%{User-agent}i",
    }
)
"""Apache's default definitions of the named formats (httpd.conf / Debian apache2.conf), plus
``vhost_combined_noport`` and ``vhost_common``: the virtual host name without its port in
front of combined / common, a layout many setups log (Apache ships no name for it)."""

_HEADER_FIELDS = {"referer": "referer", "user-agent": "user_agent", "cookie": "cookie"}


def _extra_key(d: Directive) -> str:
    """The readable ``extra`` key for a directive that has no event field of its own."""
    arg = d.arg or ""
    by_letter = {
        "a": "peer_ip" if arg == "c" else "remote_ip",
        "A": "local_ip",
        "B": "response_bytes",
        "b": "response_bytes",
        "D": "duration_us",
        "f": "filename",
        "h": "peer_host" if arg == "c" else "remote_host",
        "H": "protocol",
        "k": "keepalive_requests",
        "l": "remote_logname",
        "L": "log_id",
        "m": "method",
        "p": f"{arg or 'canonical'}_port".replace("canonical_port", "server_port"),
        "P": {"tid": "tid", "hextid": "hextid"}.get(arg, "pid"),
        "q": "query",
        "r": "request_line",
        "R": "handler",
        "s": {"<": "status_original", ">": "status_final"}.get(d.redirect, "status"),
        "T": f"duration_{arg or 's'}",
        "u": "user",
        "U": "url_path",
        "v": "server_name",
        "V": "server_name_used",
        "X": "connection_status",
        "I": "bytes_received",
        "O": "bytes_out",
        "S": "bytes_transferred",
        "C": f"cookie:{arg}",
        "e": f"env:{arg}",
        "i": f"header:{arg.lower()}",
        "n": f"note:{arg}",
        "o": f"response_header:{arg.lower()}",
        "^ti": f"request_trailer:{arg.lower()}",
        "^to": f"response_trailer:{arg.lower()}",
    }
    if d.letter == "t":
        return f"time:{arg}" if arg else "time"
    return by_letter[d.letter]


@dataclass(slots=True)
class _Candidates:
    """Directives competing for each event field; the lowest rank wins."""

    ranked: dict[str, list[tuple[int, int, Directive]]]

    def offer(self, field: str, rank: int, index: int, d: Directive) -> None:
        self.ranked.setdefault(field, []).append((rank, index, d))

    def winner(self, field: str) -> tuple[int, Directive] | None:
        options = self.ranked.get(field)
        if not options:
            return None
        _rank, index, d = min(options, key=lambda o: (o[0], o[1]))
        return index, d


def _offer(cands: _Candidates, index: int, d: Directive) -> None:
    """Propose directive ``d`` (group ``index``) for the event fields it can fill."""
    letter, arg = d.letter, d.arg
    if letter in ("a", "h") and arg in (None, "c"):
        # %a, %h, then the connection's peer (%{c}a, %{c}h; the proxy behind mod_remoteip).
        cands.offer("client_ip", (0 if letter == "a" else 1) + (2 if arg else 0), index, d)
    elif letter in ("v", "V"):
        cands.offer("vhost", 0 if letter == "v" else 1, index, d)
    elif letter == "u":
        cands.offer("user", 0, index, d)
    elif letter == "i" and arg is not None and arg.lower() in _HEADER_FIELDS:
        cands.offer(_HEADER_FIELDS[arg.lower()], 0, index, d)
    elif letter == "s":
        cands.offer("status", {">": 0, "": 1, "<": 2}[d.redirect], index, d)
    elif letter in ("b", "B", "O"):
        cands.offer("bytes_sent", {"b": 0, "B": 1, "O": 2}[letter], index, d)
    elif letter == "D":
        cands.offer("duration", 0, index, d)
    elif letter == "T":
        cands.offer("duration", {"us": 1, "ms": 2}.get(arg or "s", 3), index, d)
    elif letter == "r":
        cands.offer("request", 0, index, d)
    elif letter in ("m", "U", "q", "H"):
        cands.offer(letter, 0, index, d)
    elif letter == "t":
        phase, rest = split_time_arg(arg or "")
        if rest in ("msec_frac", "usec_frac"):
            cands.offer("time_frac", 0, index, d)
        elif rest in ("sec", "msec", "usec") or not rest or strftime_parser(rest) is not None:
            cands.offer("time", {"": 0, "begin": 1, "end": 2}[phase], index, d)


class AccessFormat:
    """A compiled LogFormat: one anchored pattern and the conversion of a match to an event.

    ``pattern`` matches a whole line. ``plain_pattern`` is the fast path for a line without
    a backslash (so without an escape), most lines: it matches such a line exactly when
    ``pattern`` does, with the same values, several times faster on long quoted fields, and
    it splits a common request line itself (so its groups are numbered differently: its
    matches go to :attr:`plain_event`). :meth:`match` picks the right pattern for a line and
    :meth:`to_event` the right conversion for a match; :meth:`event` does both, and on a long
    line with escapes it matches the escape-aware pattern piece by piece, its quoted values
    measured in one pass each (:mod:`lwsyslog.formats.segments`: the same groups, without a
    regex step per escape). :meth:`match_lenient` (and :meth:`lenient_event`) also accepts
    lines that carry extra trailing fields after the format (a ``combined`` line with ``%D``
    appended; the surplus goes into ``extra["trailing"]``) and a remote user (``%u``)
    containing blanks, which the strict pattern reads as one token so that it cannot swallow
    a syslog header.
    ``specificity`` (the number of directives) orders formats most specific first.
    """

    __slots__ = (
        "_duration_scale",
        "_escaped",
        "_extra",
        "_forwarded",
        "_frac",
        "_frac_scale",
        "_from_parts",
        "_idx",
        "_lenient",
        "_lenient_escaped",
        "_parts",
        "_time",
        "_trailing",
        "client_from",
        "directives",
        "logformat",
        "name",
        "pattern",
        "plain_event",
        "plain_pattern",
        "plain_plan",
        "specificity",
    )

    def __init__(self, name: str, logformat: str, items: list[LogFormatItem]) -> None:
        self.name = name
        self.logformat = logformat
        self.directives = tuple(i for i in items if isinstance(i, Directive))
        self.specificity = len(self.directives)
        body, cands = _build_body(items, lenient=False)
        lenient_body, _ = _build_body(items, lenient=True)
        # One empty group after the directives: fields the format lacks point at it and
        # read "", so conversion needs no per-field presence test. The lenient pattern's
        # trailing text is the group after it.
        self._trailing = self.specificity + 1
        self._escaped = SegmentedPattern(body, r"()\Z")
        self.pattern = self._escaped.pattern
        self._lenient_escaped = SegmentedPattern(lenient_body, r"()(?:[ \t]+(.*))?\Z")
        self._lenient = self._lenient_escaped.pattern
        plain_body, _ = _build_body(items, lenient=False, plain=True)
        self.plain_pattern = re.compile(_joined(plain_body) + r"()\Z")
        self._plan(cands)
        optional = {
            i
            for i, d in enumerate(self.directives)
            if d.conditional and KINDS.get(d.letter) != KIND_TEXT
        }
        self.plain_plan = self._plain_plan(optional)
        """What the plain fast path reads of a match, and how it converts it."""
        self.plain_event: PlainConverter = (
            NativePlainConverter(self.plain_plan)
            if NATIVE_COMPILED
            else compile_plain_event(self.plain_plan)
        )
        """:meth:`to_event` for a match of ``plain_pattern``, compiled for this format: no
        value holds an escape, so none needs undoing."""

    def _plan(self, cands: _Candidates) -> None:
        empty = self.specificity  # the empty group's index in groups()
        used: set[int] = set()

        def idx(field: str) -> int:
            won = cands.winner(field)
            if won is None:
                return empty
            used.add(won[0])
            return won[0]

        self._idx = (
            idx("client_ip"),
            idx("vhost"),
            idx("user"),
            idx("referer"),
            idx("user_agent"),
            idx("cookie"),
            idx("status"),
            idx("bytes_sent"),
            idx("time"),
            idx("duration"),
            idx("request"),
        )
        self.client_from = "" if self._idx[0] == empty else "peer"
        """Where the client comes from: ``"peer"`` (%a, %h, %{c}a, %{c}h), ``"x-forwarded-for"``
        (no peer logged: the header's right-most entry), or "" (the format logs no client)."""
        # Not idx(): the header also stays in extra, where the trusted-proxy walk reads it.
        self._forwarded = empty
        if not self.client_from:
            for index, d in enumerate(self.directives):
                if d.letter == "i" and (d.arg or "").lower() == "x-forwarded-for":
                    self._forwarded, self.client_from = index, "x-forwarded-for"
                    break
        time_won = cands.winner("time")
        self._time: Callable[[str], float | None] | None = (
            None if time_won is None else time_converter(time_won[1])
        )
        frac_won = cands.winner("time_frac")
        self._frac = empty if frac_won is None or time_won is None else idx("time_frac")
        self._frac_scale = (
            1e3 if frac_won is not None and "msec" in (frac_won[1].arg or "") else 1e6
        )
        dur_won = cands.winner("duration")
        self._duration_scale = 1
        if dur_won is not None and dur_won[1].letter == "T":
            self._duration_scale = {"us": 1, "ms": 1000}.get(dur_won[1].arg or "s", 1_000_000)
        self._from_parts = cands.winner("request") is None and any(
            cands.winner(f) is not None for f in ("m", "U", "q", "H")
        )
        self._parts = (empty, empty, empty, empty)
        if self._from_parts:
            self._parts = (idx("m"), idx("U"), idx("q"), idx("H"))
        extra: list[tuple[str, int]] = []
        seen: set[str] = set()
        for index, d in enumerate(self.directives):
            if index in used:
                continue
            key = _extra_key(d)
            base, n = key, 2
            while key in seen:
                key, n = f"{base}_{n}", n + 1
            seen.add(key)
            extra.append((key, index))
        self._extra = tuple(extra)

    def _plain_plan(self, optional: set[int]) -> PlainPlan:
        """Where :meth:`_plan`'s fields sit among the plain pattern's groups (its request line
        groups shift the numbering); ``optional`` holds the directives that may not match."""
        where = self.plain_pattern.groupindex
        empty = self.plain_pattern.groups - 1
        names = [_group_name(d, i) for i, d in enumerate(self.directives)]

        def at(index: int) -> int:
            return empty if index >= self.specificity else where[names[index]] - 1

        method, target, protocol = (where.get(n, 0) - 1 for n in _split_group_names(self._idx[10]))
        return PlainPlan(
            groups=self.plain_pattern.groups,
            fields=tuple(at(i) for i in self._idx),
            forwarded=at(self._forwarded),
            split=(method, target, protocol) if method >= 0 else None,
            parts=tuple(at(i) for i in self._parts) if self._from_parts else None,
            frac=at(self._frac),
            extra=tuple((key, at(i)) for key, i in self._extra),
            optional=frozenset(at(i) for i in optional),
            time=self._time,
            frac_scale=self._frac_scale,
            duration_scale=self._duration_scale,
        )

    def match(self, line: str) -> re.Match[str] | None:
        """The match of the whole ``line``, or ``None``."""
        return (self.pattern if "\\" in line else self.plain_pattern).match(line)

    def match_lenient(self, line: str) -> re.Match[str] | None:
        """A match of the format followed by blank-separated trailing text, or ``None``."""
        return self._lenient.match(line)

    def match_escaped(self, line: str) -> Groups | None:
        """The groups of ``pattern``'s match of ``line`` (for :meth:`escaped_groups_event`),
        or ``None``; a long line is matched piece by piece."""
        return self._escaped.match(line)

    def event(self, line: str, origin: Origin, raw: str) -> AccessEvent | None:
        """The event for ``line`` (its raw text ``raw``) when it matches the whole format."""
        if "\\" not in line:
            m = self.plain_pattern.match(line)
            return None if m is None else self.plain_event(m, origin, raw)
        g = self._escaped.match(line)
        return None if g is None else self.escaped_groups_event(g, origin, raw)

    def lenient_event(self, line: str, origin: Origin, raw: str) -> AccessEvent | None:
        """The event for ``line`` when :meth:`match_lenient` matches it."""
        g = self._lenient_escaped.match(line)
        return None if g is None else self.escaped_groups_event(g, origin, raw, lenient=True)

    def parse(self, line: str, origin: Origin) -> AccessEvent | None:
        """The event for ``line`` when it matches the whole format, else ``None``."""
        m = self.match(line)
        return None if m is None else self.to_event(m, origin, line)

    def to_event(self, m: re.Match[str], origin: Origin, raw: str) -> AccessEvent:
        """Convert a match of :meth:`match` or :meth:`match_lenient` into an event."""
        if m.re is self.plain_pattern:
            return self.plain_event(m, origin, raw)
        return self.escaped_event(m, origin, raw)

    def escaped_event(self, m: re.Match[str], origin: Origin, raw: str) -> AccessEvent:
        """:meth:`to_event` for a match of the escape-aware patterns (``pattern`` and the
        lenient one): the general conversion."""
        return self.escaped_groups_event(m.groups(), origin, raw, lenient=m.re is self._lenient)

    def escaped_groups_event(
        self, g: Groups, origin: Origin, raw: str, *, lenient: bool = False
    ) -> AccessEvent:
        """:meth:`escaped_event` from the groups of the match (``lenient``: of the lenient
        pattern, whose last group is the trailing text)."""
        ip, vhost, user, referer, agent, cookie, status, size, when, duration, request = self._idx
        if self._from_parts:
            i_m, i_u, i_q, i_h = self._parts
            method, target, protocol, request_line = request_from_parts(
                g[i_m], g[i_u], g[i_q], g[i_h]
            )
        else:
            request_line = text_value(g[request])
            method, target, protocol = split_request_line(request_line)
        value = g[status]
        status_code = int(value) if value and value != "-" else None
        value = g[size]
        bytes_sent = int(value) if value and value != "-" else None
        value = g[duration]
        duration_us = int(value) * self._duration_scale if value and value != "-" else None
        value = g[when]
        time = None
        if value and self._time is not None:
            time = self._time(value)
            frac = g[self._frac]
            if frac and time is not None:
                time += int(frac) / self._frac_scale
        extra: dict[str, str] = {}
        for key, index in self._extra:
            value = g[index]
            if value and value != "-":
                extra[key] = text_value(value)
        if lenient and g[self._trailing]:
            extra["trailing"] = g[self._trailing]
        value = g[ip]
        client = value if value and value != "-" else ""
        if ":" in client:
            client = client_text(client)
        value = g[self._forwarded]
        if value and value != "-":
            client = last_hop(value)
        referer_v, agent_v, user_v, vhost_v, cookie_v = (
            g[referer],
            g[agent],
            g[user],
            g[vhost],
            g[cookie],
        )
        # Positional arguments: half the cost of keywords for this 17-field dataclass; the
        # order is checked against AccessEvent when this module is imported. Plain values
        # (no escape, not "-") are taken as they are without a call: the common case.
        return AccessEvent(
            origin,
            raw,
            client,
            time,
            method,
            target,
            protocol,
            request_line,
            status_code,
            bytes_sent,
            referer_v if referer_v != "-" and "\\" not in referer_v else text_value(referer_v),
            agent_v if agent_v != "-" and "\\" not in agent_v else text_value(agent_v),
            user_v if user_v != "-" and "\\" not in user_v else text_value(user_v),
            vhost_v if vhost_v != "-" and "\\" not in vhost_v else text_value(vhost_v),
            cookie_v if cookie_v != "-" and "\\" not in cookie_v else text_value(cookie_v),
            duration_us,
            extra,
        )

    def __repr__(self) -> str:
        return f"AccessFormat({self.name!r}, {self.logformat!r})"


_POSITIONAL_FIELDS = (
    "origin",
    "raw",
    "client_ip",
    "time",
    "method",
    "target",
    "protocol",
    "request_line",
    "status",
    "bytes_sent",
    "referer",
    "user_agent",
    "user",
    "vhost",
    "cookie",
    "duration_us",
    "extra",
)
if tuple(f.name for f in fields(AccessEvent))[: len(_POSITIONAL_FIELDS)] != _POSITIONAL_FIELDS:
    raise ImportError("AccessEvent fields changed order: update AccessFormat.to_event")


def _group_name(d: Directive, index: int) -> str:
    base = d.letter.lstrip("^")
    if d.arg and not (d.letter == "t" and "%" in d.arg):
        base += "_" + re.sub(r"\W", "_", d.arg.lower())
    return f"{base}_{index}" if base.isascii() else f"d_{index}"


def _split_group_names(index: int) -> tuple[str, str, str]:
    """Names of the method, target and protocol groups inside request line ``index``
    (directive names never start with ``_``)."""
    return f"_method_{index}", f"_target_{index}", f"_protocol_{index}"


def _split_request_pattern(index: int, value: str) -> str:
    """``value`` (a quoted request line) with the common ``METHOD target HTTP/x`` shape split
    by the pattern itself. That shape is exactly what :func:`split_request_line` splits into
    three parts; any other line matches the second branch, which leaves the groups empty. The
    atomic group keeps a failing line from retrying the second branch over the same text."""
    method, target, protocol = _split_group_names(index)
    return (
        f'(?>(?P<{method}>[A-Za-z]++) (?P<{target}>[^ "]*+) (?P<{protocol}>HTTP/[^ "]*+)(?=")'
        f"|{value})"
    )


def _build_body(
    items: list[LogFormatItem], *, lenient: bool, plain: bool = False
) -> tuple[list[Part], _Candidates]:
    """The pattern of ``items``, part by part, and the directives competing for each event
    field.

    ``plain`` builds the variant for lines without a backslash (see :func:`_value_pattern`),
    with the request line split by the pattern (:func:`_split_request_pattern`); the other
    variant's parts say what each value can match (:func:`value_shape`), for
    :class:`~lwsyslog.formats.segments.SegmentedPattern`.
    """
    parts: list[Part] = []
    cands = _Candidates({})
    inside_quotes = False
    index = 0
    for pos, item in enumerate(items):
        if isinstance(item, str):
            parts.append(Part(re.escape(item), literal=item))
            inside_quotes ^= item.count('"') % 2 == 1
            continue
        following = items[pos + 1] if pos + 1 < len(items) else ""
        next_char = following[:1] if isinstance(following, str) else "%"
        value = value_pattern(item, inside_quotes, next_char, lenient, plain)
        shape = value_shape(item, inside_quotes, next_char, lenient)
        name = _group_name(item, index)
        if plain and item.letter == "r" and inside_quotes and next_char == '"':
            value = _split_request_pattern(index, value)
        element = f"(?P<{name}>{value})"
        if value == "CLF":
            element = rf"\[(?P<{name}>{CLF_TIME})\]"
        if item.conditional and KINDS.get(item.letter) != KIND_TEXT:
            element = f"(?:{element}|-)"
            shape = shape._replace(single_end=False)
        parts.append(Part(element, None, shape.single_end, shape.blank_free, shape.run))
        _offer(cands, index, item)
        index += 1
    return parts, cands


def _joined(parts: list[Part]) -> str:
    return "".join(part.regex for part in parts)


def compile_logformat(fmt: str, name: str = "") -> AccessFormat:
    """Compile a LogFormat string (or the name of a built-in one) into an :class:`AccessFormat`.

    Raises :class:`~lwsyslog.errors.FormatError` naming the offending directive and its
    position when ``fmt`` is not a valid LogFormat.
    """
    logformat = BUILTIN_FORMATS.get(fmt, fmt)
    items = parse_logformat(logformat)
    if not any(isinstance(i, Directive) for i in items):
        raise FormatError(f"LogFormat {logformat!r} has no % directive")
    try:
        return AccessFormat(name or (fmt if fmt in BUILTIN_FORMATS else "custom"), logformat, items)
    except re.error as exc:  # a guard: every piece above is escaped or fixed
        raise FormatError(f"LogFormat {logformat!r}: cannot build a pattern: {exc}") from exc


def resolve_format(name_or_format: str) -> str:
    """The LogFormat string for a built-in name, or the argument itself."""
    return BUILTIN_FORMATS.get(name_or_format, name_or_format)
