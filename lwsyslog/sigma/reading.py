"""Sigma rule files read with pySigma and described as plain data (:mod:`lwsyslog.sigma.ir`).

PyYAML reads each file, pySigma validates the documents and applies Sigma filters; each
detection rule for an Apache log is then described (:mod:`lwsyslog.sigma.describe`) and each
``event_count`` correlation turned into a threshold description. A malformed rule stops
reading with a :class:`~lwsyslog.errors.RuleError` naming the file; a well-formed rule
lwsyslog cannot evaluate is listed as unsupported with the reason, a rule for another
product's logsource as another logsource's. This is the only module of the loading that
imports pySigma and PyYAML.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError, SigmaRuleLocation
from sigma.rule import SigmaRule, SigmaRuleBase

from lwsyslog.errors import RuleError
from lwsyslog.severity import Severity
from lwsyslog.sigma.describe import check_supported, describe_rule
from lwsyslog.sigma.describe_correlation import describe_event_count
from lwsyslog.sigma.fields import logs_for
from lwsyslog.sigma.ir import RULE_ID_PREFIX, CorrelationIR, RuleIR, RuleSetIR
from lwsyslog.sigma.mapping import categories_for, cves_for, severity_for
from lwsyslog.sigma.values import Unsupported

if TYPE_CHECKING:
    from sigma.policy import SigmaPolicy

__all__ = ["read_rules"]


def _quiet_policy() -> SigmaPolicy | None:
    """pySigma's default policy with RE2's own error log turned off; ``None`` to keep the
    default as it is: a pySigma without policies, or a default that checks with another engine.

    pySigma checks each ``|re`` value with RE2, which by default writes a bad pattern to
    stderr as C++ log lines before pySigma raises: the error would be told twice, the first
    time in RE2's words and format.
    """
    quiet = _quiet_engine_class()
    if quiet is None:
        return None
    import sigma.policy  # noqa: PLC0415
    from sigma.policy.regex_engine import RE2RegexEngine  # noqa: PLC0415

    default = sigma.policy.default_policy
    if type(default.regex_engine) is not RE2RegexEngine:
        return None
    return dataclasses.replace(default, regex_engine=quiet())


@cache
def _quiet_engine_class() -> type[Any] | None:
    """:class:`RE2RegexEngine` that does not log, or ``None`` without RE2 or policies."""
    try:
        import re2  # noqa: PLC0415
        from sigma.policy.regex_engine import RE2RegexEngine, RegexPattern  # noqa: PLC0415
    except ImportError:
        return None

    class QuietRE2Engine(RE2RegexEngine):
        """:class:`RE2RegexEngine` that does not log, and raises its errors as text."""

        def __deepcopy__(self, memo: dict[int, Any]) -> QuietRE2Engine:
            # Applying a Sigma filter deep-copies detections with their policy; the engine
            # holds no state, and the re2 module it refers to cannot be copied.
            return self

        def compile(self, pattern: str, flags: int = 0) -> RegexPattern:
            options = re2.Options()
            options.log_errors = False
            # As RE2RegexEngine does: Python's flags spelled inline, which RE2 reads.
            inline = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s"}
            prefix = "".join(letter for flag, letter in inline.items() if flags & flag)
            source = f"(?{prefix}){pattern}" if prefix else pattern
            try:
                compiled: RegexPattern = re2.compile(source, options)
            except re2.error as error:
                message: Any = error.args[0] if error.args else error
                if isinstance(message, bytes):
                    message = message.decode("utf-8", "replace")
                raise re2.error(str(message)) from None
            return compiled

    return QuietRE2Engine


def _problem(exc: BaseException) -> str:
    """The message of a pySigma/YAML error without pySigma's appended absolute path."""
    if isinstance(exc, SigmaError) and exc.args:
        return str(exc.args[0])
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"YAML error at line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"
    return str(exc).replace("\n", " ")


#: What reading or describing a malformed rule raises: pySigma's and PyYAML's errors, and the
#: Python errors pySigma lets out on a value of an unexpected type (``date: 2020-13-45``, a
#: number where it expects a string).
_MALFORMED = (
    yaml.YAMLError,
    SigmaError,
    TypeError,
    ValueError,
    AttributeError,
    KeyError,
    RecursionError,
)

#: PyYAML's safe loader, in C where PyYAML was built with libyaml.
_SAFE_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)


def _load_file(path: Path, data: bytes) -> SigmaCollection:
    try:
        # As a file read in text mode: any line ending read as "\n".
        text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        raise RuleError(f"{path}: cannot read Sigma rule: {exc}") from exc
    try:
        # pySigma's from_yaml reads with PyYAML's pure-Python SafeLoader; the same loader
        # in C (libyaml) gives the same documents about ten times faster (a tenth of a
        # second for SigmaHQ's web rules, at every start).
        documents = list(yaml.load_all(text, Loader=_SAFE_LOADER))
        policy = _quiet_policy()
        # Only a pySigma with policies takes the argument.
        extra: dict[str, Any] = {} if policy is None else {"policy": policy}
        collection = SigmaCollection.from_dicts(
            documents,
            source=SigmaRuleLocation(path),
            collect_filters=True,
            resolve_references=False,
            **extra,
        )
    except _MALFORMED as exc:
        raise RuleError(f"{path}: malformed Sigma rule: {_problem(exc)}") from exc
    return collection


def read_rules(files: Sequence[tuple[Path, bytes]]) -> RuleSetIR:
    """The description of the Sigma rules in ``files`` (path and bytes of each).

    Raises :class:`~lwsyslog.errors.RuleError` naming the file for a malformed rule, a
    duplicate rule id, or a correlation that references a rule no file defines.
    """
    names: dict[int, str] = {}
    collections: list[SigmaCollection] = []
    for path, data in files:
        collection = _load_file(path, data)
        for rule in collection.rules:
            names[id(rule)] = str(path)
        collections.append(collection)
    try:
        merged = SigmaCollection.merge(collections, resolve_references=False)
    except _MALFORMED as exc:  # a filter that cannot be applied
        raise RuleError(f"Sigma filter: {_problem(exc)}") from exc
    return _Describer(merged, names).describe()


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


def _check_conditions(rule: SigmaRule, file: str) -> None:
    """Raise :class:`RuleError` unless the rule's condition is a string or a list of strings
    (pySigma takes ``condition: 5`` and fails on it later with a ``TypeError``)."""
    for index, condition in enumerate(rule.detection.condition):
        if not isinstance(condition, str):
            shown = "" if len(rule.detection.condition) == 1 else f" #{index + 1}"
            raise RuleError(
                f"{file}: malformed Sigma rule: detection key 'condition'{shown}: expected a "
                f"string or a list of strings, not {condition!r}"
            )


def _level(rule: SigmaRuleBase) -> str:
    return rule.level.name.lower() if rule.level is not None else ""


class _Describer:
    """Describes the rules and correlations of a merged pySigma collection."""

    def __init__(self, collection: SigmaCollection, files: dict[int, str]) -> None:
        self._collection = collection
        self._files = files
        self._rules: dict[int, RuleIR] = {}
        self._seen: dict[str, str] = {}
        self._unsupported: list[tuple[str, str]] = []
        self._foreign: list[tuple[str, str]] = []
        self._correlations: list[CorrelationIR] = []
        self._quiet: set[str] = set()

    def describe(self) -> RuleSetIR:
        for rule in self._collection.rules:
            if isinstance(rule, SigmaRule):
                self._rule(rule)
        for rule in self._collection.rules:
            if isinstance(rule, SigmaCorrelationRule):
                self._correlation(rule)
        rules = [
            rule._replace(standalone=False) if rule.id in self._quiet else rule
            for rule in self._rules.values()
        ]
        return RuleSetIR(
            tuple(rules),
            tuple(self._correlations),
            tuple(self._unsupported),
            tuple(self._foreign),
        )

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
        _check_conditions(rule, file)
        try:
            check_supported(rule)
            conditions, requirements = describe_rule(rule, sorted(logs))
        except Unsupported as exc:
            self._unsupported.append((file, exc.reason))
            return
        except _MALFORMED as exc:
            raise RuleError(f"{file}: malformed Sigma rule: {_problem(exc)}") from exc
        try:
            tags = [str(tag) for tag in rule.tags]
            categories = categories_for(rule.title, tags, logs)
        except ValueError as exc:
            raise RuleError(f"{file}: {exc}") from exc
        self._rules[id(rule)] = RuleIR(
            id=rule_id,
            sigma_id=rule_id[len(RULE_ID_PREFIX) :],
            title=rule.title,
            level=_level(rule),
            severity=severity_for(_level(rule)),
            categories=categories,
            logs=logs,
            file=file,
            cves=cves_for(rule.title, tags),
            standalone=True,
            conditions=conditions,
            requirements=requirements,
        )

    def _correlation(self, correlation: SigmaCorrelationRule) -> None:
        file = _file_of(correlation, self._files)
        rule_id = self._claim_id(correlation, file)
        try:
            correlation.resolve_rule_references(self._collection)
            correlation.aliases.resolve_rule_references(self._collection)
        except _MALFORMED as exc:
            raise RuleError(f"{file}: Sigma correlation: {_problem(exc)}") from exc
        referenced: dict[str, object] = {}
        described: list[RuleIR] = []
        for reference in correlation.referenced_rules:
            target = self._rules.get(id(reference.rule))
            if target is None:
                why = (
                    "nested correlations are not supported"
                    if isinstance(reference.rule, SigmaCorrelationRule)
                    else f"referenced rule '{reference.reference}' is not supported"
                )
                self._unsupported.append((file, why))
                return
            referenced[target.id] = reference.rule
            described.append(target)
        categories = tuple(sorted({c for target in described for c in target.categories}))
        level = _level(correlation)
        severity = (
            severity_for(level)
            if level
            else max((t.severity for t in described), key=lambda s: s.rank, default=Severity.MEDIUM)
        )
        try:
            self._correlations.append(
                describe_event_count(
                    correlation,
                    rule_id,
                    file=file,
                    referenced=referenced,
                    categories=categories,
                    severity=severity,
                )
            )
        except Unsupported as exc:
            self._unsupported.append((file, exc.reason))
            return
        except _MALFORMED as exc:
            raise RuleError(f"{file}: Sigma correlation: {_problem(exc)}") from exc
        if not correlation.generate:
            self._quiet.update(referenced)
