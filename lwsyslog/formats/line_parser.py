"""One log line in, one event (or a counted :class:`~lwsyslog.events.Unparsed`) out.

:class:`LineParser` is the parse stage: it never raises, whatever the line holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Final, Literal

from lwsyslog.errors import FormatError
from lwsyslog.events import AccessEvent, ErrorEvent, Origin, Unparsed, UnparsedReason, origin_at
from lwsyslog.formats.errorlog import parse_error_line
from lwsyslog.formats.iis import IisReader, Source
from lwsyslog.formats.json_access import JsonAccessReader
from lwsyslog.formats.logformat import AccessFormat, compile_logformat
from lwsyslog.formats.nginx_error import looks_like_nginx_error, parse_nginx_error_line
from lwsyslog.formats.syslog_header import SyslogLine, strip_syslog_header
from lwsyslog.formats.xff import TrustedProxies

__all__ = [
    "DEFAULT_ACCESS_FORMATS",
    "DEFAULT_MAX_LINE_CHARS",
    "IIS_FORMATS",
    "JSON_FORMATS",
    "LineParser",
    "Mode",
]

Mode = Literal["auto", "access", "error"]
DEFAULT_ACCESS_FORMATS: tuple[str, ...] = (
    "vhost_combined",
    "vhost_combined_noport",
    "combined",
    "vhost_common",
    "common",
    "json",
    "iis",
)

JSON_FORMATS = frozenset({"json", "nginx_json", "apache_json"})
"""``access_formats`` names that turn on JSON-object lines (one reader: its default key mapping
covers nginx's variable names and the usual Apache JSON LogFormats)."""
IIS_FORMATS = frozenset({"iis", "w3c"})
"""``access_formats`` names that turn on IIS W3C extended entries."""

DEFAULT_MAX_LINE_CHARS = 256 * 1024
"""Longer lines are ``TOO_LONG``. Apache's default limits (8190-byte request line and
headers, each byte escaped to at most 4 characters) keep a real combined line under ~100k."""

_LINE_ENDS: Final = ("\r", "\n")


def _no_match(_text: str) -> None:
    return None


def _no_event(_match: re.Match[str], _origin: Origin, _text: str) -> AccessEvent:
    raise AssertionError("no hot format: _no_match matches nothing")


_ParseResult = AccessEvent | ErrorEvent | Unparsed
_Event = AccessEvent | ErrorEvent


class LineParser:
    """Parses access- and error-log lines into events.

    ``mode`` "auto" recognises each line on its own (a line starting with ``[`` is tried as an
    Apache error-log line first); "access" and "error" accept only that kind. ``access_formats``
    holds built-in names (``BUILTIN_FORMATS``) or raw LogFormat strings; they are tried
    most specific (most directives) first, ties in the given order, and the format that
    matched last is tried first next time (and when the last line carried a syslog header,
    the header is stripped first). A line carrying extra trailing fields after a
    known format still parses (the surplus lands in ``extra["trailing"]``). A syslog header
    is stripped when the line does not parse as-is; its host and tag then fill an empty
    ``origin.host``/``origin.tag``. A line wrapped whole in one pair of double quotes (as
    some datasets and CSV exports store lines) is read as the text inside them, with CSV's
    doubled ``""`` undone when needed, but only when that text parses; ``raw`` keeps the
    line as given. Raises :class:`~lwsyslog.errors.FormatError` at
    construction for an invalid format, never in :meth:`parse`.

    Other kinds, each recognised on its own: nginx error-log lines (whenever error lines are
    accepted); JSON-object access lines when ``access_formats`` names one of
    :data:`JSON_FORMATS` (``json_keys`` replaces key lists of
    :data:`~lwsyslog.formats.json_access.DEFAULT_JSON_KEYS`); IIS W3C extended entries and
    their ``#`` directives (:data:`~lwsyslog.events.UnparsedReason.DIRECTIVE`) when it names
    one of :data:`IIS_FORMATS` (``iis_fields``: the field list assumed before a source's
    ``#Fields:``; ``max_sources``: sources whose field list is remembered). With
    ``trusted_proxies`` (addresses or CIDR networks), an access event whose client is one of
    them and that carries ``X-Forwarded-For`` gets the forwarded client (see
    :mod:`lwsyslog.formats.xff`).
    """

    __slots__ = (
        "_access",
        "_error",
        "_formats",
        "_headers",
        "_hot",
        "_hot_event",
        "_hot_match",
        "_hot_patterns",
        "_iis",
        "_json",
        "_last",
        "_max",
        "_other",
        "_proxies",
        "_quoted",
        "internal_errors",
        "mode",
    )

    def __init__(
        self,
        mode: Mode = "auto",
        access_formats: Sequence[str] = DEFAULT_ACCESS_FORMATS,
        *,
        max_line_chars: int = DEFAULT_MAX_LINE_CHARS,
        trusted_proxies: Sequence[str] = (),
        json_keys: Mapping[str, Sequence[str]] | None = None,
        iis_fields: Sequence[str] | None = None,
        max_sources: int = 1024,
    ) -> None:
        if mode not in ("auto", "access", "error"):
            raise ValueError(f"mode must be 'auto', 'access' or 'error', not {mode!r}")
        if isinstance(access_formats, str):
            access_formats = (access_formats,)
        special = JSON_FORMATS | IIS_FORMATS
        compiled = [compile_logformat(f) for f in access_formats if f not in special]
        self._access = mode != "error"
        self._error = mode != "access"
        self._json: JsonAccessReader | None = None
        self._iis: IisReader | None = None
        if self._access and any(f in JSON_FORMATS for f in access_formats):
            self._json = JsonAccessReader(json_keys)
        if self._access and any(f in IIS_FORMATS for f in access_formats):
            self._iis = IisReader(iis_fields, max_sources=max_sources)
        if self._access and not compiled and self._json is None and self._iis is None:
            raise FormatError("no access-log format given")
        proxies = TrustedProxies(trusted_proxies)
        self._proxies: TrustedProxies | None = proxies if proxies else None
        # sorted() is stable: equally specific formats keep the caller's order.
        self._formats: tuple[AccessFormat, ...] = tuple(
            sorted(compiled, key=lambda f: -f.specificity)
        )
        self._last: AccessFormat | None = self._formats[0] if self._formats else None
        self._max = max_line_chars
        self.mode: Mode = mode
        self._headers = False
        self._other = False
        # The hot path's patterns: a format's plain pattern that also refuses what the hot
        # path must leave to _parse (a line ending in CR/LF; one starting with "[", which
        # may be an error-log line).
        guard = r"(?!\[)" if self._error else ""
        self._hot_patterns = {
            f: re.compile(guard + f.plain_pattern.pattern + r"(?<![\r\n])") for f in self._formats
        }
        self._hot: AccessFormat | None = None
        self._hot_match: Callable[[str], re.Match[str] | None] = _no_match
        self._hot_event: Callable[[re.Match[str], Origin, str], AccessEvent] = _no_event
        self._retarget()
        self._quoted = False
        self.internal_errors = 0
        """Lines that hit an unexpected exception (a bug: reported as NO_FORMAT_MATCHED)."""

    def _retarget(self) -> None:
        """Point the hot path at the last format, or nowhere while headers are expected or
        the last line was of another kind (nginx, JSON, IIS)."""
        self._hot = None if self._headers or self._other else self._last
        if self._hot is not None:
            self._hot_match = self._hot_patterns[self._hot].match
            # Its converter kept here too: read through the format object it is a look-up
            # by name for every line.
            self._hot_event = self._hot.plain_event

    @property
    def formats(self) -> tuple[AccessFormat, ...]:
        """The compiled access formats, in the order they are tried."""
        return self._formats

    def parse(self, text: str, origin: Origin) -> AccessEvent | ErrorEvent | Unparsed:
        """The event for one line (a trailing ``\\r`` or newline is ignored). Never raises."""
        try:
            # Hot path: logs are homogeneous, so the format that matched the previous line
            # almost always matches this one; everything else takes the general route.
            hot = self._hot
            if hot is not None and len(text) <= self._max:
                if "\\" not in text:
                    m = self._hot_match(text)
                    if m is not None:
                        if self._proxies is None:
                            return self._hot_event(m, origin, text)
                        return self._forwarded(self._hot_event(m, origin, text))
                elif text[-1:] not in _LINE_ENDS:
                    g = hot.match_escaped(text)
                    if g is not None and (text[:1] != "[" or not self._error):
                        if self._proxies is None:
                            return hot.escaped_groups_event(g, origin, text)
                        return self._forwarded(hot.escaped_groups_event(g, origin, text))
            event = self._parse(text, origin)
            self._retarget()
            if self._proxies is not None and event.log == "access":
                self._proxies.apply(event)
            return event
        except Exception:  # the per-line error boundary: one odd line must not stop a stream
            self.internal_errors += 1
            self._retarget()
            return Unparsed(origin, text, UnparsedReason.NO_FORMAT_MATCHED)

    def _forwarded(self, event: AccessEvent) -> AccessEvent:
        if self._proxies is not None:
            self._proxies.apply(event)
        return event

    def _parse(self, text: str, origin: Origin) -> _ParseResult:
        if text and text[-1] in "\r\n":
            text = text.rstrip("\r\n")
        if not text or text.isspace():
            return Unparsed(origin, text, UnparsedReason.EMPTY)
        if len(text) > self._max:
            return Unparsed(origin, text, UnparsedReason.TOO_LONG)
        if self._quoted:
            # The previous line came wrapped in quotes: this one very likely is too.
            quoted = self._parse_unwrapped(text, origin)
            if quoted is not None:
                return quoted
        header = None
        if self._headers:
            # The previous line came with a syslog header: this one very likely does too.
            header = strip_syslog_header(text)
            if header is not None and header.message:
                event = self._parse_body(
                    header.message, origin, text, lenient=False, host=header.host
                )
                if event is not None:
                    return self._with_header_origin(event, header)
        event = self._parse_body(text, origin, text, lenient=False)
        if event is not None:
            self._headers = self._quoted = False
            return event
        if not self._headers:
            header = strip_syslog_header(text)
        if header is None:
            event = self._parse_body(text, origin, text, lenient=True)
        elif header.message:
            event = self._parse_body(header.message, origin, text, lenient=False, host=header.host)
            if event is None:
                event = self._parse_body(header.message, origin, text, lenient=True)
            if event is not None:
                self._headers = True
                return self._with_header_origin(event, header)
        if event is not None:
            return event
        if not self._quoted:
            event = self._parse_unwrapped(text, origin)
            if event is not None:
                self._quoted = True
                return event
        reason = UnparsedReason.BINARY if "\x00" in text else UnparsedReason.NO_FORMAT_MATCHED
        return Unparsed(origin, text, reason)

    @staticmethod
    def _with_header_origin(event: _ParseResult, header: SyslogLine) -> _ParseResult:
        origin = event.origin
        if header.host and not origin.host:
            tag = origin.tag or header.tag
            event.origin = origin_at(origin.name, origin.line, header.host, tag)
        return event

    def _parse_unwrapped(self, text: str, origin: Origin) -> _ParseResult | None:
        if len(text) < 3 or text[0] != '"' or text[-1] != '"':
            return None
        inner = text[1:-1]
        for body in (inner, inner.replace('""', '"')) if '""' in inner else (inner,):
            if (body.count('"') - body.count('\\"')) % 2:
                # Unbalanced: the last quote closes a field of the line ('"1.2.3.4 - - ...
                # "curl/8"' has a stray leading quote), it does not wrap the line.
                continue
            event = self._parse_body(body, origin, text, lenient=False)
            if event is None:
                event = self._parse_body(body, origin, text, lenient=True)
            if event is not None:
                return event
        return None

    def _parse_body(
        self, text: str, origin: Origin, raw: str, *, lenient: bool, host: str = ""
    ) -> _ParseResult | None:
        """One attempt at ``text`` (a line, or its body after a syslog header). The kinds
        without a lenient variant (nginx, JSON, IIS) are tried in strict attempts only."""
        if not lenient:
            other = self._parse_other(text, origin, raw, host)
            if other is not None:
                self._other = True
                return other
        event = self._parse_apache(text, origin, raw, lenient)
        if event is not None:
            self._other = False
            return event
        if not lenient and self._iis is not None and text[0].isdigit():
            # No #Fields: seen for this source: a default field list, after Apache's formats
            # (a custom LogFormat may start with a date too).
            iis = self._iis.parse(text, origin, raw, (host or origin.host, origin.name))
            if iis is not None:
                self._other = True
            return iis
        return None

    def _parse_other(self, text: str, origin: Origin, raw: str, host: str) -> _ParseResult | None:
        """nginx error, JSON or IIS, chosen by the first character; None for anything else."""
        first = text[0]
        if first == "{":
            return None if self._json is None else self._json.parse(text, origin, raw)
        if first == "#":
            source: Source = (host or origin.host, origin.name)
            if self._iis is not None and self._iis.directive(text, source):
                return Unparsed(origin, raw, UnparsedReason.DIRECTIVE)
            return None
        if not first.isdigit():
            return None
        if self._error and looks_like_nginx_error(text):
            event = parse_nginx_error_line(text, origin, raw)
            if event is not None:
                return event
        if self._iis is not None:
            source = (host or origin.host, origin.name)
            if self._iis.knows(source):
                return self._iis.parse(text, origin, raw, source)
        return None

    def _parse_apache(
        self, text: str, origin: Origin, raw: str, lenient: bool
    ) -> AccessEvent | ErrorEvent | None:
        if self._error and (text[0] == "[" or not self._access):
            event = parse_error_line(text, origin, raw)
            if event is not None or not self._access:
                return event
            return self._parse_access(text, origin, raw, lenient)
        event_a = self._parse_access(text, origin, raw, lenient)
        if event_a is not None or not self._error:
            return event_a
        return parse_error_line(text, origin, raw)

    def _parse_access(
        self, text: str, origin: Origin, raw: str, lenient: bool
    ) -> AccessEvent | None:
        if lenient:
            for fmt in self._formats:
                event = fmt.lenient_event(text, origin, raw)
                if event is not None:
                    return event
            return None
        last = self._last
        if last is not None:
            event = last.event(text, origin, raw)
            if event is not None:
                return event
        for fmt in self._formats:
            if fmt is last:
                continue
            event = fmt.event(text, origin, raw)
            if event is not None:
                self._last = fmt
                return event
        return None
