"""A sink that keeps alerts in a list: for tests and for ``lwsyslog scan``."""

from __future__ import annotations

from lwsyslog.alerts import Alert

__all__ = ["MemorySink"]


class MemorySink:
    """Collects alerts in :attr:`alerts`."""

    name = "memory"

    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    def write(self, alert: Alert) -> None:
        """Append ``alert``."""
        self.alerts.append(alert)

    def reopen(self) -> None:
        """Nothing to reopen."""

    def close(self) -> None:
        """Nothing to close."""
