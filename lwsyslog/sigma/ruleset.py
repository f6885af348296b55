"""Loading a directory of Sigma rules and evaluating them on parsed Apache events.

Loading reads the files and, where the process has a database cache whose entry for those
exact files exists (:mod:`lwsyslog.sigma.stored`), takes their stored description; otherwise
pySigma reads and validates the YAML (:mod:`lwsyslog.sigma.reading`, imported only then) and
the description is stored. :meth:`SigmaRuleSet.build` turns the description into one Python
evaluator per rule and log (:mod:`lwsyslog.sigma.compiler`); :meth:`SigmaRuleSet.detect`
then runs, per event, only the rules whose logsource is that event's log. A malformed rule
stops loading with a :class:`~lwsyslog.errors.RuleError` naming the file; a well-formed rule
lwsyslog cannot evaluate (another product's logsource, a field Apache does not log, an
unsupported modifier) is listed in :attr:`SigmaRuleSet.unsupported` with the reason; a rule
for another product's logsource is listed in :attr:`SigmaRuleSet.other_logsources`. Neither
is loaded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from lwsyslog.errors import RuleError
from lwsyslog.events import AccessEvent, ErrorEvent
from lwsyslog.findings import Finding
from lwsyslog.matching import dbcache
from lwsyslog.settings import ThresholdSettings
from lwsyslog.severity import Severity
from lwsyslog.sigma import stored
from lwsyslog.sigma.compiler import Evaluator, Hit, evaluator
from lwsyslog.sigma.correlation import threshold_of
from lwsyslog.sigma.ir import RULE_ID_PREFIX, RuleIR, RuleSetIR
from lwsyslog.sigma.literals import FieldLiterals
from lwsyslog.sigma.source import SUFFIXES
from lwsyslog.sigma.values import Unsupported
from lwsyslog.thresholds import ThresholdRule

__all__ = [
    "RULE_ID_PREFIX",
    "CompiledSigmaRule",
    "SigmaExplanation",
    "SigmaRuleInfo",
    "SigmaRuleSet",
]

#: Longest fragment kept in a finding (a wildcard match can span a whole long target).
MAX_FRAGMENT_CHARS = 256


class SigmaRuleInfo(NamedTuple):
    """What an alert shows of a Sigma rule: its Sigma id, title, level and file."""

    id: str
    title: str
    level: str
    file: str = ""


@dataclass(frozen=True, slots=True)
class SigmaExplanation:
    """One rule's verdict on one event, for ``lwsyslog explain``."""

    id: str
    title: str
    matched: bool
    field: str
    fragment: str


@dataclass(frozen=True)
class CompiledSigmaRule:
    """One Sigma detection rule, compiled for the Apache logs its logsource names.

    ``standalone`` is false when a correlation uses the rule only as a building block
    (Sigma's ``generate: false``, the default): its findings feed the correlation's
    threshold and should not raise an alert on their own.
    """

    id: str
    sigma_id: str
    title: str
    level: str
    severity: Severity
    categories: tuple[str, ...]
    logs: frozenset[str]
    file: str
    standalone: bool = True
    #: CVE ids the rule names (``cve.*`` tags, its title).
    cves: tuple[str, ...] = ()
    evaluators: dict[str, Evaluator] = field(default_factory=dict, compare=False, repr=False)
    requirements: dict[str, FieldLiterals] = field(default_factory=dict, compare=False, repr=False)

    def evaluate(self, event: AccessEvent | ErrorEvent) -> Hit | None:
        """``(sigma field, matched text)`` when the rule matches ``event``, else ``None``."""
        evaluate = self.evaluators.get(event.log)
        return None if evaluate is None else evaluate(event)

    def finding(self, event: AccessEvent | ErrorEvent, hit: Hit) -> Finding:
        """The finding this rule makes of ``event`` for ``hit``."""
        return Finding(
            rule_id=self.id,
            categories=self.categories,
            severity=self.severity,
            client_ip=event.client_ip,
            origin=event.origin,
            log=event.log,
            time=event.time,
            field=hit[0],
            fragment=hit[1][:MAX_FRAGMENT_CHARS],
            cves=self.cves,
        )


def _rule_files(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = [p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()]
            files.extend(sorted(found))
        elif path.is_file():
            files.append(path)
        else:
            raise RuleError(f"{path}: no such Sigma rule file or directory")
    return files


class SigmaRuleSet:
    """Sigma rules compiled for in-process evaluation on parsed Apache events."""

    def __init__(
        self,
        rules: Iterable[CompiledSigmaRule],
        unsupported: Iterable[tuple[str, str]] = (),
        thresholds: Iterable[tuple[ThresholdRule, ThresholdSettings]] = (),
        info: Iterable[tuple[str, SigmaRuleInfo]] = (),
        other_logsources: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.rules: tuple[CompiledSigmaRule, ...] = tuple(rules)
        self.unsupported: tuple[tuple[str, str], ...] = tuple(unsupported)
        self.other_logsources: tuple[tuple[str, str], ...] = tuple(other_logsources)
        self._thresholds = list(thresholds)
        self._info = dict(info)
        for rule in self.rules:
            self._info.setdefault(
                rule.id, SigmaRuleInfo(rule.sigma_id, rule.title, rule.level, rule.file)
            )
        self._by_log: dict[str, tuple[tuple[CompiledSigmaRule, Evaluator], ...]] = {
            log: tuple((rule, rule.evaluators[log]) for rule in self.rules if log in rule.logs)
            for log in ("access", "error")
        }

    @classmethod
    def load(cls, paths: Sequence[Path]) -> SigmaRuleSet:
        """Read the Sigma rules in ``paths`` (files, or directories searched for ``*.yml``).

        Raises :class:`~lwsyslog.errors.RuleError` naming the file for a malformed rule, a
        duplicate rule id, or a correlation that references a rule no file defines.
        """
        files = [(path, _read(path)) for path in _rule_files(paths)]
        store = dbcache.active()
        pysigma = stored.pysigma_version() if store is not None else None
        key = stored.rules_key(files, pysigma) if pysigma is not None else ""
        if store is not None and key:
            kept = cls._stored(store, key)
            if kept is not None:
                return kept
        # pySigma is the optional "sigma" extra: imported only when the files must be read.
        from lwsyslog.sigma.reading import read_rules  # noqa: PLC0415

        description = read_rules(files)
        ruleset = cls.build(description)
        if store is not None and key:
            store.put(key, stored.dump(description))
        return ruleset

    @classmethod
    def _stored(cls, store: dbcache.DatabaseCache, key: str) -> SigmaRuleSet | None:
        """The rule set stored under ``key``; ``None`` when there is none this code builds."""
        payload = store.get(key)
        description = stored.rules_of(payload) if payload is not None else None
        if description is None:
            return None
        try:
            return cls.build(description)
        except (ValueError, KeyError, TypeError, AttributeError, Unsupported):
            return None

    @classmethod
    def build(cls, description: RuleSetIR) -> SigmaRuleSet:
        """The rule set a description (:mod:`lwsyslog.sigma.ir`) stands for.

        Raises ``ValueError``, ``KeyError`` or ``TypeError`` for a description this code
        cannot build (one stored by other code).
        """
        thresholds = [threshold_of(correlation) for correlation in description.correlations]
        info = [
            (
                correlation.id,
                SigmaRuleInfo(
                    correlation.sigma_id, correlation.title, correlation.level, correlation.file
                ),
            )
            for correlation in description.correlations
        ]
        return cls(
            (_compiled(rule) for rule in description.rules),
            description.unsupported,
            thresholds,
            info,
            description.other_logsources,
        )

    def without(self, disabled: frozenset[str]) -> SigmaRuleSet:
        """This rule set without the rules whose ids are in ``disabled``."""
        return SigmaRuleSet(
            (rule for rule in self.rules if rule.id not in disabled),
            self.unsupported,
            self._thresholds,
            self._info.items(),
            self.other_logsources,
        )

    def with_categories(self, categories: Mapping[str, tuple[str, ...]]) -> SigmaRuleSet:
        """This rule set with the categories of the rules named in ``categories`` replaced."""
        return SigmaRuleSet(
            (
                dataclasses.replace(rule, categories=categories[rule.id])
                if rule.id in categories
                else rule
                for rule in self.rules
            ),
            self.unsupported,
            self._thresholds,
            self._info.items(),
            self.other_logsources,
        )

    def entries(self, log: str) -> tuple[tuple[CompiledSigmaRule, Evaluator], ...]:
        """The rules that apply to events of ``log`` with their evaluators, in order."""
        return self._by_log[log]

    def detect(
        self, event: AccessEvent | ErrorEvent, only: Iterable[int] | None = None
    ) -> list[Finding]:
        """The findings of the Sigma rules that match ``event``: every rule of its log, or the
        rules at the positions ``only`` lists in :meth:`entries` (ascending)."""
        findings: list[Finding] = []
        entries = self._by_log[event.log]
        for index in range(len(entries)) if only is None else only:
            rule, evaluate = entries[index]
            hit = evaluate(event)
            if hit is not None:
                findings.append(rule.finding(event, hit))
        return findings

    def explain(self, event: AccessEvent | ErrorEvent) -> list[SigmaExplanation]:
        """Every rule that applies to ``event``'s log, matched or not, with what matched.

        Unlike :meth:`detect`, every rule is evaluated (no prefilter): this is for people.
        """
        explained: list[SigmaExplanation] = []
        for rule, evaluate in self._by_log[event.log]:
            hit = evaluate(event)
            field_name, fragment = hit if hit is not None else ("", "")
            explained.append(
                SigmaExplanation(
                    rule.id, rule.title, hit is not None, field_name, fragment[:MAX_FRAGMENT_CHARS]
                )
            )
        return explained

    def thresholds(self) -> list[tuple[ThresholdRule, ThresholdSettings]]:
        """The threshold rules and settings made from ``event_count`` correlations."""
        return list(self._thresholds)

    def metadata(self, rule_id: str) -> SigmaRuleInfo:
        """Sigma id, title and level of a rule or correlation, by ``sigma:<id>`` or ``<id>``.

        Raises ``KeyError`` for an id no loaded rule has.
        """
        if not rule_id.startswith(RULE_ID_PREFIX):
            rule_id = RULE_ID_PREFIX + rule_id
        return self._info[rule_id]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RuleError(f"{path}: cannot read Sigma rule: {exc}") from exc


def _compiled(rule: RuleIR) -> CompiledSigmaRule:
    """A described rule with its evaluator for each of its logs."""
    logs = sorted(rule.logs)
    return CompiledSigmaRule(
        id=rule.id,
        sigma_id=rule.sigma_id,
        title=rule.title,
        level=rule.level,
        severity=rule.severity,
        categories=rule.categories,
        logs=rule.logs,
        file=rule.file,
        standalone=rule.standalone,
        cves=rule.cves,
        evaluators={log: evaluator(rule.conditions, log) for log in logs},
        requirements={log: rule.requirements[log] for log in logs},
    )
