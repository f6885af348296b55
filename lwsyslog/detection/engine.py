"""Detectors and their scan plans: findings and explanations for single events.

:class:`DetectEngine` asks each detector for its signatures, builds one
:class:`~lwsyslog.detection.plan.LogPlan` per log type, and per event scans each field once
and hands every detector the rules the scan selected for it. The catalog
(:mod:`lwsyslog.detection.catalog`) builds one from the configured sources; tests may build one
from any detectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lwsyslog.detection.interface import Detector, RuleVerdict
from lwsyslog.detection.plan import LogPlan, Selected
from lwsyslog.detection.signatures import Candidate
from lwsyslog.events import Event
from lwsyslog.findings import Finding
from lwsyslog.normalize import EventView

__all__ = ["DetectEngine", "Explanation"]


@dataclass(frozen=True, slots=True)
class Explanation:
    """One rule's verdict on one event, with the source that gave it."""

    source: str
    verdict: RuleVerdict


class DetectEngine:
    """Runs ``detectors`` on events, one literal scan per field for all of them."""

    def __init__(self, detectors: Sequence[Detector], engine: str | None = None) -> None:
        self.detectors = tuple(detectors)
        self._confirms = tuple(detector.confirm for detector in self.detectors)
        self._plans = {
            log: LogPlan(log, [d.signatures(log) for d in self.detectors], engine)
            for log in ("access", "error")
        }
        #: The literal matching engine in use (``hyperscan`` or ``re``).
        self.engine = self._plans["access"].engine or self._plans["error"].engine

    def detect(self, event: Event, view: EventView | None = None) -> list[Finding]:
        """The findings of every detector on ``event``, in detector order."""
        plan = self._plans.get(event.log)
        if plan is None:
            return []
        if view is None:
            view = EventView(event)
        selected = plan.select(event, view, self._confirms)
        findings: list[Finding] = []
        for index, detector in enumerate(self.detectors):
            found = detector.detect(event, view, _mine(selected, index))
            if found:
                findings.extend(found)
        return findings

    def explain(self, event: Event, view: EventView | None = None) -> list[Explanation]:
        """Every enabled rule's verdict on ``event``, detector by detector, each evaluated
        without the scan; a verdict says whether the scan selected the rule."""
        plan = self._plans.get(event.log)
        if view is None:
            view = EventView(event)
        selected = plan.selected(event, view) if plan else ()
        return [
            Explanation(detector.name, verdict)
            for index, detector in enumerate(self.detectors)
            for verdict in detector.explain(
                event, view, {candidate.owner for candidate in _mine(selected, index)}
            )
        ]


def _mine(selected: tuple[Selected, ...], detector: int) -> tuple[Candidate, ...]:
    if not selected:
        return ()
    return tuple(item.candidate for item in selected if item.detector == detector)
