"""The plain fast path's conversion as one class, for the build that compiles it to C.

:func:`~lwsyslog.formats.plain_event.compile_plain_event` writes a Python function per format,
the fastest conversion the interpreter can run. mypyc cannot compile code written at run time,
but it compiles this class, which reads the same :class:`~lwsyslog.formats.plain_event.PlainPlan`
and converts the same way: compiled, it costs about half of the written function. The access
format picks this one only where it runs compiled (:data:`COMPILED`); tests compare the two.
"""

from __future__ import annotations

import importlib.machinery
import re
from collections.abc import Callable
from typing import Final

from lwsyslog.events import AccessEvent, Origin
from lwsyslog.formats.addresses import client_text, last_hop
from lwsyslog.formats.fields import split_request_line
from lwsyslog.formats.plain_event import STATUS_CODES, PlainPlan, request_from_parts

__all__ = ["COMPILED", "NativePlainConverter"]

#: Whether this module runs as a C extension (the class is only faster compiled).
COMPILED: bool = (globals().get("__file__") or "").endswith(
    tuple(importlib.machinery.EXTENSION_SUFFIXES)
)


# Held in a C static here (compiled): the shared table is a module-dict look-up per line.
_STATUS_CODES: Final = STATUS_CODES


def _text(value: str | None) -> str:
    """A text field as the event holds it: absent, empty or "-" is ""."""
    return "" if not value or value == "-" else value


def _number(value: str | None, scale: int) -> int | None:
    return int(value) * scale if value and value != "-" else None


class NativePlainConverter:
    """``converter(match, origin, raw_line) -> AccessEvent`` for matches of one format's plain
    pattern, as :func:`~lwsyslog.formats.plain_event.compile_plain_event` converts them.

    Every index points into ``m.groups()``; a field the format lacks points at the pattern's
    last, always empty group, so it reads as "" or ``None`` with no test of its own.
    """

    def __init__(self, plan: PlainPlan) -> None:
        (
            self._ip,
            self._vhost,
            self._user,
            self._referer,
            self._agent,
            self._cookie,
            self._status,
            self._size,
            self._when,
            self._duration,
            self._request,
        ) = plan.fields
        self._empty = plan.groups - 1
        self._forwarded = plan.forwarded
        self._split: tuple[int, int, int] | None = plan.split
        self._parts: tuple[int, ...] | None = plan.parts
        self._frac = plan.frac
        self._extra: tuple[tuple[str, int], ...] = plan.extra
        self._time: Callable[[str], float | None] | None = plan.time
        self._frac_scale = plan.frac_scale
        self._duration_scale = plan.duration_scale

    def __call__(self, m: re.Match[str], origin: Origin, raw: str) -> AccessEvent:
        """The event of one plain match of ``raw``."""
        g: tuple[str | None, ...] = m.groups()
        method, target, protocol, request_line = self._request_fields(g)
        status_text = g[self._status]
        status = _STATUS_CODES.get(status_text or "")
        if status is None and status_text and status_text != "-":
            status = int(status_text)
        time: float | None = None
        convert = self._time
        if convert is not None:
            when = g[self._when]
            if when:
                time = convert(when)
                frac = g[self._frac]
                if frac and time is not None:
                    time += int(frac) / self._frac_scale
        extra: dict[str, str] = {}
        for key, index in self._extra:
            value = g[index]
            if value and value != "-":
                extra[key] = value
        client = _text(g[self._ip])
        if ":" in client:
            client = client_text(client)
        forwarded = g[self._forwarded]
        if forwarded and forwarded != "-":
            client = last_hop(forwarded)
        return AccessEvent(
            origin,
            raw,
            client,
            time,
            method,
            target,
            protocol,
            request_line,
            status,
            _number(g[self._size], 1),
            _text(g[self._referer]),
            _text(g[self._agent]),
            _text(g[self._user]),
            _text(g[self._vhost]),
            _text(g[self._cookie]),
            _number(g[self._duration], self._duration_scale),
            extra,
        )

    def _request_fields(self, g: tuple[str | None, ...]) -> tuple[str, str, str, str]:
        """``(method, target, protocol, request_line)``."""
        parts = self._parts
        if parts is not None:
            return request_from_parts(g[parts[0]], g[parts[1]], g[parts[2]], g[parts[3]])
        if self._request == self._empty:
            return "", "", "", ""
        request_line = _text(g[self._request])
        split = self._split
        if split is not None:
            method = g[split[0]]
            if method:
                return method, g[split[1]] or "", g[split[2]] or "", request_line
        method, target, protocol = split_request_line(request_line)
        return method, target, protocol, request_line
