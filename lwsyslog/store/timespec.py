"""Times people type for ``--since`` / ``--until``: ``30m``, ``24h``, ``7d``, ``2w``, ``now``,
``today``, ``yesterday``, or an ISO date or date and time.

A date or time without a zone is local time, as ``journalctl --since`` reads it. A relative
time counts back from a reference: ``--until`` (or now) for ``--since``, now for ``--until``.
A time must fall within the years 1 to 9999 (what a date can show); anything else is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

__all__ = ["EARLIEST", "LATEST", "TimeSpec", "parse_timespec", "resolve_period", "showable"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_RELATIVE = re.compile(r"(\d{1,6})\s*([smhdw])")
# A day in from each end of datetime's years 1 to 9999, so that no UTC offset takes a time
# in this range to a local date outside it.
EARLIEST = datetime(1, 1, 2, tzinfo=UTC).timestamp()
"""The earliest epoch time lwsyslog shows as a date (0001-01-02 UTC)."""
LATEST = datetime(9999, 12, 31, tzinfo=UTC).timestamp()
"""The latest epoch time lwsyslog shows as a date (9999-12-31 UTC)."""
_YEAR_SECS = 365.2425 * 86400
_RANGE = "lwsyslog shows times from 0001-01-02 to 9999-12-31 (UTC)"


def showable(when: float) -> bool:
    """True when ``when`` (epoch seconds) has a date in every time zone."""
    return EARLIEST <= when <= LATEST


@dataclass(frozen=True, slots=True)
class TimeSpec:
    """A parsed time: ``ago`` seconds before a reference, or an absolute epoch ``at``."""

    text: str
    ago: float | None = None
    at: float | None = None

    def resolve(self, reference: float) -> float:
        """Epoch seconds, counting a relative time back from ``reference``."""
        if self.at is not None:
            return self.at
        assert self.ago is not None
        return reference - self.ago


def parse_timespec(text: str, now: datetime | None = None) -> TimeSpec:
    """Read ``text``; ValueError with the accepted forms when it is none of them, or saying
    the range when it is outside the years 1 to 9999. ``today`` and ``yesterday`` are
    midnights in the time zone of ``now`` (its own when aware, else the local one)."""
    value = text.strip().lower()
    match = _RELATIVE.fullmatch(value)
    if match:
        return TimeSpec(text, ago=float(int(match[1]) * _UNITS[match[2]]))
    if value == "now":
        return TimeSpec(text, ago=0.0)
    if value in ("today", "yesterday"):
        return TimeSpec(text, at=_midnight(now or datetime.now(), int(value == "yesterday")))
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"cannot read time {text!r}: use 30m, 24h, 7d, 2w, now, today, yesterday, "
            "2026-11-23 or 2026-11-23T14:00[:00][+01:00]"
        ) from None
    try:
        at = parsed.timestamp()
    except (OverflowError, ValueError):
        at = None
    if at is None or not showable(at):
        raise ValueError(f"time {text!r} is out of range: {_RANGE}")
    return TimeSpec(text, at=at)


def _midnight(now: datetime, days_back: int) -> float:
    """Epoch seconds of the midnight that starts the day ``days_back`` days before ``now``'s
    date, at that date's own UTC offset: on the day a daylight-saving change happens, the
    offset at midnight is not the offset at noon."""
    day = now.date() - timedelta(days=days_back)
    # Naive (local) or in now's zone; either way timestamp() asks the zone's rules for the
    # offset of this wall time, never reusing now's.
    return datetime.combine(day, time(), tzinfo=now.tzinfo).timestamp()


def resolve_period(
    since: TimeSpec | None, until: TimeSpec | None, now: float
) -> tuple[float | None, float | None]:
    """(since, until) in epoch seconds; ``since`` relative to ``until`` when both are given.
    ValueError naming ``--since`` or ``--until`` when one falls outside the years 1 to 9999."""
    end = _resolved(until, now, "--until")
    start = _resolved(since, end if end is not None else now, "--since")
    return start, end


def _resolved(spec: TimeSpec | None, reference: float, option: str) -> float | None:
    if spec is None:
        return None
    when = spec.resolve(reference)
    if not showable(when):
        year = 1970 + when / _YEAR_SECS
        raise ValueError(f"{option} {spec.text}: reaches about year {year:.0f}; {_RANGE}")
    return when
