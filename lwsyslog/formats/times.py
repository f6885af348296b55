"""Timestamps of the non-Apache formats, as seconds since the epoch (UTC).

Built on :mod:`lwsyslog.timeparse` (its per-minute caches make a line cost a dict lookup): IIS
writes ``date`` and ``time`` in UTC; nginx's error log writes local time without a zone (read as
UTC, like Apache's error log); JSON access logs carry whatever their ``log_format`` put there
(``$time_iso8601``, ``$time_local``, Apache's bracketed ``%t``, ``$msec``). Every function
returns ``None`` for a value it cannot read and never raises.
"""

from __future__ import annotations

import re

from lwsyslog.timeparse import apache_time, error_log_time, plausible

__all__ = ["iis_time", "iso8601_time", "json_time", "nginx_error_time"]

_ISO = re.compile(
    r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(Z|([+-])(\d{2}):?(\d{2}))?"
)
# Epoch seconds written after 2001-09-09 have 10 digits; a larger value is milliseconds.
_MS_EPOCH = 10**11
_MAX_EPOCH = 10**14


def iis_time(date: str, time: str) -> float | None:
    """Epoch seconds of IIS's ``date`` (``2018-01-01``) and ``time`` (``08:09:10``), UTC."""
    if len(date) != 10 or len(time) < 8:
        return None
    return error_log_time(f"{date} {time}")


def nginx_error_time(value: str) -> float | None:
    """Epoch seconds of an nginx error-log time (``2016/10/25 14:49:34``), read as UTC."""
    if len(value) != 19 or value[4] != "/" or value[7] != "/":
        return None
    return error_log_time(value.replace("/", "-"))


def iso8601_time(value: str) -> float | None:
    """Epoch seconds of an ISO 8601 time (``2026-12-05T15:29:25+00:00``, ``...Z``, no zone:
    UTC)."""
    m = _ISO.fullmatch(value)
    if m is None:
        return None
    base = error_log_time(m.group(1))
    if base is None or m.group(3) is None:
        return base
    offset = int(m.group(4)) * 3600 + int(m.group(5)) * 60
    return base - offset if m.group(3) == "+" else base + offset


def _epoch(value: float) -> float | None:
    if not 0 <= value < _MAX_EPOCH:
        return None
    return plausible(value / 1000 if value >= _MS_EPOCH else float(value))


def json_time(value: object) -> float | None:
    """Epoch seconds of a JSON log's time value, whichever of the usual layouts it has."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _epoch(value)
    if not isinstance(value, str) or not 8 <= len(value) <= 40:
        return None
    if value[0] == "[" and value[-1] == "]":
        value = value[1:-1]
    if len(value) == 26 and value[2] == "/":
        return apache_time(value)
    if value[0].isdigit() and value[4:5] == "-":
        return iso8601_time(value)
    if value.replace(".", "", 1).isdigit() and value.isascii():
        return _epoch(float(value))
    return None
