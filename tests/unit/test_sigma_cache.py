"""Sigma rules kept in the database cache as their plain description: unchanged rule files
load from it without pySigma and give the same rules and findings, a changed, added or removed
file is read whole (a malformed rule is still an error naming its file), and an entry this
code cannot read is ignored."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lwsyslog.config import load_config
from lwsyslog.errors import RuleError
from lwsyslog.events import AccessEvent, ErrorEvent
from lwsyslog.matching import dbcache
from lwsyslog.matching.dbcache import DatabaseCache
from lwsyslog.observation import Observation
from lwsyslog.severity import Severity
from lwsyslog.sigma.correlation import SigmaEventCount
from lwsyslog.sigma.ruleset import SigmaRuleSet
from lwsyslog.sigma.source import SIGMA_SOURCE
from lwsyslog.triage import Urgency
from tests.unit.test_sigma import MODIFIER_CASES, RULES, access, error, write_rule

RULE_ID = "sigma:11111111-2222-4333-8444-555555555555"


def _events() -> list[AccessEvent | ErrorEvent]:
    """Events that match (and miss) every kind of rule in the Sigma fixtures."""
    events: list[AccessEvent | ErrorEvent] = []
    for case in MODIFIER_CASES:
        events += [value for value in case.values[1:] if isinstance(value, AccessEvent)]
    events += [
        access("/search?q=1 UNION SELECT password FROM users"),
        access(ua="SQLMap/1.7.2#stable"),
        access("/files/up.php", method="POST"),
        access("/admin/login", status=401),
        access("/upload/a.bin", status=503),
        access(ua="${jndi:ldap://x/a}"),
        access(referer="http://a/${jndi:dns://b}"),
        access("/static/app.js?v=3"),
        error("AH00052: child pid 4242 exit signal Segmentation fault (11)"),
        error("File does not exist: /x UNION SELECT"),
    ]
    return events


def _observed(ruleset: SigmaRuleSet) -> list[object]:
    """Everything a caller can see of a rule set: rules, what was left out, thresholds,
    metadata, and every rule's verdict, findings and threshold keys on :func:`_events`."""
    seen: list[object] = [ruleset.rules, ruleset.unsupported, ruleset.other_logsources]
    seen += [[rule.requirements for rule in ruleset.rules]]
    for threshold, settings in ruleset.thresholds():
        assert isinstance(threshold, SigmaEventCount)
        seen += [
            threshold.id,
            threshold.categories,
            threshold.description,
            sorted(threshold.rule_ids),
            settings,
            ruleset.metadata(threshold.id),
        ]
    for event in _events():
        findings = ruleset.detect(event)
        seen += [ruleset.explain(event), findings]
        observation = Observation(event, Urgency.URGENT, findings)
        seen += [list(threshold.keys(observation)) for threshold, _ in ruleset.thresholds()]
    return seen


def _refuse_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make reading the files with pySigma fail: only a load from the cache succeeds."""

    def refuse(files: object) -> object:
        raise AssertionError("the rule files were read again")

    monkeypatch.setattr("lwsyslog.sigma.reading.read_rules", refuse)


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob(f"*{dbcache.SUFFIX}"))


def test_a_second_load_from_the_cache_gives_the_same_rules_and_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uncached = SigmaRuleSet.load([RULES])
    with dbcache.using(DatabaseCache(tmp_path / "cache")):
        first = SigmaRuleSet.load([RULES])
        assert len(_entries(tmp_path / "cache")) == 1
        _refuse_reading(monkeypatch)
        again = SigmaRuleSet.load([RULES])
    assert _observed(again) == _observed(first) == _observed(uncached)


PRIME = (
    "import sys; from pathlib import Path; from lwsyslog.matching import dbcache; "
    "from lwsyslog.sigma.ruleset import SigmaRuleSet; "
    "dbcache.use(dbcache.DatabaseCache(Path(sys.argv[1]))); SigmaRuleSet.load([Path(sys.argv[2])])"
)

CACHED_SCAN = """
import json, sys
from pathlib import Path
from lwsyslog.matching import dbcache
from lwsyslog.sigma.detector import SigmaDetector
from lwsyslog.sigma.correlation import SigmaEventCount
from lwsyslog.sigma.ruleset import SigmaRuleSet
from tests.unit.test_sigma_cache import _events

dbcache.use(dbcache.DatabaseCache(Path(sys.argv[1])))
ruleset = SigmaRuleSet.load([Path(sys.argv[2])])
SigmaDetector(ruleset, [Path(sys.argv[2])])
findings = [[f.rule_id, f.field, f.fragment] for e in _events() for f in ruleset.detect(e)]
loaded = sorted(name for name in ("sigma", "sigma.collection", "yaml", "pyparsing")
                if name in sys.modules)
print(json.dumps({"loaded": loaded, "findings": findings}))
"""


def test_a_load_from_the_cache_does_not_import_pysigma_or_yaml(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    args = [str(tmp_path / "cache"), str(RULES)]
    subprocess.run([sys.executable, "-c", PRIME, *args], check=True, cwd=root)
    run = subprocess.run(
        [sys.executable, "-c", CACHED_SCAN, *args],
        check=True,
        cwd=root,
        capture_output=True,
        text=True,
    )
    result = json.loads(run.stdout)
    assert result["loaded"] == []
    expected = [
        [f.rule_id, f.field, f.fragment]
        for event in _events()
        for f in SigmaRuleSet.load([RULES]).detect(event)
    ]
    assert result["findings"] == expected
    assert len(expected) > 10


def test_an_edited_rule_file_is_read_again(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    detection = "    sel:\n        cs-uri-stem: '/x'\n    condition: sel\n"
    path = write_rule(rules, "rule.yml", detection)
    with dbcache.using(DatabaseCache(tmp_path / "cache")):
        assert SigmaRuleSet.load([rules]).rules[0].severity is Severity.MEDIUM
        path.write_text(path.read_text().replace("level: medium", "level: critical"))
        (rule,) = SigmaRuleSet.load([rules]).rules
        assert (rule.level, rule.severity) == ("critical", Severity.CRITICAL)
        assert len(_entries(tmp_path / "cache")) == 2


def test_an_added_or_removed_rule_file_is_read_again(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    write_rule(rules, "a.yml", "    sel:\n        cs-uri-stem: '/a'\n    condition: sel\n")
    with dbcache.using(DatabaseCache(tmp_path / "cache")):
        assert [rule.id for rule in SigmaRuleSet.load([rules]).rules] == [RULE_ID]
        other = rules / "b.yml"
        other.write_text(
            (rules / "a.yml")
            .read_text()
            .replace("11111111-2222-4333-8444-555555555555", "99999999-2222-4333-8444-555555555555")
        )
        assert len(SigmaRuleSet.load([rules]).rules) == 2
        other.unlink()
        assert [rule.id for rule in SigmaRuleSet.load([rules]).rules] == [RULE_ID]


@pytest.mark.parametrize(
    "payload",
    [
        b"not json at all",
        b'{"rules": [{"id": 1}]}',
        json.dumps(
            {
                "rules": [
                    {
                        "id": RULE_ID,
                        "sigma_id": RULE_ID[len("sigma:") :],
                        "title": "Foreign",
                        "level": "low",
                        "severity": "low",
                        "categories": ["scanner"],
                        "logs": ["access"],
                        "file": "x.yml",
                        "cves": [],
                        "standalone": True,
                        "conditions": [{"soundex": "x"}],
                        "requirements": {"access": None},
                    }
                ],
                "correlations": [],
                "unsupported": [],
                "other_logsources": [],
            }
        ).encode(),
    ],
    ids=["not-json", "not-a-description", "unknown-condition"],
)
def test_an_entry_this_code_cannot_read_is_ignored(tmp_path: Path, payload: bytes) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    write_rule(rules, "rule.yml", "    sel:\n        cs-uri-stem: '/x'\n    condition: sel\n")
    store = DatabaseCache(tmp_path / "cache")
    with dbcache.using(store):
        SigmaRuleSet.load([rules])
        (entry,) = _entries(tmp_path / "cache")
        key = entry.name.removesuffix(dbcache.SUFFIX)
        store.put(key, payload)
        assert store.get(key) == payload
        (rule,) = SigmaRuleSet.load([rules]).rules
        assert (rule.id, rule.title) == (RULE_ID, "Inline Test Rule")
        assert rule.evaluate(access("/x")) == ("cs-uri-stem", "/x")
        assert store.get(key) != payload  # replaced by the description just read


def test_a_malformed_rule_is_an_error_naming_its_file_though_an_older_entry_exists(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    path = write_rule(
        rules, "rule.yml", "    sel:\n        cs-uri-stem: '/x'\n    condition: sel\n"
    )
    good = path.read_bytes()
    with dbcache.using(DatabaseCache(tmp_path / "cache")):
        SigmaRuleSet.load([rules])
        path.write_text(path.read_text().replace("condition: sel", "condition: [sel"))
        with pytest.raises(RuleError) as caught:
            SigmaRuleSet.load([rules])
        assert str(caught.value).startswith(f"{path}: malformed Sigma rule: YAML error")
        path.write_bytes(good)
        assert [rule.id for rule in SigmaRuleSet.load([rules]).rules] == [RULE_ID]
    assert len(_entries(tmp_path / "cache")) == 1  # only the successful load was stored


def test_on_unsupported_error_still_stops_a_load_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file = tmp_path / "lwsyslog.toml"
    config_file.write_text(f'[sigma]\nrule_dirs = ["{RULES}"]\n')
    config = load_config([config_file])
    with dbcache.using(DatabaseCache(tmp_path / "cache")):
        with pytest.raises(RuleError) as first:
            SIGMA_SOURCE.load(config)
        _refuse_reading(monkeypatch)
        with pytest.raises(RuleError) as again:
            SIGMA_SOURCE.load(config)
    assert "Sigma rule not supported" in str(first.value)
    assert str(again.value) == str(first.value)
