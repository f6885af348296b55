"""A sink that keeps alerts in a list: for tests and for ``lwsyslog scan``."""

from __future__ import annotations

from lwsyslog.alerts import Alert

__all__ = ["MemorySink"]


class MemorySink:
    """Collects alerts in :attr:`alerts` (only the first ``keep`` when given: a long scan
    must not hold every alert in memory)."""

    name = "memory"

    def __init__(self, keep: int | None = None) -> None:
        self.alerts: list[Alert] = []
        self._keep = keep

    def write(self, alert: Alert) -> None:
        """Append ``alert`` while there is room."""
        if self._keep is None or len(self.alerts) < self._keep:
            self.alerts.append(alert)

    def reopen(self) -> None:
        """Nothing to reopen."""

    def close(self) -> None:
        """Nothing to close."""
