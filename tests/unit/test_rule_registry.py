"""The rule registry: every rule class is listed once, well-formed, and the taxonomy is covered."""

from __future__ import annotations

import inspect
import re
from typing import ClassVar

import pytest

from lwsyslog.categories import CATEGORIES
from lwsyslog.errors import RuleError
from lwsyslog.events import Event
from lwsyslog.matching.linear import Regex, re2_available
from lwsyslog.normalize import TEXT_FIELDS, EventView
from lwsyslog.rulepack.pack import RulePack, builtin_dir
from lwsyslog.rules import ALL_RULES, Rule, RuleMatch, rule_class
from lwsyslog.rules.base import PatternRule
from lwsyslog.rules.samples import AccessSample
from lwsyslog.rules.source import BuiltinDetector
from lwsyslog.rules.watched import WatchedPath
from lwsyslog.severity import Severity
from tests.unit.engines import builtin_engine

# Categories that need several events (thresholds), not a single-line rule.
MULTI_EVENT_ONLY = frozenset({"brute-force"})


def concrete_rule_classes() -> list[type[Rule]]:
    found: list[type[Rule]] = []
    pending: list[type[Rule]] = [Rule]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            pending.append(sub)
            if (
                not inspect.isabstract(sub)
                and "id" in vars(sub)
                and sub.__module__.startswith("lwsyslog.")
            ):
                found.append(sub)
    return found


def test_every_concrete_rule_is_registered_exactly_once() -> None:
    registered = list(ALL_RULES)
    assert len(registered) == len(set(registered))
    assert set(concrete_rule_classes()) == set(registered)


def test_rule_ids_are_unique_and_look_like_ids() -> None:
    ids = [cls.id for cls in ALL_RULES]
    assert len(ids) == len(set(ids))
    for rule_id in ids:
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", rule_id), rule_id
    assert all(rule_class(cls.id) is cls for cls in ALL_RULES)


@pytest.mark.parametrize("cls", ALL_RULES, ids=lambda cls: cls.id)
def test_rule_metadata_is_complete(cls: type[Rule]) -> None:
    assert cls.categories and set(cls.categories) <= CATEGORIES
    assert isinstance(cls.severity, Severity)
    assert cls.description.strip()
    assert cls.__doc__ and cls.__doc__.strip()
    assert cls.logs and cls.logs <= {"access", "error"}
    # watched-path is configured with paths first: its samples' instance is what must select.
    rule = WatchedPath.watching(WatchedPath.sample_paths) if cls is WatchedPath else cls
    assert rule.has_prefilter()
    assert set(cls.triggers) <= TEXT_FIELDS
    assert set(cls.tokens) <= TEXT_FIELDS


@pytest.mark.parametrize("cls", ALL_RULES, ids=lambda cls: cls.id)
def test_rule_ships_samples_both_ways(cls: type[Rule]) -> None:
    assert len(cls.must_match) >= 2
    assert len(cls.must_not_match) >= 2


def test_every_single_line_category_has_a_rule() -> None:
    # known-exploit's rules are the rule pack's (lwsyslog/data/rulepack), not classes.
    covered = {category for cls in ALL_RULES for category in cls.categories}
    pack = RulePack.load([builtin_dir()])
    covered |= {category for rule in pack.rules for category in rule.categories}
    assert covered == CATEGORIES - MULTI_EVENT_ONLY
    assert "known-exploit" not in {c for cls in ALL_RULES for c in cls.categories}


def test_default_detector_runs_one_instance_of_every_active_rule() -> None:
    engine = BuiltinDetector().engine
    # watched-path watches nothing until configured, and a rule that cannot match is left out.
    assert [type(rule) for rule in engine.rules] == [c for c in ALL_RULES if c is not WatchedPath]


class _Probe(Rule):
    """A stand-in rule for testing the RuleEngine's checks; never registered."""

    categories: ClassVar[tuple[str, ...]] = ("scanner",)
    severity = Severity.LOW
    description = "probe"
    logs = frozenset({"access"})
    statuses = frozenset({418})
    must_match = (AccessSample(status=418), AccessSample(status=418, target="/x"))
    must_not_match = (AccessSample(), AccessSample(target="/y"))

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        return RuleMatch("status", "418") if getattr(event, "status", None) == 418 else None


def _probe(rule_id: str, **attributes: object) -> Rule:
    return type("P", (_Probe,), {"id": rule_id, **attributes})()  # type: ignore[no-any-return]


def test_detector_rejects_duplicate_ids() -> None:
    with pytest.raises(RuleError, match="duplicate"):
        builtin_engine([_probe("teapot"), _probe("teapot")])


def test_detector_rejects_unknown_category() -> None:
    with pytest.raises(RuleError, match="taxonomy"):
        builtin_engine([_probe("teapot", categories=("tea",))])


def test_detector_rejects_rule_without_prefilter() -> None:
    with pytest.raises(RuleError, match="prefilter"):
        builtin_engine([_probe("teapot", statuses=frozenset())])


def test_detector_rejects_bad_trigger() -> None:
    with pytest.raises(RuleError, match="trigger"):
        builtin_engine([_probe("teapot", triggers={"target": "(unclosed"})])
    with pytest.raises(RuleError, match="unknown field"):
        builtin_engine([_probe("teapot", triggers={"nowhere": "x"})])


def _pattern_rule(rule_id: str, pattern: Regex) -> type[PatternRule]:
    attributes = {
        "__doc__": "A stand-in pattern rule; never registered.",
        "id": rule_id,
        "categories": ("scanner",),
        "severity": Severity.LOW,
        "description": "probe",
        "logs": frozenset({"access"}),
        "fields": ("target",),
        "pattern": pattern,
        "must_match": (AccessSample(target="/teapot"), AccessSample(target="/a/teapot")),
        "must_not_match": (AccessSample(), AccessSample(target="/kettle")),
    }
    return type("PatternProbe", (PatternRule,), attributes)


def test_a_pattern_neither_engine_reads_fails_when_its_rule_is_defined() -> None:
    with pytest.raises(re.error):
        _pattern_rule("teapot-unclosed", Regex("(teapot"))


def test_a_pattern_only_re2_reads_is_reported_when_the_rules_load() -> None:
    # RE2 reads "\\z" (end of text) and compiles it when the class is made; re does not, and
    # compiles a rule's pattern only when something runs it: the load reports it all the same.
    if not re2_available():
        pytest.skip("without RE2, re compiles the pattern when the class is made")
    rule = _pattern_rule("teapot-end", Regex(r"teapot\z"))
    assert rule.linear.engine == "re2"
    with pytest.raises(RuleError, match=r"teapot-end.*bad pattern.*\\z"):
        builtin_engine([rule()])


def test_loading_the_rules_compiles_none_of_their_patterns_with_re() -> None:
    if not re2_available():
        pytest.skip("without RE2, re compiles every pattern when its class is made")
    rule = _pattern_rule("teapot-lazy", Regex(r"/(?P<frag>tea)pot\b"))
    detector = builtin_engine([rule()])
    assert not rule.pattern.is_compiled  # type: ignore[union-attr]
    finding = detector.detect(AccessSample(target="/a/teapot").to_event())[0]
    assert (finding.rule_id, finding.fragment) == ("teapot-lazy", "tea")
    assert not rule.pattern.is_compiled  # type: ignore[union-attr]
    lazy = [cls for cls in ALL_RULES if isinstance(getattr(cls, "pattern", None), Regex)]
    assert len(lazy) > 50


def test_custom_rule_set_runs_only_those_rules() -> None:
    detector = builtin_engine([_probe("teapot")])
    event = AccessSample(status=418).to_event()
    assert [finding.rule_id for finding in detector.detect(event)] == ["teapot"]
