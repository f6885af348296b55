"""Detect engines built from rule instances, for the rule and engine tests."""

from __future__ import annotations

from collections.abc import Sequence

from lwsyslog.detection.engine import DetectEngine
from lwsyslog.detection.interface import RuleVerdict
from lwsyslog.events import Event
from lwsyslog.rules import Rule
from lwsyslog.rules.source import BuiltinDetector


def builtin_engine(rules: Sequence[Rule] | None = None, engine: str | None = None) -> DetectEngine:
    """The detect stage with only the built-in detector, running ``rules`` (default: one plain
    instance of every registered rule), scanning with ``engine``."""
    detector = BuiltinDetector() if rules is None else BuiltinDetector(rules=rules)
    return DetectEngine([detector], engine)


def explain_all(engine: DetectEngine, event: Event) -> list[RuleVerdict]:
    """Every rule's verdict on ``event``."""
    return [item.verdict for item in engine.explain(event)]
