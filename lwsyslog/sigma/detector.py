"""A loaded Sigma rule set behind the common detector interface.

Each rule's literal requirement (``(Sigma field, literal)`` pairs, one of which every match
needs) becomes one signature per text field on the raw form of the field, so Sigma rules are
selected by the same scan as the built-in ones. A rule whose requirement names a field that is
not scanned (``cs-method``, ``sc-status``...) or has none (a bare ``not``, a status test) is
evaluated on every event of its log.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from lwsyslog.categories import category_list
from lwsyslog.checks import Checker
from lwsyslog.detection.interface import Detector, RuleInfo, RuleVerdict
from lwsyslog.detection.signatures import Candidate, Signature
from lwsyslog.events import Event
from lwsyslog.findings import Finding
from lwsyslog.normalize import EventView
from lwsyslog.settings import RuleSettings, ThresholdSettings
from lwsyslog.sigma.fields import SCANNED_SIGMA_FIELDS
from lwsyslog.sigma.literals import FieldLiterals
from lwsyslog.sigma.ruleset import RULE_ID_PREFIX, SigmaRuleSet
from lwsyslog.thresholds import ThresholdRule

__all__ = ["RULE_OPTIONS", "SCANNED_SIGMA_FIELDS", "SigmaDetector"]

#: What a Sigma rule's ``[rules.ID]`` table takes beyond enabled, severity and allow.
RULE_OPTIONS: Mapping[str, Checker] = {"categories": category_list}


def _signatures(owner: int, requirement: FieldLiterals) -> list[Signature] | None:
    """One signature per scanned field, or ``None`` when the rule must always be evaluated."""
    if requirement is None:
        return None
    by_field: dict[str, set[str]] = {}
    # In sorted order, not the set's: the signatures' order decides the matching database's
    # key, and one that changed with each process's string hashing was never found again.
    for sigma_field, literal in sorted(requirement):
        field = SCANNED_SIGMA_FIELDS.get(sigma_field)
        # An empty field reads as Apache's "-" to a Sigma rule: a literal "-" can match
        # where the scan sees no text at all.
        if field is None or literal == "-":
            return None
        by_field.setdefault(field, set()).add(literal)
    return [
        Signature(owner, field, "raw", (frozenset(literals),), False)
        for field, literals in by_field.items()
    ]


class SigmaDetector(Detector):
    """Sigma detection rules and ``event_count`` correlations read from ``paths``."""

    name = "sigma"

    def __init__(self, ruleset: SigmaRuleSet, paths: Sequence[Path]) -> None:
        self._all = ruleset
        self._paths = tuple(paths)
        self._infos = tuple(self._rule_infos())
        self._use(ruleset)

    def _use(self, ruleset: SigmaRuleSet) -> None:
        self.ruleset = ruleset
        self._signatures: dict[str, tuple[Signature, ...]] = {}
        self._always: dict[str, tuple[int, ...]] = {}
        for log in ("access", "error"):
            signatures: list[Signature] = []
            always: list[int] = []
            for owner, (rule, _evaluate) in enumerate(ruleset.entries(log)):
                own = _signatures(owner, rule.requirements.get(log))
                if own is None:
                    always.append(owner)
                else:
                    signatures.extend(own)
            self._signatures[log] = tuple(signatures)
            self._always[log] = tuple(always)

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
                cves=rule.cves,
                options=RULE_OPTIONS,
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
        """Leave out the rules switched off by ``[rules.ID] enabled = false`` and give the
        rules of ``[rules.ID] categories = [...]`` those categories."""
        disabled = frozenset(rule_id for rule_id, own in settings.items() if not own.enabled)
        ruleset = self._all.without(disabled) if disabled else self._all
        chosen = {
            rule_id: tuple(own.options["categories"])
            for rule_id, own in settings.items()
            if "categories" in own.options
        }
        chosen_ruleset = ruleset.with_categories(chosen) if chosen else ruleset
        if chosen_ruleset is not self.ruleset:  # as built already: keep its signatures
            self._use(chosen_ruleset)

    def selecting(self, log: str) -> tuple[()] | None:
        """No attribute value selects a Sigma rule without its literals unless a rule of
        ``log`` is evaluated on every event (``None``: then every event needs a call)."""
        return None if self._always[log] else ()

    def signatures(self, log: str) -> Sequence[Signature]:
        """The literals that select each rule, on the raw text of the fields it reads."""
        return self._signatures[log]

    def always_evaluated(self, log: str) -> int:
        """How many enabled rules of ``log`` run on every event (no literal requirement)."""
        return len(self._always[log])

    def detect(
        self, event: Event, view: EventView, candidates: Sequence[Candidate]
    ) -> list[Finding]:
        """The findings of the selected rules and of those evaluated on every event."""
        always = self._always[event.log]
        if not candidates:
            return self.ruleset.detect(event, always) if always else []
        chosen = sorted({*always, *(candidate.owner for candidate in candidates)})
        return self.ruleset.detect(event, chosen)

    def explain(
        self, event: Event, view: EventView, selected: Collection[int]
    ) -> list[RuleVerdict]:
        """Every enabled rule's verdict, with the Sigma field and the text that matched."""
        chosen = {*selected, *self._always[event.log]}
        return [
            RuleVerdict(item.id, item.matched, item.field, item.fragment, index in chosen)
            for index, item in enumerate(self.ruleset.explain(event))
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
