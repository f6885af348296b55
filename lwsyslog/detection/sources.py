"""The one list of rule sources. A new source is added here by hand (a test checks the list).

Each source loads one kind of rules into a :class:`~lwsyslog.detection.interface.Detector`
and may own a top-level configuration table (Sigma's ``[sigma]``); the configuration loader
reads those tables' schemas from here.
"""

from __future__ import annotations

from collections.abc import Mapping

from lwsyslog.checks import Checker
from lwsyslog.detection.interface import RuleSource
from lwsyslog.rulepack.source import PACK_SOURCE
from lwsyslog.rules.source import BUILTIN_SOURCE
from lwsyslog.sigma.source import SIGMA_SOURCE

__all__ = ["SOURCES", "source_tables"]

#: Every rule source, in the order their findings are listed.
SOURCES: tuple[RuleSource, ...] = (BUILTIN_SOURCE, PACK_SOURCE, SIGMA_SOURCE)


def source_tables() -> dict[str, Mapping[str, Checker]]:
    """The configuration tables the sources own, with their schemas."""
    return {source.table: source.schema for source in SOURCES if source.table}
