"""The RuleEngine's prefilter and caches: what a cached verdict must never change."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from lwsyslog.detection import plan as plan_module
from lwsyslog.detection.engine import DetectEngine
from lwsyslog.detection.plan import LogPlan
from lwsyslog.detection.signatures import Signature
from lwsyslog.events import AccessEvent, Event, Origin
from lwsyslog.findings import Finding
from lwsyslog.normalize import EventView
from lwsyslog.rules import AccessSample, ErrorSample, Rule, RuleMatch
from lwsyslog.rules.base import BOTH, PathRule, PatternRule
from lwsyslog.severity import Severity
from tests.unit.engines import builtin_engine, explain_all


class _Needle(PatternRule):
    """Field-local: "needle" in any payload field."""

    id = "test-needle"
    categories = ("scanner",)
    severity = Severity.LOW
    description = "needle"
    logs = BOTH
    must_match = ()
    must_not_match = ()
    pattern = re.compile(r"needle")
    fields = ("target", "cookie", "referer", "user_agent", "message")


class _PathSecret(PatternRule):
    """Field-local on the path alone (the query must not count)."""

    id = "test-path-secret"
    categories = ("sensitive-file",)
    severity = Severity.MEDIUM
    description = "secret in the path"
    logs = BOTH
    must_match = ()
    must_not_match = ()
    pattern = re.compile(r"secret")
    fields = ("path",)


class _QueryDrop(PatternRule):
    """Field-local on the query alone, gated on a space."""

    id = "test-query-drop"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = "drop in the query"
    logs = BOTH
    must_match = ()
    must_not_match = ()
    pattern = re.compile(r"drop table")
    gate = " "
    trigger = r"drop"
    fields = ("query",)


class _Tilde(Rule):
    """Selected by status only, reads the decoded path: evaluated on the whole event."""

    id = "test-tilde"
    categories = ("scanner",)
    severity = Severity.LOW
    description = "missing home directory"
    logs = BOTH
    must_match = ()
    must_not_match = ()
    statuses = frozenset({404})

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        path = view.lower("path")
        return RuleMatch("path", path) if "/~" in path else None


class _Backup(PathRule):
    """Selected by extension, on both logs (an error entry's path is in its message)."""

    id = "test-backup"
    categories = ("sensitive-file",)
    severity = Severity.MEDIUM
    description = "backup file"
    must_match = ()
    must_not_match = ()
    extensions = frozenset({"bak"})


RULES = (_Needle(), _PathSecret(), _QueryDrop(), _Tilde(), _Backup())


def _found(
    detector: DetectEngine, sample: AccessSample | ErrorSample
) -> list[tuple[str, str, str]]:
    findings: list[Finding] = detector.detect(sample.to_event())
    return [(finding.rule_id, finding.field, finding.fragment) for finding in findings]


def test_a_cached_target_does_not_hide_the_other_fields() -> None:
    detector = builtin_engine(RULES)
    assert _found(detector, AccessSample(target="/a?x=1", user_agent="Agent")) == []
    assert _found(detector, AccessSample(target="/a?x=1", user_agent="needle/1.0")) == [
        ("test-needle", "user_agent", "needle")
    ]
    assert _found(detector, AccessSample(target="/a?x=1", referer="http://needle/")) == [
        ("test-needle", "referer", "needle")
    ]


@pytest.mark.parametrize("warm_first", [False, True])
def test_a_rule_matching_several_fields_names_the_first(warm_first: bool) -> None:
    detector = builtin_engine(RULES)
    if warm_first:
        detector.detect(AccessSample(target="/x", user_agent="needle").to_event())
        detector.detect(ErrorSample(message="needle in the message").to_event())
    both = AccessSample(target="/needle", user_agent="needle")
    assert _found(detector, both) == [("test-needle", "target", "needle")]
    # On the error log the referer comes before the message.
    error = ErrorSample(message="needle in the message", referer="http://x/needle")
    assert _found(detector, error) == [("test-needle", "referer", "needle")]


def test_path_and_query_rules_read_their_own_part_of_the_target() -> None:
    detector = builtin_engine(RULES)
    for _ in range(2):  # the second round comes from the cache
        assert _found(detector, AccessSample(target="/x?secret=1")) == []
        assert _found(detector, AccessSample(target="/secret?x=1")) == [
            ("test-path-secret", "path", "secret")
        ]
        assert _found(detector, AccessSample(target="/drop%20table?x")) == []
        assert _found(detector, AccessSample(target="/x?q=drop+table")) == [
            ("test-query-drop", "query", "drop table")
        ]


def test_status_selected_rule_runs_on_a_target_seen_before() -> None:
    detector = builtin_engine(RULES)
    assert _found(detector, AccessSample(target="/%7Eroot", status=200)) == []
    assert _found(detector, AccessSample(target="/%7Eroot", status=404)) == [
        ("test-tilde", "path", "/~root")
    ]


def test_error_entry_path_selects_by_extension_whatever_the_message_says() -> None:
    detector = builtin_engine(RULES)
    messages = (
        "File does not exist: /var/www/html/site.bak",
        "AH01630: client denied by server configuration: /var/www/html/site.bak",
        "File does not exist: /var/www/html/site.html",
    )
    found = [_found(detector, ErrorSample(message=message)) for message in messages]
    assert found == [[("test-backup", "path", "site.bak")]] * 2 + [[]]


def test_findings_do_not_depend_on_what_was_cached_or_evicted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    samples: list[AccessSample | ErrorSample] = [
        AccessSample(target=f"/p{index % 7}?q={index % 5}", user_agent=f"A{index % 3}")
        for index in range(40)
    ]
    samples += [
        AccessSample(target="/needle?q=drop+table", status=404),
        AccessSample(target="/~x/secret.bak", status=404, user_agent="needle"),
        ErrorSample(message="File does not exist: /srv/~y.bak", referer="needle"),
    ]
    fresh = [_found(builtin_engine(RULES), sample) for sample in samples]
    monkeypatch.setattr(plan_module, "CACHE_ENTRIES", 2)
    small = builtin_engine(RULES)
    assert [_found(small, sample) for sample in samples * 2] == fresh * 2


def test_explain_marks_the_rules_detect_selected() -> None:
    detector = builtin_engine(RULES)
    event = AccessSample(target="/secret.bak?q=drop+table", status=404).to_event()
    verdicts = {verdict.rule_id: verdict for verdict in explain_all(detector, event)}
    assert {rule_id for rule_id, verdict in verdicts.items() if verdict.selected} == {
        "test-path-secret",
        "test-query-drop",
        "test-tilde",
        "test-backup",
    }
    assert not verdicts["test-tilde"].matched
    assert [finding.rule_id for finding in detector.detect(event)] == [
        "test-path-secret",
        "test-query-drop",
        "test-backup",
    ]


def test_a_literal_elsewhere_in_the_target_does_not_confirm_a_rule_on_the_query() -> None:
    # The target is scanned once for its path's and its query's rules: "-r" in the path
    # selects a query rule, which cannot match a query without it; only a query holding one
    # of its literals is confirmed.
    asked: list[str] = []

    def confirmer(owner: int, field: str) -> Callable[[str], str | None]:
        def confirm(text: str) -> str | None:
            asked.append(text)
            return "-r" if "-r" in text else None

        return confirm

    signature = Signature(0, "query", "decoded", (frozenset({"-r", "-n"}),), True)
    plan = LogPlan("access", [[signature]], "re", [confirmer])

    def select(target: str) -> list[str]:
        event = AccessEvent(origin=Origin("t", 1), raw="", target=target)
        found, _ = plan.select(event)
        return [item.candidate.fragment or "" for item in found]

    assert select("/blog/1-release-notes?ref=ab&page=2") == []
    assert asked == []
    assert select("/blog?x=a-r") == ["-r"]
    assert select("/blog-r?x=a-n") == []
    assert asked == ["x=a-r", "x=a-n"]
