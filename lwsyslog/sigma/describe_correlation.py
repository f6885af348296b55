"""A pySigma ``event_count`` correlation described as plain data (:mod:`lwsyslog.sigma.ir`).

The count comes from the condition (``gte: n`` -> n, ``gt: n`` -> n+1, ``eq: n`` -> n: a
stream alerts when the n-th event arrives), the window from ``timespan``, and each group-by
name (or field alias) is resolved to the Sigma field it reads on each referenced rule's
events. :mod:`lwsyslog.sigma.correlation` builds the threshold rule of the description.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from sigma.correlations import (
    SigmaCorrelationCondition,
    SigmaCorrelationConditionOperator,
    SigmaCorrelationRule,
    SigmaCorrelationType,
)

from lwsyslog.severity import Severity
from lwsyslog.sigma.fields import KNOWN_FIELDS
from lwsyslog.sigma.ir import RULE_ID_PREFIX, CorrelationIR
from lwsyslog.sigma.values import Unsupported

__all__ = ["describe_event_count"]


def _count(condition: SigmaCorrelationCondition) -> int:
    op, count = condition.op, condition.count
    if op in (SigmaCorrelationConditionOperator.GTE, SigmaCorrelationConditionOperator.EQ):
        return max(1, math.ceil(count))
    if op is SigmaCorrelationConditionOperator.GT:
        return max(1, math.floor(count) + 1)
    raise Unsupported(f"condition '{op.name.lower()}' cannot raise an alert on a stream")


def _group_fields(
    correlation: SigmaCorrelationRule, referenced: Mapping[str, object]
) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Per referenced finding rule id: the ``(label, Sigma field)`` of each group-by name."""
    aliases = {alias.alias: alias for alias in correlation.aliases}
    group: list[tuple[str, tuple[tuple[str, str], ...]]] = []
    for rule_id, sigma_rule in referenced.items():
        fields: list[tuple[str, str]] = []
        for name in correlation.group_by or ():
            field = name
            alias = aliases.get(name)
            if alias is not None:
                field = next((f for ref, f in alias.mapping.items() if ref.rule is sigma_rule), "")
                if not field:
                    raise Unsupported(f"alias '{name}' has no field for a referenced rule")
            if field.lower() not in KNOWN_FIELDS:
                raise Unsupported(f"group-by field '{field}' has no Apache equivalent")
            fields.append((name, field))
        group.append((rule_id, tuple(fields)))
    return tuple(group)


def describe_event_count(
    correlation: SigmaCorrelationRule,
    rule_id: str,
    *,
    file: str,
    referenced: Mapping[str, object],
    categories: tuple[str, ...],
    severity: Severity,
) -> CorrelationIR:
    """The description of one ``event_count`` correlation.

    ``referenced`` maps the finding rule ids of the correlated rules to their pySigma rule
    objects (for field aliases). Raises :class:`~lwsyslog.sigma.values.Unsupported` for
    other correlation types and for conditions a stream cannot alert on (``lt``, ``neq``...).
    """
    if correlation.type is not SigmaCorrelationType.EVENT_COUNT:
        raise Unsupported(f"correlation type '{correlation.type.name.lower()}' is not supported")
    condition = correlation.condition
    if not isinstance(condition, SigmaCorrelationCondition):
        raise Unsupported("extended correlation conditions are not supported")
    level = correlation.level.name.lower() if correlation.level is not None else ""
    return CorrelationIR(
        id=rule_id,
        sigma_id=rule_id.removeprefix(RULE_ID_PREFIX),
        title=correlation.title,
        level=level,
        file=file,
        categories=categories,
        severity=severity,
        alert_count=_count(condition),
        window_secs=float(correlation.timespan.seconds),
        group_by=_group_fields(correlation, referenced),
    )
