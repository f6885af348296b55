"""Sigma rules under hostile input: a crafted line costs a bounded multiple of a normal one.

An attacker writes the fields a Sigma rule searches, and can put the rule's literal in them
so the scan selects it. A wildcard value with ``*`` between two parts (SigmaHQ's
``*/config/keystore/*.json*``) searched by ``re`` scans the rest of the field once per
occurrence of the first part: 8 KB of ``/config/keystore/`` took 13 ms against one rule. The
searches run in RE2, linear in the field, and a Sigma ``re`` value RE2 cannot run is refused
at load. The timing compares two lines of the same length on the same rule, best of
:data:`REPEATS` each, alternately (load on the machine slows both alike), as
``test_rule_cost`` does for the built-in rules.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from lwsyslog.errors import RuleError
from lwsyslog.events import AccessEvent, Origin
from lwsyslog.sigma.ruleset import SigmaRuleSet

#: Most a hostile line may cost, in normal lines of the same length on the same rule.
BUDGET = 10.0
#: Characters of the searched query.
RUN_CHARS = 8000
REPEATS = 5

KEYSTORE = """
title: Keystore file read
id: 3a1e8c55-6d0b-4f0e-9a51-0c7d1c2b9e10
status: test
level: high
logsource:
    category: webserver
detection:
    selection:
        cs-uri-query: '*/config/keystore/*.json*'
    condition: selection
"""

LOOKBEHIND = """
title: Look-behind
id: 5c2f7a10-8e3b-4d61-a9c4-2b7e0d4f6a21
status: test
level: medium
logsource:
    category: webserver
detection:
    selection:
        cs-uri-query|re: '(?<=cmd=)whoami'
    condition: selection
"""


def _event(query: str) -> AccessEvent:
    return AccessEvent(
        Origin("a.log", 1), "", client_ip="203.0.113.5", method="GET",
        target=f"/x?{query}", status=200, user_agent="Mozilla/5.0",
    )  # fmt: skip


def _load(tmp_path: Path, text: str) -> SigmaRuleSet:
    (tmp_path / "rule.yml").write_text(text, encoding="utf-8")
    return SigmaRuleSet.load([tmp_path])


def _best(ruleset: SigmaRuleSet, query: str) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        event = _event(query)
        start = time.perf_counter()
        ruleset.detect(event)
        best = min(best, time.perf_counter() - start)
    return best


def test_a_wildcard_between_two_parts_costs_within_the_budget(tmp_path: Path) -> None:
    ruleset = _load(tmp_path, KEYSTORE)
    hostile = ("/config/keystore/" * (RUN_CHARS // 17 + 1))[:RUN_CHARS]
    normal = ("/config/keystore/" + "garden+walnut+" * (RUN_CHARS // 14 + 1))[:RUN_CHARS]
    assert not ruleset.detect(_event(hostile)) and not ruleset.detect(_event(normal))
    assert ruleset.detect(_event("/config/keystore/a.json"))  # the rule does match
    ratios = []
    for _ in range(3):
        base = _best(ruleset, normal)
        ratios.append(_best(ruleset, hostile) / base)
        if ratios[-1] <= BUDGET:
            break
    assert min(ratios) <= BUDGET, f"hostile query costs {min(ratios):.0f}x a normal one"


def test_a_regex_that_cannot_run_in_linear_time_is_refused_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("re2")
    # pySigma refuses it as malformed when its regex policy is RE2 (its default where the
    # wheel is installed); under a policy of re it reads the rule, and lwsyslog must leave
    # it out, saying why.
    import sigma.policy
    from sigma.policy.regex_engine import PythonRegexEngine

    (tmp_path / "rule.yml").write_text(LOOKBEHIND, encoding="utf-8")
    with pytest.raises(RuleError, match=r"rule\.yml: .*\(\?<="):
        SigmaRuleSet.load([tmp_path])
    policy = dataclasses.replace(sigma.policy.default_policy, regex_engine=PythonRegexEngine())
    monkeypatch.setattr(sigma.policy, "default_policy", policy)
    ruleset = SigmaRuleSet.load([tmp_path])
    assert not ruleset.rules
    [(file, reason)] = ruleset.unsupported
    assert file.endswith("rule.yml")
    assert "cannot run in linear time" in reason and "(?<=" in reason
