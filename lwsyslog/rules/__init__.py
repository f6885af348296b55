"""Single-event detection rules and the Detector that runs them.

One rule is one small class (see :mod:`lwsyslog.rules.base`); rules are grouped in modules by
taxonomy category and listed by hand in :data:`~lwsyslog.rules.registry.ALL_RULES`.
"""

from lwsyslog.rules.base import Rule, RuleMatch
from lwsyslog.rules.detector import Detector, RuleVerdict
from lwsyslog.rules.registry import ALL_RULES, rule_class
from lwsyslog.rules.samples import AccessSample, ErrorSample, Sample, build_event

__all__ = [
    "ALL_RULES",
    "AccessSample",
    "Detector",
    "ErrorSample",
    "Rule",
    "RuleMatch",
    "RuleVerdict",
    "Sample",
    "build_event",
    "rule_class",
]
