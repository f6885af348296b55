"""Times people type for ``--since`` / ``--until``: ``30m``, ``24h``, ``7d``, ``2w``, ``now``,
``today``, ``yesterday``, or an ISO date or date and time.

A date or time without a zone is local time, as ``journalctl --since`` reads it. A relative
time counts back from a reference: ``--until`` (or now) for ``--since``, now for ``--until``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["TimeSpec", "parse_timespec", "resolve_period"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_RELATIVE = re.compile(r"(\d{1,6})\s*([smhdw])")


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
    """Read ``text``; ValueError with the accepted forms when it is none of them."""
    value = text.strip().lower()
    match = _RELATIVE.fullmatch(value)
    if match:
        return TimeSpec(text, ago=float(int(match[1]) * _UNITS[match[2]]))
    if value == "now":
        return TimeSpec(text, ago=0.0)
    if value in ("today", "yesterday"):
        today = (
            (now or datetime.now()).astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
        )
        day = today if value == "today" else today - timedelta(days=1)
        return TimeSpec(text, at=day.timestamp())
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"cannot read time {text!r}: use 30m, 24h, 7d, 2w, now, today, yesterday, "
            "2026-11-23 or 2026-11-23T14:00[:00][+01:00]"
        ) from None
    return TimeSpec(text, at=parsed.astimezone().timestamp())


def resolve_period(
    since: TimeSpec | None, until: TimeSpec | None, now: float
) -> tuple[float | None, float | None]:
    """(since, until) in epoch seconds; ``since`` relative to ``until`` when both are given."""
    end = until.resolve(now) if until is not None else None
    start = since.resolve(end if end is not None else now) if since is not None else None
    return start, end
