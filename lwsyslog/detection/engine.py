"""Detectors and their scan plans: findings and explanations for single events.

:class:`DetectEngine` asks each detector for its signatures, builds one
:class:`~lwsyslog.detection.plan.LogPlan` per log type, and per event scans each field once
and hands every detector the rules the scan selected for it. The catalog
(:mod:`lwsyslog.detection.catalog`) builds one from the configured sources; tests may build one
from any detectors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from lwsyslog.detection.interface import Detector, RuleVerdict
from lwsyslog.detection.plan import Confirmer, LogPlan, Selected
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
        confirmers = [_confirmer(detector) for detector in self.detectors]
        self._plans = {
            log: LogPlan(log, [d.signatures(log) for d in self.detectors], engine, confirmers)
            for log in ("access", "error")
        }
        #: The literal matching engine in use (``hyperscan`` or ``re``).
        self.engine = self._plans["access"].engine or self._plans["error"].engine
        # One detector (no Sigma rules): its candidates are all the candidates, and when it
        # says which attribute values select its rules without a literal, an event with no
        # candidate and none of them needs no call at all (most lines).
        self._only = self.detectors[0] if len(self.detectors) == 1 else None
        # Per log, per detector: the attribute values that select its rules without a
        # literal, when it tells (None: it decides on every event).
        self._keyed = {
            log: tuple(_selecting(detector, log) for detector in self.detectors)
            for log in ("access", "error")
        }
        # Per log, the detectors that may find something on an event without a candidate of
        # theirs: a rule pack's never does.
        self._unselected = {
            log: tuple(
                (detector, keyed)
                for detector, keyed in zip(self.detectors, keys, strict=True)
                if keyed != ()
            )
            for log, keys in self._keyed.items()
        }

    def detect(self, event: Event, view: EventView | None = None) -> list[Finding]:
        """The findings of every detector on ``event``, in detector order."""
        log = event.log
        plan = self._plans.get(log)
        if plan is None:
            return []
        selected, view = plan.select(event, view)
        only = self._only
        if only is not None:
            if selected:
                candidates = tuple(item.candidate for item in selected)
                return only.detect(event, view or EventView(event), candidates)
            if _quiet(self._keyed[log][0], event):
                return []
            return only.detect(event, view or EventView(event), ())
        findings: list[Finding] = []
        if not selected:
            for detector, keyed in self._unselected[log]:
                if _quiet(keyed, event):
                    continue
                if view is None:
                    view = EventView(event)
                found = detector.detect(event, view, ())
                if found:
                    findings.extend(found)
            return findings
        pairs = zip(self.detectors, self._keyed[log], strict=True)
        for index, (detector, keyed) in enumerate(pairs):
            mine = _mine(selected, index)
            if not mine and _quiet(keyed, event):
                continue
            if view is None:
                view = EventView(event)
            found = detector.detect(event, view, mine)
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


Keyed = tuple[tuple[Callable[[Event], Any], frozenset[Any]], ...]


def _quiet(keyed: Keyed | None, event: Event) -> bool:
    """True when a detector with no candidate has nothing to do on ``event``: it said which
    attribute values select its rules without a literal, and ``event`` has none of them."""
    if keyed is None:
        return False
    for read, values in keyed:  # noqa: SIM110  (a loop: all() over a generator costs twice)
        if read(event) in values:
            return False
    return True


def _selecting(detector: Detector, log: str) -> Keyed | None:
    """The detector's own selection of rules by attribute values, when it tells (the
    built-in rules' statuses, methods and message ids); ``None``: it decides on every event."""
    selecting = getattr(detector, "selecting", None)
    if selecting is None:
        return None
    found = selecting(log)
    return None if found is None else tuple(found)


def _confirmer(detector: Detector) -> Confirmer:
    """The detector's confirmation of one rule on one field as a function of the text: its
    own ``confirmer`` when it has one (no dispatch per call), else its ``confirm``."""
    own: Confirmer | None = getattr(detector, "confirmer", None)
    if own is not None:
        return own
    return lambda owner, field: partial(detector.confirm, owner, field)
