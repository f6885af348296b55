"""Compact sample descriptions that every rule ships, turned into real events.

A rule's ``must_match`` / ``must_not_match`` samples name only the fields that matter
(``AccessSample(target="/x?id=1' OR 1=1--")``); the rest get realistic defaults. Samples build
:class:`~lwsyslog.events.AccessEvent` / :class:`~lwsyslog.events.ErrorEvent` directly, so rule
tests do not depend on the log parsers.
"""

from __future__ import annotations

from dataclasses import dataclass

from lwsyslog.events import AccessEvent, ErrorEvent, Origin

__all__ = ["BROWSER_UA", "AccessSample", "ErrorSample", "Sample"]

#: The User-Agent a sample gets unless it names one: an ordinary desktop browser.
BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
_SAMPLE_IP = "203.0.113.7"
_SAMPLE_TIME = 1_717_243_200.0


def _field(value: str) -> str:
    return value if value else "-"


@dataclass(frozen=True, slots=True)
class AccessSample:
    """An access-log request described by the fields a rule reads.

    ``request_line`` defaults to ``"{method} {target} {protocol}"``; pass it explicitly for
    malformed requests (then ``method``/``target`` are usually ``""``). ``headers`` are other
    logged request headers, ``(name, value)`` pairs (what ``%{Name}i`` puts in ``extra``).
    """

    target: str = "/"
    method: str = "GET"
    status: int | None = 200
    user_agent: str = BROWSER_UA
    referer: str = ""
    cookie: str = ""
    user: str = ""
    protocol: str = "HTTP/1.1"
    request_line: str | None = None
    client_ip: str = _SAMPLE_IP
    cut: bool = False
    headers: tuple[tuple[str, str], ...] = ()

    def to_event(self, origin: Origin | None = None) -> AccessEvent:
        """The :class:`AccessEvent` a parser would produce for this request."""
        request_line = self.request_line
        if request_line is None:
            request_line = " ".join(p for p in (self.method, self.target, self.protocol) if p)
        status = "-" if self.status is None else str(self.status)
        raw = (
            f"{self.client_ip} - {_field(self.user)} [01/Jun/2024:12:00:00 +0000] "
            f'"{request_line}" {status} 512 '
            f'"{_field(self.referer)}" "{_field(self.user_agent)}"'
        )
        return AccessEvent(
            origin=origin or Origin("sample", 1),
            raw=raw,
            client_ip=self.client_ip,
            time=_SAMPLE_TIME,
            method=self.method,
            target=self.target,
            protocol=self.protocol,
            request_line=request_line,
            status=self.status,
            bytes_sent=512,
            referer=self.referer,
            user_agent=self.user_agent,
            cookie=self.cookie,
            user=self.user,
            extra={f"header:{name.lower()}": value for name, value in self.headers},
            cut=self.cut,
        )


@dataclass(frozen=True, slots=True)
class ErrorSample:
    """An error-log entry described by its message and prefixes (2.4 style by default)."""

    message: str
    code: str = ""
    level: str = "error"
    module: str = "core"
    referer: str = ""
    client_ip: str = _SAMPLE_IP

    def to_event(self, origin: Origin | None = None) -> ErrorEvent:
        """The :class:`ErrorEvent` a parser would produce for this entry."""
        code = f"{self.code}: " if self.code else ""
        client = f" [client {self.client_ip}:50312]" if self.client_ip else ""
        raw = (
            f"[Sat Jun 01 12:00:00.000000 2024] [{self.module}:{self.level}] [pid 4242]"
            f"{client} {code}{self.message}"
        )
        return ErrorEvent(
            origin=origin or Origin("sample", 1),
            raw=raw,
            time=_SAMPLE_TIME,
            module=self.module,
            level=self.level,
            pid=4242,
            client_ip=self.client_ip,
            client_port=50312 if self.client_ip else None,
            code=self.code,
            message=self.message,
            referer=self.referer,
        )


Sample = AccessSample | ErrorSample
