"""An access line that arrived cut: someone padded a request past what the relay carries."""

from __future__ import annotations

from lwsyslog.events import AccessEvent, Event
from lwsyslog.normalize import EventView
from lwsyslog.rules.base import ACCESS, Rule, RuleMatch
from lwsyslog.rules.samples import AccessSample
from lwsyslog.severity import Severity

__all__ = ["ProtocolCutLine"]


class ProtocolCutLine(Rule):
    """An access line that fit no format and was read only as far as it went.

    A relay cuts a line longer than its message limit (rsyslog's default is 8 KB), and a
    request padded past it would otherwise hide whatever it carries. The line is still
    scanned by every rule (:mod:`lwsyslog.formats.cut_line`); this rule says that it was cut,
    so the padding itself is seen.
    """

    id = "protocol-cut-line"
    categories = ("protocol-anomaly",)
    severity = Severity.MEDIUM
    description = "access line cut short (a request padded past the relay's message limit)"
    logs = ACCESS
    cut_lines = True
    must_match = (
        AccessSample(target="/index.html?file=../../etc/passwd&pad=" + "A" * 9000, cut=True),
        AccessSample(target="/", user_agent="Mozilla/5.0 " + "B" * 9000, cut=True),
    )
    must_not_match = (
        AccessSample(target="/index.html?file=" + "A" * 9000),
        AccessSample(target="/search?q=cut+short"),
    )

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """A match when the line arrived cut (the fragment says how long it was)."""
        if isinstance(event, AccessEvent) and event.cut:
            return RuleMatch("line", f"cut after {len(event.raw)} characters")
        return None
