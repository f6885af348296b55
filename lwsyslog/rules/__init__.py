"""Single-event detection rules and the engine that runs them.

One rule is one small class (see :mod:`lwsyslog.rules.base`); rules are grouped in modules by
taxonomy category and listed by hand in :data:`~lwsyslog.rules.registry.ALL_RULES`;
:class:`~lwsyslog.rules.detector.RuleEngine` runs them and
:mod:`lwsyslog.rules.source` puts them behind the common detector interface.
"""

from lwsyslog.rules.base import Rule, RuleMatch
from lwsyslog.rules.detector import RuleEngine
from lwsyslog.rules.registry import ALL_RULES, rule_class
from lwsyslog.rules.samples import AccessSample, ErrorSample, Sample

__all__ = [
    "ALL_RULES",
    "AccessSample",
    "ErrorSample",
    "Rule",
    "RuleEngine",
    "RuleMatch",
    "Sample",
    "rule_class",
]
