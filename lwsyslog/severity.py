"""Severity of findings and alerts, and its mapping to syslog priorities."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Severity"]


class Severity(StrEnum):
    """How bad a finding or alert is; ordered low < medium < high < critical."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """Position in the order low=0 .. critical=3."""
        return _RANK[self]

    @property
    def syslog_priority(self) -> int:
        """journald PRIORITY for an alert of this severity (critical 2 .. low 5)."""
        return 5 - _RANK[self]

    def raised(self, steps: int = 1) -> Severity:
        """This severity moved up by ``steps``, capped at critical."""
        return _ORDER[min(_RANK[self] + steps, len(_ORDER) - 1)]


_ORDER = (Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)
_RANK = {severity: index for index, severity in enumerate(_ORDER)}
