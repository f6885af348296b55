"""Sigma ``event_count`` correlations as lwsyslog threshold rules.

A Sigma correlation such as "5 matches of rule X from one ``c-ip`` within 10 minutes" is the
same idea as :class:`lwsyslog.thresholds.ThresholdRule`: count observations per key in a
sliding window. :func:`event_count_threshold` turns one correlation into a rule class (its
own ``id``, ``categories`` and ``description``, as every threshold rule declares them) and
the :class:`~lwsyslog.settings.ThresholdSettings` the engine needs: ``count`` from the
condition (``gte: n`` -> n, ``gt: n`` -> n+1, ``eq: n`` -> n: a stream alerts when the n-th
event arrives), ``window_secs`` from ``timespan``, and a cooldown of one window.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import cast

from sigma.correlations import (
    SigmaCorrelationCondition,
    SigmaCorrelationConditionOperator,
    SigmaCorrelationRule,
    SigmaCorrelationType,
)

from lwsyslog.events import AccessEvent, ErrorEvent
from lwsyslog.observation import Observation
from lwsyslog.settings import ThresholdSettings
from lwsyslog.severity import Severity
from lwsyslog.sigma.fields import FieldValue, getter
from lwsyslog.sigma.values import Unsupported
from lwsyslog.thresholds import ThresholdRule, WindowKey

__all__ = ["GroupField", "SigmaEventCount", "event_count_threshold"]

GroupField = tuple[str, Callable[[AccessEvent | ErrorEvent], FieldValue]]
"""``(label, getter)`` of one group-by field for one referenced rule and log."""

_LOGS = ("access", "error")


class SigmaEventCount(ThresholdRule):
    """Counts events matched by a correlation's rules, keyed by its group-by fields.

    Instances come from :func:`event_count_threshold`, which subclasses this per
    correlation to declare its ``id``, ``categories`` and ``description``.
    """

    id = "sigma-event-count"
    categories = ()
    description = "Sigma event_count correlation"

    def __init__(self, group_by: Mapping[tuple[str, str], Sequence[GroupField]]) -> None:
        # (finding rule id, log) -> the group-by fields read on that rule's events
        self._group_by = dict(group_by)
        self._rule_ids = frozenset(rule_id for rule_id, _ in group_by)

    @property
    def rule_ids(self) -> frozenset[str]:
        """The finding rule ids (``sigma:<uuid>``) this correlation counts."""
        return self._rule_ids

    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        """One key per event matched by a referenced rule: the group-by values."""
        event = observation.event
        fields: Sequence[GroupField] | None = None
        categories: set[str] = set()
        for finding in observation.findings:
            if finding.rule_id in self._rule_ids:
                categories.update(finding.categories)
                if fields is None:
                    fields = self._group_by.get((finding.rule_id, event.log))
        if fields is None:
            return ()
        values = [(label, _shown(get(event))) for label, get in fields]
        if not values:
            return (WindowKey("*", categories=tuple(sorted(categories))),)
        detail = ", ".join(f"{label}={value}" for label, value in values[1:])
        return (WindowKey(values[0][1], detail, tuple(sorted(categories))),)


def _shown(value: FieldValue) -> str:
    if value is None or value == "":
        return "-"
    return value if isinstance(value, str) else str(value)


def _count(condition: SigmaCorrelationCondition) -> int:
    op, count = condition.op, condition.count
    if op in (SigmaCorrelationConditionOperator.GTE, SigmaCorrelationConditionOperator.EQ):
        return max(1, math.ceil(count))
    if op is SigmaCorrelationConditionOperator.GT:
        return max(1, math.floor(count) + 1)
    raise Unsupported(f"condition '{op.name.lower()}' cannot raise an alert on a stream")


def _group_fields(
    correlation: SigmaCorrelationRule, referenced: Mapping[str, object]
) -> dict[tuple[str, str], list[GroupField]]:
    """Per (referenced finding rule id, log): the getters of the group-by fields."""
    aliases = {alias.alias: alias for alias in correlation.aliases}
    group: dict[tuple[str, str], list[GroupField]] = {}
    for rule_id, sigma_rule in referenced.items():
        for log in _LOGS:
            fields: list[GroupField] = []
            for name in correlation.group_by or ():
                field = name
                alias = aliases.get(name)
                if alias is not None:
                    field = next(
                        (f for ref, f in alias.mapping.items() if ref.rule is sigma_rule), ""
                    )
                    if not field:
                        raise Unsupported(f"alias '{name}' has no field for a referenced rule")
                try:
                    fields.append((name, getter(field, log)))
                except KeyError:
                    raise Unsupported(
                        f"group-by field '{field}' has no Apache equivalent"
                    ) from None
            group[(rule_id, log)] = fields
    return group


def event_count_threshold(
    correlation: SigmaCorrelationRule,
    rule_id: str,
    referenced: Mapping[str, object],
    categories: tuple[str, ...],
    severity: Severity,
) -> tuple[SigmaEventCount, ThresholdSettings]:
    """The threshold rule and settings of one ``event_count`` correlation.

    ``referenced`` maps the finding rule ids of the correlated rules to their pySigma rule
    objects (for field aliases). Raises :class:`~lwsyslog.sigma.values.Unsupported` for
    other correlation types and for conditions a stream cannot alert on (``lt``, ``neq``...).
    """
    if correlation.type is not SigmaCorrelationType.EVENT_COUNT:
        raise Unsupported(f"correlation type '{correlation.type.name.lower()}' is not supported")
    condition = correlation.condition
    if not isinstance(condition, SigmaCorrelationCondition):
        raise Unsupported("extended correlation conditions are not supported")
    count = _count(condition)
    window = float(correlation.timespan.seconds)
    group = _group_fields(correlation, referenced)
    rule_class = cast(
        type[SigmaEventCount],
        type(
            f"SigmaEventCount_{rule_id}",
            (SigmaEventCount,),
            {
                "id": rule_id,
                "categories": categories,
                "description": correlation.title or rule_id,
            },
        ),
    )
    settings = ThresholdSettings(
        enabled=True,
        count=count,
        window_secs=window,
        cooldown_secs=window,
        severity=severity,
    )
    return rule_class(group), settings
