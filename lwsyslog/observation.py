"""What the later stages see of one processed line: event, triage, findings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from lwsyslog.events import AccessEvent, ErrorEvent
from lwsyslog.findings import Finding
from lwsyslog.triage import Urgency

__all__ = ["Observation"]


class Observation(NamedTuple):
    """One parsed event with its triage class and the findings rules made of it.

    A tuple, because one is made for every line on the hot path.
    """

    event: AccessEvent | ErrorEvent
    urgency: Urgency
    findings: Sequence[Finding]

    @property
    def client_ip(self) -> str:
        """The client that sent the request, from the parsed fields only."""
        return self.event.client_ip
