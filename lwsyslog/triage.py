"""Triage: every event is urgent or standard, as in the original design.

Access-log events are urgent by HTTP status, error-log events by level; any detection makes an
event urgent. 404 is standard by default: a missing favicon is not an incident, and 404 bursts
have a threshold rule of their own (``scan-404-burst``).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from lwsyslog.events import AccessEvent, ErrorEvent

__all__ = ["Triage", "Urgency"]


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
