"""A loaded Sigma rule set behind the common detector interface."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from lwsyslog.detection.interface import Detector, RuleInfo, RuleVerdict
from lwsyslog.events import Event
from lwsyslog.findings import Finding
from lwsyslog.normalize import EventView
from lwsyslog.settings import RuleSettings, ThresholdSettings
from lwsyslog.sigma.ruleset import RULE_ID_PREFIX, SigmaRuleSet
from lwsyslog.thresholds import ThresholdRule

__all__ = ["SigmaDetector"]


class SigmaDetector(Detector):
    """Sigma detection rules and ``event_count`` correlations read from ``paths``."""

    name = "sigma"

    def __init__(self, ruleset: SigmaRuleSet, paths: Sequence[Path]) -> None:
        self._all = ruleset
        self.ruleset = ruleset
        self._paths = tuple(paths)
        self._infos = tuple(self._rule_infos())

    def _rule_infos(self) -> list[RuleInfo]:
        infos = [
            RuleInfo(
                id=rule.id,
                kind="event",
                severity=rule.severity,
                categories=rule.categories,
                description=f"Sigma: {rule.title}",
                source=rule.file,
                logs=rule.logs,
                alerts_alone=rule.standalone,
                aliases=(rule.sigma_id,),
            )
            for rule in self._all.rules
        ]
        for threshold, settings in self._all.thresholds():
            infos.append(
                RuleInfo(
                    id=threshold.id,
                    kind="threshold",
                    severity=settings.severity,
                    categories=threshold.categories,
                    description=(
                        f"{threshold.description} ({settings.count} in {settings.window_secs:g}s)"
                    ),
                    source=self._all.metadata(threshold.id).file,
                    aliases=(threshold.id.removeprefix(RULE_ID_PREFIX),),
                )
            )
        return infos

    def rules(self) -> Sequence[RuleInfo]:
        """Every loaded Sigma rule and correlation."""
        return self._infos

    def configure(self, settings: Mapping[str, RuleSettings]) -> None:
        """Leave out the rules switched off by ``[rules.ID] enabled = false``."""
        disabled = frozenset(rule_id for rule_id, own in settings.items() if not own.enabled)
        self.ruleset = self._all.without(disabled) if disabled else self._all

    def detect(self, event: Event, view: EventView) -> list[Finding]:
        """The findings of every enabled Sigma rule that matches ``event``."""
        return self.ruleset.detect(event)

    def explain(self, event: Event, view: EventView) -> list[RuleVerdict]:
        """Every enabled rule's verdict, with the Sigma field and the text that matched."""
        return [
            RuleVerdict(item.id, item.matched, item.field, item.fragment, selected=True)
            for item in self.ruleset.explain(event)
        ]

    def thresholds(self) -> Sequence[tuple[ThresholdRule, ThresholdSettings]]:
        """The threshold rules made of ``event_count`` correlations."""
        return self.ruleset.thresholds()

    def where(self) -> str:
        """The configured rule directories and files, and what was left out of them."""
        where = ", ".join(str(path) for path in self._paths)
        skipped = []
        if self._all.other_logsources:
            skipped.append(f"{len(self._all.other_logsources)} for other log sources")
        if self._all.unsupported:
            skipped.append(f"{len(self._all.unsupported)} not supported")
        return where + (f" (skipped: {', '.join(skipped)})" if skipped else "")
