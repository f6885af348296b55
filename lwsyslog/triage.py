"""Triage: every event is urgent or standard, as in the original design.

Access-log events are urgent by HTTP status, error-log events by level; any detection makes an
event urgent. 404 is standard by default: a missing favicon is not an incident, and 404 bursts
have a threshold rule of their own (``scan-404-burst``).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from lwsyslog.errors import ConfigError
from lwsyslog.events import AccessEvent, ErrorEvent

__all__ = ["Triage", "Urgency", "parse_status_set"]


class Urgency(StrEnum):
    """The two triage classes."""

    URGENT = "urgent"
    STANDARD = "standard"


class Triage:
    """Classifies events; built once from the configured status set and levels."""

    def __init__(self, urgent_statuses: Iterable[int], urgent_levels: Iterable[str]) -> None:
        self._urgent_statuses = frozenset(urgent_statuses)
        self._urgent_levels = frozenset(level.lower() for level in urgent_levels)

    def classify(self, event: AccessEvent | ErrorEvent, detected: bool) -> Urgency:
        """Urgent when a rule fired or the status/level is configured urgent."""
        if detected:
            return Urgency.URGENT
        if isinstance(event, AccessEvent):
            urgent = event.status in self._urgent_statuses
        else:
            urgent = event.level.lower() in self._urgent_levels
        return Urgency.URGENT if urgent else Urgency.STANDARD


def parse_status_set(specs: Iterable[str], *, file: str, table: str, key: str) -> frozenset[int]:
    """Expand ``["4xx", "500-504", "302"]`` into the set of status codes it names."""
    statuses: set[int] = set()
    for spec in specs:
        text = spec.strip().lower()
        try:
            if len(text) == 3 and text.endswith("xx") and text[0].isdigit():
                base = int(text[0]) * 100
                statuses.update(range(base, base + 100))
            elif "-" in text:
                low, high = (int(part) for part in text.split("-", 1))
                if not 100 <= low <= high <= 999:
                    raise ValueError(spec)
                statuses.update(range(low, high + 1))
            else:
                code = int(text)
                if not 100 <= code <= 999:
                    raise ValueError(spec)
                statuses.add(code)
        except ValueError:
            raise ConfigError(
                f"bad status {spec!r}: use NNN, Nxx or NNN-MMM", file=file, table=table, key=key
            ) from None
    return frozenset(statuses)
