"""Loading a directory of Sigma rules and evaluating them on parsed Apache events.

pySigma reads and validates the YAML; :mod:`lwsyslog.sigma.compiler` turns each rule into a
Python evaluator once; :meth:`SigmaRuleSet.detect` then runs, per event, only the rules whose
logsource is that event's log. A malformed rule stops loading with a
:class:`~lwsyslog.errors.RuleError` naming the file; a well-formed rule lwsyslog cannot
evaluate (another product's logsource, a field Apache does not log, an unsupported
modifier) is listed in :attr:`SigmaRuleSet.unsupported` with the reason; a rule for another
product's logsource is listed in :attr:`SigmaRuleSet.other_logsources`. Neither is loaded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import yaml
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError, SigmaRuleLocation
from sigma.rule import SigmaRule, SigmaRuleBase

from lwsyslog.errors import RuleError
from lwsyslog.events import AccessEvent, ErrorEvent
from lwsyslog.findings import Finding
from lwsyslog.settings import ThresholdSettings
from lwsyslog.severity import Severity
from lwsyslog.sigma.compiler import Evaluator, Hit, check_supported, compile_rule
from lwsyslog.sigma.correlation import event_count_threshold
from lwsyslog.sigma.fields import logs_for
from lwsyslog.sigma.literals import FieldLiterals
from lwsyslog.sigma.mapping import categories_for, cves_for, severity_for
from lwsyslog.sigma.values import Unsupported
from lwsyslog.thresholds import ThresholdRule

__all__ = [
    "RULE_ID_PREFIX",
    "CompiledSigmaRule",
    "SigmaExplanation",
    "SigmaRuleInfo",
    "SigmaRuleSet",
]

RULE_ID_PREFIX = "sigma:"
"""Findings and thresholds from Sigma rules have ids ``sigma:<rule id>``."""

#: Longest fragment kept in a finding (a wildcard match can span a whole long target).
MAX_FRAGMENT_CHARS = 256

_SUFFIXES = (".yml", ".yaml")


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
            found = [p for p in path.rglob("*") if p.suffix in _SUFFIXES and p.is_file()]
            files.extend(sorted(found))
        elif path.is_file():
            files.append(path)
        else:
            raise RuleError(f"{path}: no such Sigma rule file or directory")
    return files


def _problem(exc: BaseException) -> str:
    """The message of a pySigma/YAML error without pySigma's appended absolute path."""
    if isinstance(exc, SigmaError) and exc.args:
        return str(exc.args[0])
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"YAML error at line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"
    return str(exc).replace("\n", " ")


#: PyYAML's safe loader, in C where PyYAML was built with libyaml.
_SAFE_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)


def _load_file(path: Path) -> SigmaCollection:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"{path}: cannot read Sigma rule: {exc}") from exc
    try:
        # pySigma's from_yaml reads with PyYAML's pure-Python SafeLoader; the same loader
        # in C (libyaml) gives the same documents about ten times faster (a tenth of a
        # second for SigmaHQ's web rules, at every start).
        documents = list(yaml.load_all(text, Loader=_SAFE_LOADER))
        collection = SigmaCollection.from_dicts(
            documents,
            source=SigmaRuleLocation(path),
            collect_filters=True,
            resolve_references=False,
        )
    except (yaml.YAMLError, SigmaError, TypeError, AttributeError, KeyError) as exc:
        raise RuleError(f"{path}: malformed Sigma rule: {_problem(exc)}") from exc
    return collection


def _file_of(rule: SigmaRuleBase, files: dict[int, str]) -> str:
    # Applying a Sigma filter replaces the rule object; its source location survives.
    known = files.get(id(rule))
    if known is not None:
        return known
    return str(rule.source.path) if rule.source is not None else "<unknown>"


def _rule_id(rule: SigmaRuleBase, file: str) -> str:
    if rule.id is not None:
        return str(rule.id)
    if rule.name:
        return rule.name
    return Path(file).stem


def _level(rule: SigmaRuleBase) -> str:
    return rule.level.name.lower() if rule.level is not None else ""


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
        files: dict[int, str] = {}
        collections: list[SigmaCollection] = []
        for path in _rule_files(paths):
            collection = _load_file(path)
            for rule in collection.rules:
                files[id(rule)] = str(path)
            collections.append(collection)
        try:
            merged = SigmaCollection.merge(collections, resolve_references=False)
        except SigmaError as exc:  # a filter that cannot be applied
            raise RuleError(f"Sigma filter: {_problem(exc)}") from exc
        return _Builder(merged, files).build()

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


class _Builder:
    """Compiles a merged pySigma collection into a :class:`SigmaRuleSet`."""

    def __init__(self, collection: SigmaCollection, files: dict[int, str]) -> None:
        self._collection = collection
        self._files = files
        self._compiled: dict[int, CompiledSigmaRule] = {}
        self._seen: dict[str, str] = {}
        self._unsupported: list[tuple[str, str]] = []
        self._foreign: list[tuple[str, str]] = []
        self._thresholds: list[tuple[ThresholdRule, ThresholdSettings]] = []
        self._info: list[tuple[str, SigmaRuleInfo]] = []
        self._quiet: set[str] = set()

    def build(self) -> SigmaRuleSet:
        for rule in self._collection.rules:
            if isinstance(rule, SigmaRule):
                self._rule(rule)
        for rule in self._collection.rules:
            if isinstance(rule, SigmaCorrelationRule):
                self._correlation(rule)
        rules = [
            dataclasses.replace(rule, standalone=False) if rule.id in self._quiet else rule
            for rule in self._compiled.values()
        ]
        return SigmaRuleSet(rules, self._unsupported, self._thresholds, self._info, self._foreign)

    def _claim_id(self, rule: SigmaRuleBase, file: str) -> str:
        sigma_id = _rule_id(rule, file)
        rule_id = RULE_ID_PREFIX + sigma_id
        other = self._seen.get(rule_id)
        if other is not None:
            raise RuleError(f"{file}: Sigma rule id {sigma_id} is also used in {other}")
        self._seen[rule_id] = file
        return rule_id

    def _rule(self, rule: SigmaRule) -> None:
        file = _file_of(rule, self._files)
        rule_id = self._claim_id(rule, file)
        source = rule.logsource
        logs = logs_for(source.category or "", source.product or "", source.service or "")
        if logs is None:
            shown = "/".join(
                f"{key}={value}"
                for key, value in (
                    ("category", source.category),
                    ("product", source.product),
                    ("service", source.service),
                )
                if value
            )
            self._foreign.append(
                (file, f"logsource {shown or '(none)'} is not an Apache access or error log")
            )
            return
        try:
            check_supported(rule)
            compiled = {log: compile_rule(rule, log) for log in sorted(logs)}
        except Unsupported as exc:
            self._unsupported.append((file, exc.reason))
            return
        except SigmaError as exc:
            raise RuleError(f"{file}: malformed Sigma rule: {_problem(exc)}") from exc
        try:
            tags = [str(tag) for tag in rule.tags]
            categories = categories_for(rule.title, tags, logs)
        except ValueError as exc:
            raise RuleError(f"{file}: {exc}") from exc
        self._compiled[id(rule)] = CompiledSigmaRule(
            id=rule_id,
            sigma_id=rule_id[len(RULE_ID_PREFIX) :],
            title=rule.title,
            level=_level(rule),
            severity=severity_for(_level(rule)),
            categories=categories,
            logs=logs,
            file=file,
            cves=cves_for(rule.title, tags),
            evaluators={log: evaluator for log, (evaluator, _) in compiled.items()},
            requirements={log: requirement for log, (_, requirement) in compiled.items()},
        )

    def _correlation(self, correlation: SigmaCorrelationRule) -> None:
        file = _file_of(correlation, self._files)
        rule_id = self._claim_id(correlation, file)
        try:
            correlation.resolve_rule_references(self._collection)
            correlation.aliases.resolve_rule_references(self._collection)
        except SigmaError as exc:
            raise RuleError(f"{file}: Sigma correlation: {_problem(exc)}") from exc
        referenced: dict[str, object] = {}
        compiled: list[CompiledSigmaRule] = []
        for reference in correlation.referenced_rules:
            target = self._compiled.get(id(reference.rule))
            if target is None:
                why = (
                    "nested correlations are not supported"
                    if isinstance(reference.rule, SigmaCorrelationRule)
                    else f"referenced rule '{reference.reference}' is not supported"
                )
                self._unsupported.append((file, why))
                return
            referenced[target.id] = reference.rule
            compiled.append(target)
        categories = tuple(sorted({c for target in compiled for c in target.categories}))
        level = _level(correlation)
        severity = (
            severity_for(level)
            if level
            else max((t.severity for t in compiled), key=lambda s: s.rank, default=Severity.MEDIUM)
        )
        try:
            threshold = event_count_threshold(
                correlation, rule_id, referenced, categories, severity
            )
        except Unsupported as exc:
            self._unsupported.append((file, exc.reason))
            return
        self._thresholds.append(threshold)
        self._info.append(
            (
                rule_id,
                SigmaRuleInfo(rule_id[len(RULE_ID_PREFIX) :], correlation.title, level, file),
            )
        )
        if not correlation.generate:
            self._quiet.update(referenced)
