"""Typed events produced by the parsers, and where each line came from.

An event is what every later stage reads: rules see parsed fields, never the raw line, so a
value planted inside one field (a fake ``[client 1.2.3.4]`` in a URL) cannot pose as another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, NamedTuple

__all__ = [
    "AccessEvent",
    "ErrorEvent",
    "Event",
    "Origin",
    "Unparsed",
    "UnparsedReason",
]


class Origin(NamedTuple):
    """Where one line came from (immutable; a tuple because one is made per line).

    Offline: ``name`` is the file path and ``host`` is empty. Live: ``name`` is ``host/tag`` as
    rsyslog delivered it. ``line`` is 1-based within ``name`` (live: a per-source sequence).
    """

    name: str
    line: int
    host: str = ""
    tag: str = ""

    def describe(self) -> str:
        """``name:line``, the way the messages file and journald name a location."""
        return f"{self.name}:{self.line}"


@dataclass(slots=True)
class AccessEvent:
    """One access-log line, parsed (Apache ``LogFormat``, a JSON object, IIS W3C extended).

    Strings are already unescaped from Apache's log escaping (``\\"``, ``\\\\``, ``\\xhh``); a
    field Apache logged as ``-`` is ``""`` here (``None`` for numbers). ``time`` is the
    request time in seconds since the epoch (UTC); ``None`` when the format has no time.
    When ``client_ip`` was taken from ``X-Forwarded-For`` behind a trusted proxy, the
    proxy's own address is in ``extra["peer"]``.
    """

    origin: Origin
    raw: str
    client_ip: str = ""
    time: float | None = None
    method: str = ""
    target: str = ""
    protocol: str = ""
    request_line: str = ""
    status: int | None = None
    bytes_sent: int | None = None
    referer: str = ""
    user_agent: str = ""
    user: str = ""
    vhost: str = ""
    cookie: str = ""
    duration_us: int | None = None
    extra: dict[str, str] = field(default_factory=dict)
    #: The line fit no format and was read as far as it goes (it arrived cut, most likely:
    #: see :mod:`lwsyslog.formats.cut_line`).
    cut: bool = False
    log: Literal["access"] = "access"

    @property
    def path(self) -> str:
        """The request target up to (not including) ``?``."""
        cut = self.target.find("?")
        return self.target if cut < 0 else self.target[:cut]

    @property
    def query(self) -> str:
        """The request target after the first ``?`` (empty when there is none)."""
        cut = self.target.find("?")
        return "" if cut < 0 else self.target[cut + 1 :]


@dataclass(slots=True)
class ErrorEvent:
    """One error-log entry, parsed: Apache (2.4 ``ErrorLogFormat`` default or 2.0/2.2 style) or
    nginx.

    ``module`` is empty for 2.2 and nginx lines; ``code`` is the ``AHnnnnn`` message id when
    present; ``message`` is the text after the bracketed prefixes, without ``, referer: ...``
    (nginx: the text before ``, client: ...``). The fields after ``log`` are filled only by
    formats that write them: nginx names the request (``request_line`` split into
    ``method``/``target``/``protocol``), the ``Host`` header (``host``) and the ``server``
    block; ``extra`` holds the rest (``connection``, ``upstream``, ``subrequest``...).
    """

    origin: Origin
    raw: str
    time: float | None = None
    module: str = ""
    level: str = ""
    pid: int | None = None
    tid: str = ""
    client_ip: str = ""
    client_port: int | None = None
    code: str = ""
    message: str = ""
    referer: str = ""
    log: Literal["error"] = "error"
    method: str = ""
    target: str = ""
    protocol: str = ""
    request_line: str = ""
    host: str = ""
    server: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class UnparsedReason(StrEnum):
    """The bounded set of reasons a line is not an event (counted, never fatal)."""

    NO_FORMAT_MATCHED = "no-format-matched"
    EMPTY = "empty"
    TOO_LONG = "too-long"
    BINARY = "binary"
    DIRECTIVE = "directive"
    """A format's own header line (W3C ``#Fields:``, ``#Date:``...): read, not an event."""


@dataclass(slots=True)
class Unparsed:
    """A line that fits no known format; counted under ``reason``."""

    origin: Origin
    raw: str
    reason: UnparsedReason
    log: Literal["unparsed"] = "unparsed"


Event = AccessEvent | ErrorEvent
