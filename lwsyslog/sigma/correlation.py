"""Sigma ``event_count`` correlations as lwsyslog threshold rules.

A Sigma correlation such as "5 matches of rule X from one ``c-ip`` within 10 minutes" is the
same idea as :class:`lwsyslog.thresholds.ThresholdRule`: count observations per key in a
sliding window. :func:`threshold_of` turns one described correlation
(:mod:`lwsyslog.sigma.describe_correlation` made it) into a rule class (its own ``id``,
``categories`` and ``description``, as every threshold rule declares them) and the
:class:`~lwsyslog.settings.ThresholdSettings` the engine needs: the count, a window of the
correlation's ``timespan`` and a cooldown of one window. Nothing here imports pySigma.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import cast

from lwsyslog.events import AccessEvent, ErrorEvent
from lwsyslog.observation import Observation
from lwsyslog.settings import ThresholdSettings
from lwsyslog.sigma.fields import FieldValue, getter
from lwsyslog.sigma.ir import CorrelationIR
from lwsyslog.thresholds import ThresholdRule, WindowKey

__all__ = ["GroupField", "SigmaEventCount", "threshold_of"]

GroupField = tuple[str, Callable[[AccessEvent | ErrorEvent], FieldValue]]
"""``(label, getter)`` of one group-by field for one referenced rule and log."""

_LOGS = ("access", "error")


class SigmaEventCount(ThresholdRule):
    """Counts events matched by a correlation's rules, keyed by its group-by fields.

    Instances come from :func:`threshold_of`, which subclasses this per correlation to
    declare its ``id``, ``categories`` and ``description``.
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


def threshold_of(correlation: CorrelationIR) -> tuple[SigmaEventCount, ThresholdSettings]:
    """The threshold rule and settings of one described ``event_count`` correlation.

    Raises ``KeyError`` for a group-by field lwsyslog does not know (a description from
    elsewhere: :mod:`lwsyslog.sigma.describe_correlation` refuses those).
    """
    group = {
        (rule_id, log): [(label, getter(field, log)) for label, field in fields]
        for rule_id, fields in correlation.group_by
        for log in _LOGS
    }
    rule_class = cast(
        type[SigmaEventCount],
        type(
            f"SigmaEventCount_{correlation.id}",
            (SigmaEventCount,),
            {
                "id": correlation.id,
                "categories": correlation.categories,
                "description": correlation.description,
            },
        ),
    )
    settings = ThresholdSettings(
        enabled=True,
        count=correlation.alert_count,
        window_secs=correlation.window_secs,
        cooldown_secs=correlation.window_secs,
        severity=correlation.severity,
    )
    return rule_class(group), settings
