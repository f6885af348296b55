"""Sigma rules evaluated in-process on parsed Apache fields (needs the ``sigma`` extra).

Users point lwsyslog at directories of Sigma rules (SigmaHQ's ``rules/web/...``);
:class:`SigmaRuleSet` loads them with pySigma, compiles each rule once into a Python
evaluator over the parsed event fields (no conversion to another query language), and turns
``event_count`` correlations into threshold rules. See ``docs/sigma.md``.
"""

from __future__ import annotations

from lwsyslog.sigma.correlation import SigmaEventCount
from lwsyslog.sigma.ruleset import (
    RULE_ID_PREFIX,
    CompiledSigmaRule,
    SigmaExplanation,
    SigmaRuleInfo,
    SigmaRuleSet,
)

__all__ = [
    "RULE_ID_PREFIX",
    "CompiledSigmaRule",
    "SigmaEventCount",
    "SigmaExplanation",
    "SigmaRuleInfo",
    "SigmaRuleSet",
]
