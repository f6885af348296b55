"""The known-exploit rule pack: every shipped rule on its samples through the real detect stage,
pack files checked with errors that name file, line and key, user directories that add and
replace files, and CVE ids reaching findings, alerts, journald and ``rules --cve``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from lwsyslog.cli.main import main
from lwsyslog.cli.scan_cmd import alert_record, finding_record
from lwsyslog.config import load_config
from lwsyslog.detection.catalog import load_detection
from lwsyslog.detection.engine import DetectEngine
from lwsyslog.detection.signatures import Candidate
from lwsyslog.errors import RuleError
from lwsyslog.events import Event, Origin
from lwsyslog.findings import Finding
from lwsyslog.normalize import EventView
from lwsyslog.pipeline import Pipeline
from lwsyslog.rulepack.detector import PackDetector
from lwsyslog.rulepack.pack import RulePack, builtin_dir
from lwsyslog.rulepack.schema import PackRule
from lwsyslog.rules import ALL_RULES, AccessSample
from lwsyslog.rules.source import BuiltinDetector
from lwsyslog.sinks.journald import journald_fields

PACK = RulePack.load([builtin_dir()], reserved={cls.id for cls in ALL_RULES})
DETECTION = load_detection(load_config([]))


def _cases(kind: str) -> list[tuple[PackRule, AccessSample]]:
    return [
        (rule, sample)
        for rule in PACK.rules
        for sample in (rule.must_match if kind == "match" else rule.must_not_match)
    ]


def _ids(cases: list[tuple[PackRule, AccessSample]]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for rule, _ in cases:
        seen[rule.id] = seen.get(rule.id, 0) + 1
        names.append(f"{rule.id}-{seen[rule.id]}")
    return names


def _fired(sample: AccessSample) -> dict[str, tuple[str, ...]]:
    event = sample.to_event()
    return {f.rule_id: f.cves for f in DETECTION.detect(event, EventView(event))}


MATCH = _cases("match")
NO_MATCH = _cases("no-match")


@pytest.mark.parametrize(("rule", "sample"), MATCH, ids=_ids(MATCH))
def test_pack_rule_fires_on_its_must_match_samples_with_its_cves(
    rule: PackRule, sample: AccessSample
) -> None:
    fired = _fired(sample)
    assert rule.id in fired
    assert fired[rule.id] == rule.cves


@pytest.mark.parametrize(("rule", "sample"), NO_MATCH, ids=_ids(NO_MATCH))
def test_pack_rule_stays_quiet_on_its_must_not_match_samples(
    rule: PackRule, sample: AccessSample
) -> None:
    assert rule.id not in _fired(sample)


def test_the_shipped_pack_names_products_cves_and_the_known_exploit_category() -> None:
    assert len(PACK.rules) >= 100
    assert len(PACK.cves()) >= 120
    for rule in PACK.rules:
        assert rule.product.strip() and rule.title.strip()
        assert rule.categories[0] == "known-exploit"
        assert rule.must_match and rule.must_not_match
    # Entries without a CVE are the legacy product probes only.
    legacy = {"legacy-servers.toml", "legacy-appservers.toml"}
    assert {Path(r.file).name for r in PACK.rules if not r.cves} == legacy


def test_the_named_kev_exploits_of_the_issue_are_covered() -> None:
    covered = PACK.cves()
    for cve in (
        "CVE-2021-41773", "CVE-2021-42013", "CVE-2022-26134", "CVE-2021-34473",
        "CVE-2021-26855", "CVE-2019-19781", "CVE-2022-1388", "CVE-2018-13379",
        "CVE-2024-3400", "CVE-2023-46805", "CVE-2023-34362", "CVE-2022-22965",
        "CVE-2018-11776", "CVE-2018-20062", "CVE-2018-7600", "CVE-2017-9841",
        "CVE-2021-21972", "CVE-2024-23897", "CVE-2021-22205", "CVE-2021-43798",
        "CVE-2022-27925", "CVE-2022-46169", "CVE-2024-1709",
    ):  # fmt: skip
        assert cve in covered, cve


FINGERPRINTS = [rule for rule in PACK.rules if rule.not_found_only]


@pytest.mark.parametrize("rule", FINGERPRINTS, ids=[rule.id for rule in FINGERPRINTS])
def test_a_product_fingerprint_counts_only_where_the_server_answered_not_found(
    rule: PackRule,
) -> None:
    # A scanner asking a server without the product for its endpoint gets 404/410; where the
    # product runs, the same request is its own use: served, redirected to a login, or refused.
    for sample in rule.must_match:
        for status in (404, 410):
            assert rule.id in _fired(replace(sample, status=status)), (sample.target, status)
        for status in (200, 204, 302, 304, 401, 403, 500):
            assert rule.id not in _fired(replace(sample, status=status)), (sample.target, status)


def test_the_fingerprints_cover_the_products_whose_exploits_start_at_a_product_endpoint() -> None:
    named = {cve for rule in FINGERPRINTS for cve in rule.cves}
    for cve in (
        "CVE-2021-26084", "CVE-2019-0193", "CVE-2022-1388", "CVE-2018-13379",
        "CVE-2019-19781", "CVE-2023-46805", "CVE-2024-3400", "CVE-2023-34362",
        "CVE-2022-27925", "CVE-2018-1000861", "CVE-2021-22205", "CVE-2021-43798",
        "CVE-2022-22947", "CVE-2021-21972", "CVE-2024-36401",
    ):  # fmt: skip
        assert cve in named, cve
    assert all(rule.severity in ("low", "medium") for rule in FINGERPRINTS)


GOOD_RULE = """
[pack]
product = "Example Appliance"

[[rule]]
id = "exploit-example-unauth-exec"
title = "Example Appliance unauthenticated command endpoint"
cves = ["CVE-2099-0001"]
fields = ["path"]
pattern = '''/appliance/unauth-exec'''
must_match = ["/appliance/unauth-exec?cmd=id"]
must_not_match = ["/appliance/status"]
"""


def _write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "line", "key", "problem"),
    [
        (('cves = ["CVE-2099-0001"]', 'cves = ["2099-1"]'), 8, "cves", "is not a CVE id"),
        (('fields = ["path"]', 'fields = ["body"]'), 9, "fields", "'body' is none of"),
        (
            ("pattern = '''/appliance/unauth-exec'''", "pattern = '''(?<=x)/appliance'''"),
            10,
            "pattern",
            "RE2 cannot run it",
        ),
        (
            ("pattern = '''/appliance/unauth-exec'''", "pattern = '''[a-z]+\\.php'''"),
            10,
            "pattern",
            "too short or too common",
        ),
        (
            ("pattern = '''/appliance/unauth-exec'''", "pattern = '''/app/x[a-z]{0,40}'''"),
            10,
            "pattern",
            "counted repetition",
        ),
        (
            ('must_match = ["/appliance/unauth-exec?cmd=id"]', 'must_match = ["/appliance/x"]'),
            11,
            "must_match",
            "'/appliance/x' does not match",
        ),
        (
            (
                'must_not_match = ["/appliance/status"]',
                'must_not_match = ["/appliance/unauth-exec"]',
            ),
            12,
            "must_not_match",
            "matches",
        ),
        (('title = "', 'colour = "red"\ntitle = "'), 7, "colour", "unknown key"),
        (("severity", "severity"), 6, "", ""),
    ],
)
def test_a_bad_pack_file_is_an_error_naming_file_line_and_key(
    tmp_path: Path, change: tuple[str, str], line: int, key: str, problem: str
) -> None:
    old, new = change
    path = _write(tmp_path / "packs", "example.toml", GOOD_RULE.replace(old, new, 1))
    if not problem:  # the unchanged file loads
        assert [r.id for r in RulePack.load([tmp_path / "packs"]).rules]
        return
    with pytest.raises(RuleError) as caught:
        RulePack.load([tmp_path / "packs"])
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: [[rule]] exploit-example-unauth-exec:")
    assert f"key '{key}'" in message
    assert problem in message


def test_invalid_toml_and_missing_keys_are_errors(tmp_path: Path) -> None:
    _write(tmp_path / "a", "broken.toml", "[[rule]]\nid = \n")
    with pytest.raises(RuleError, match=r"broken\.toml: not valid TOML"):
        RulePack.load([tmp_path / "a"])
    _write(tmp_path / "b", "short.toml", '[[rule]]\nid = "exploit-x"\n')
    with pytest.raises(RuleError, match=r"short\.toml:1: \[\[rule\]\] exploit-x: missing key"):
        RulePack.load([tmp_path / "b"])
    with pytest.raises(RuleError, match="no such rule-pack directory"):
        RulePack.load([tmp_path / "nowhere"])


def test_one_id_in_two_files_or_a_built_in_id_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path / "p", "one.toml", GOOD_RULE)
    _write(tmp_path / "p", "two.toml", GOOD_RULE)
    with pytest.raises(RuleError, match=r"two\.toml:6: .*key 'id': also defined in .*one\.toml:6"):
        RulePack.load([tmp_path / "p"])
    builtin = GOOD_RULE.replace("exploit-example-unauth-exec", "sqli-union-select")
    _write(tmp_path / "q", "one.toml", builtin)
    with pytest.raises(RuleError, match="a built-in rule has this id"):
        RulePack.load([tmp_path / "q"], reserved={cls.id for cls in ALL_RULES})


def _config(tmp_path: Path, body: str) -> Path:
    return _write(tmp_path, "lwsyslog.toml", body)


def test_a_configured_directory_adds_files_and_replaces_shipped_ones_by_name(
    tmp_path: Path,
) -> None:
    packs = tmp_path / "rulepack.d"
    _write(packs, "example.toml", GOOD_RULE)
    # A newer phpunit.toml: the shipped rule is replaced, not doubled.
    newer = (builtin_dir() / "phpunit.toml").read_text(encoding="utf-8")
    _write(packs, "phpunit.toml", newer.replace('severity = "high"', 'severity = "critical"'))
    config = load_config([_config(tmp_path, f'[rule_packs]\ndirs = ["{packs}"]\n')])
    detection = load_detection(config)
    info = detection.info("exploit-phpunit-eval-stdin")
    assert info is not None and info.severity.value == "critical"
    assert info.source == str(packs / "phpunit.toml")
    added = detection.info("exploit-example-unauth-exec")
    assert added is not None and added.cves == ("CVE-2099-0001",)
    assert detection.info("exploit-apache-httpd-path-traversal") is not None


def test_the_shipped_pack_can_be_left_out(tmp_path: Path) -> None:
    config = load_config([_config(tmp_path, "[rule_packs]\nbuiltin = false\n")])
    detection = load_detection(config)
    assert detection.info("exploit-apache-httpd-path-traversal") is None
    assert all(name != "rule-pack" for name, _, _ in detection.summary())


EXPLOIT_LINE = (
    '198.51.100.23 - - [01/Jun/2024:12:00:00 +0000] "GET /cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd'
    ' HTTP/1.1" 400 226 "-" "curl/8.0"'
)


def test_a_known_exploit_alert_names_product_and_cve_everywhere() -> None:
    result = Pipeline(load_config([])).process(EXPLOIT_LINE, Origin("access.log", 7))
    (alert,) = result.alerts
    assert alert.cves == ("CVE-2021-41773", "CVE-2021-42013")
    assert "Apache HTTP Server 2.4.49/2.4.50" in alert.message
    assert "known-exploit" in alert.categories
    fields = journald_fields(alert)
    assert [value for name, value in fields if name == "LWSYSLOG_CVE"] == [
        "CVE-2021-41773",
        "CVE-2021-42013",
    ]
    assert ("LWSYSLOG_CATEGORY", "known-exploit") in fields
    assert json.loads(alert_record(alert))["cve"] == ["CVE-2021-41773", "CVE-2021-42013"]
    record = json.loads(finding_record(result))
    assert record["cve"] == ["CVE-2021-41773", "CVE-2021-42013"]
    (match,) = [m for m in record["matches"] if m["rule"] == "exploit-apache-httpd-path-traversal"]
    assert match["cve"] == ["CVE-2021-41773", "CVE-2021-42013"]


def test_an_alert_without_a_cve_has_no_cve_field() -> None:
    line = EXPLOIT_LINE.replace(
        "/cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd", "/p?id=1%20union%20select%201"
    )
    result = Pipeline(load_config([])).process(line, Origin("access.log", 8))
    (alert,) = result.alerts
    assert alert.cves == ()
    assert "LWSYSLOG_CVE" not in dict(journald_fields(alert))
    assert "cve" not in json.loads(alert_record(alert))


def test_rules_cve_lists_covered_cves_and_filters_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--cve"]) == 0
    out = capsys.readouterr().out
    assert "CVE-2021-44228   log4shell-jndi" in out
    assert "CVE-2024-3400    exploit-panos-globalprotect-sessid" in out
    assert main(["rules", "--cve", "cve-2022-1388", "--json"]) == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["cve"] == "CVE-2022-1388"
    assert [r["id"] for r in row["rules"]] == ["exploit-f5-icontrol-bash", "exploit-f5-probe"]
    assert main(["rules", "--cve", "CVE-2099-99999"]) == 1
    assert "no loaded rule names CVE-2099-99999" in capsys.readouterr().out


def test_the_pack_is_asked_only_about_events_its_literals_select() -> None:
    pack = RulePack.load([builtin_dir()])
    asked: list[int] = []

    class Counting(PackDetector):
        def detect(
            self, event: Event, view: EventView, candidates: Sequence[Candidate]
        ) -> list[Finding]:
            asked.append(len(candidates))
            return super().detect(event, view, candidates)

    engine = DetectEngine([BuiltinDetector(), Counting(pack, [builtin_dir()])])
    rule = pack.rules[0]
    benign = AccessSample(target="/index.html?page=2", status=401).to_event()
    exploit = rule.must_match[0].to_event()
    # The 401 still reaches the built-in rules its status selects.
    assert engine.detect(benign) == engine.detectors[0].detect(benign, EventView(benign), ())
    assert asked == []
    assert rule.id in {finding.rule_id for finding in engine.detect(exploit)}
    assert asked and all(asked)
