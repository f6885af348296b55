"""Fast conversion of Apache log timestamps to seconds since the epoch (UTC).

``datetime.strptime`` costs about 10 us a call, more than the rest of a line's parsing. Log
lines arrive in time order, so consecutive lines share everything but the seconds: the
epoch of each *minute* (with its zone) is computed once and kept in a small bounded cache,
and a line costs a dict lookup plus integer arithmetic.

Every function returns ``None`` for a value it cannot read; none of them raises. A time before
1970 or after 9998 is not one a web server wrote: it is ``None`` too (:func:`plausible`), so
every later step can show any time it is given (``datetime`` stops at the year 9999, and a
local zone moves a time by up to a day).
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime

__all__ = ["LATEST", "apache_time", "error_log_time", "plausible", "strftime_parser"]

_MONTHS = {
    "Jan": 1,
    "Feb": 2,
    "Mar": 3,
    "Apr": 4,
    "May": 5,
    "Jun": 6,
    "Jul": 7,
    "Aug": 8,
    "Sep": 9,
    "Oct": 10,
    "Nov": 11,
    "Dec": 12,
}

# Large enough for hours of logs from many zones; cleared (not evicted one by one) when
# full because old minutes are almost never seen again.
_CACHE_LIMIT = 4096

_APACHE_MINUTE = re.compile(r"(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})")
_apache_minutes: dict[str, float | None] = {}
# "00".."60" (a leap second included): a lookup both validates and converts.
_SECONDS: dict[str, int] = {f"{s:02d}": s for s in range(61)}
_apache_seconds: dict[str, float | None] = {}


#: The latest time a parser returns: the start of 9998-12-31 UTC.
LATEST = float(calendar.timegm((9998, 12, 31, 0, 0, 0, 0, 0, 0)))
_FIRST_YEAR, _LAST_YEAR = 1970, 9998


def plausible(epoch: float | None) -> float | None:
    """``epoch`` when it lies between 1970 and :data:`LATEST`, else ``None``."""
    if epoch is None or not 0.0 <= epoch <= LATEST:
        return None
    return epoch


def _minute_epoch(year: int, month: int, day: int, hour: int, minute: int) -> float | None:
    """Epoch of a UTC minute, or ``None`` when the date does not exist (31 Feb) or its year is
    outside 1970-9998 (a zone offset then keeps it inside what ``datetime`` shows)."""
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        return None
    try:
        datetime(year, month, day, hour, minute)
    except ValueError:
        return None
    return float(calendar.timegm((year, month, day, hour, minute, 0, 0, 0, 0)))


def _apache_minute(key: str) -> float | None:
    m = _APACHE_MINUTE.fullmatch(key)
    if m is None:
        return None
    day, mon, year, hour, minute, sign, zh, zm = m.groups()
    month = _MONTHS.get(mon)
    if month is None:
        return None
    base = _minute_epoch(int(year), month, int(day), int(hour), int(minute))
    if base is None:
        return None
    offset = int(zh) * 3600 + int(zm) * 60
    return base - offset if sign == "+" else base + offset


def apache_time(value: str) -> float | None:
    """Epoch seconds of an Apache ``%t`` value such as ``10/Oct/2000:13:55:36 -0700``.

    The surrounding brackets must already be removed. The zone in the value is honoured.
    """
    # Busy logs repeat the same second many times: a whole-value hit skips even the slicing.
    hit = _apache_seconds.get(value, 0.5)
    if hit != 0.5:
        return hit
    if len(_apache_seconds) >= _CACHE_LIMIT:
        _apache_seconds.clear()
    result = _apache_seconds[value] = _apache_time(value)
    return result


def _apache_time(value: str) -> float | None:
    # Layout: "10/Oct/2000:13:55" ":36" " -0700" (26 characters).
    if len(value) != 26 or value[17] != ":":
        return None
    key = value[:17] + value[20:]
    base = _apache_minutes.get(key, 0.5)
    if base == 0.5:  # 0.5 is never a minute epoch: it marks "not cached yet"
        if len(_apache_minutes) >= _CACHE_LIMIT:
            _apache_minutes.clear()
        base = _apache_minutes[key] = _apache_minute(key)
    if base is None:
        return None
    seconds = _SECONDS.get(value[18:20])
    return None if seconds is None else base + seconds


_ERROR_TIME = re.compile(
    # 2.2 / 2.4 "%{u}t": "Wed Oct 11 14:32:52.123456 2000" (fraction only in 2.4)
    r"[A-Z][a-z]{2} ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,9})? (\d{4})"
    # 2.4 "%{cu}t": "2000-10-11 14:32:52.123456"
    r"|(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?"
)
_error_minutes: dict[tuple[int, int, int, int, int], float | None] = {}


def error_log_time(value: str) -> float | None:
    """Epoch seconds of an Apache error-log time (``Wed Oct 11 14:32:52.123456 2000``).

    Accepts the 2.0/2.2 form (no fraction), the 2.4 default ``%{u}t`` form and the compact
    ``%{cu}t`` form (``2000-10-11 14:32:52.123456``). Error-log times carry no zone: they are
    read as UTC, so a server that logs in local time is off by its UTC offset.
    """
    m = _ERROR_TIME.fullmatch(value)
    if m is None:
        return None
    g = m.groups()
    if g[0] is not None:
        month = _MONTHS.get(g[0])
        if month is None:
            return None
        key = (int(g[6]), month, int(g[1]), int(g[2]), int(g[3]))
        sec, frac = g[4], g[5]
    else:
        key = (int(g[7]), int(g[8]), int(g[9]), int(g[10]), int(g[11]))
        sec, frac = g[12], g[13]
    base = _error_minutes.get(key, 0.5)
    if base == 0.5:
        if len(_error_minutes) >= _CACHE_LIMIT:
            _error_minutes.clear()
        base = _error_minutes[key] = _minute_epoch(*key)
    seconds = int(sec)
    if base is None or seconds > 60:
        return None
    return base + seconds + (float(frac) if frac else 0.0)


# strftime conversions Python's strptime lacks, rewritten to ones it has.
_STRPTIME_ALIASES = {"T": "%H:%M:%S", "D": "%m/%d/%y", "F": "%Y-%m-%d", "R": "%H:%M", "e": "%d"}
_APACHE_STRFTIME = "%d/%b/%Y:%H:%M:%S %z"


def _normalise_strftime(fmt: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c == "%" and i + 1 < len(fmt):
            code = fmt[i + 1]
            out.append(_STRPTIME_ALIASES.get(code, "%" + code))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def strftime_parser(fmt: str) -> _StrftimeParser | None:
    """A callable reading times written with the strftime format ``fmt`` (Apache ``%{fmt}t``).

    Returns ``None`` when ``fmt`` does not name a full date and time (a bare ``%H:%M`` cannot
    become an epoch). Apache's own ``%d/%b/%Y:%H:%M:%S %z`` uses the fast path of
    :func:`apache_time`; other formats go through ``strptime`` with a per-format cache of
    recent values. Values without ``%z`` are read as UTC.
    """
    norm = _normalise_strftime(fmt)
    if norm == _APACHE_STRFTIME:
        return _StrftimeParser(norm, fast=True)
    if norm == "%s":
        return _StrftimeParser(norm, fast=False)
    has_year = "%Y" in norm or "%y" in norm
    has_month = any(c in norm for c in ("%m", "%b", "%B", "%h"))
    has_date = (has_month and "%d" in norm) or "%j" in norm
    if not (has_year and has_date and "%H" in norm):
        return None
    try:
        datetime.strptime(datetime(2000, 1, 2, 3, 4, 5, tzinfo=UTC).strftime(norm), norm)
    except ValueError:
        return None
    return _StrftimeParser(norm, fast=False)


class _StrftimeParser:
    """Reads one strftime layout; see :func:`strftime_parser`."""

    __slots__ = ("_cache", "_fast", "_fmt")

    def __init__(self, fmt: str, *, fast: bool) -> None:
        self._fmt = fmt
        self._fast = fast
        self._cache: dict[str, float | None] = {}

    def __call__(self, value: str) -> float | None:
        if self._fast:
            return apache_time(value)
        hit = self._cache.get(value, 0.5)
        if hit != 0.5:
            return hit
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        result = self._cache[value] = self._parse(value)
        return result

    def _parse(self, value: str) -> float | None:
        if self._fmt == "%s":
            return plausible(float(value)) if value.isascii() and value.isdigit() else None
        try:
            parsed = datetime.strptime(value, self._fmt)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            return plausible(float(calendar.timegm(parsed.timetuple())) + parsed.microsecond / 1e6)
        try:
            return plausible(parsed.timestamp())
        except (OverflowError, ValueError):
            return None
