"""Sigma rules evaluated in-process on parsed Apache fields (lwsyslog.sigma)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from lwsyslog.errors import RuleError
from lwsyslog.events import AccessEvent, ErrorEvent, Origin
from lwsyslog.observation import Observation
from lwsyslog.severity import Severity
from lwsyslog.sigma.detector import SigmaDetector
from lwsyslog.sigma.mapping import categories_for, cves_for, severity_for
from lwsyslog.sigma.ruleset import SigmaRuleSet
from lwsyslog.thresholds import ThresholdEngine
from lwsyslog.triage import Urgency

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sigma"
RULES = FIXTURES / "rules"
MALFORMED = FIXTURES / "malformed"

SQLI = "sigma:9d5b4c28-ba68-4730-9c55-2fa9c726b413"
SCANNER_UA = "sigma:7a173fd2-e274-40c7-bcd4-0adbc766932a"
WEBSHELL = "sigma:4450598b-1aea-4ee4-b3a5-f58e4fdcb741"
ADMIN_401 = "sigma:d97ae664-49f3-4576-8866-785e57bffc8f"
ADMIN_BRUTE = "sigma:cbe675e3-8369-49e3-8e1f-d63ea1d8d09e"
CRASH = "sigma:a9272a2e-0c18-4db6-8294-433ff77c28de"
JNDI = "sigma:b557f143-a0ef-4b56-8102-cf578af21d30"
STATUS_5XX = "sigma:2493864a-f74c-4316-abd1-a9f11825a272"


@pytest.fixture(scope="module")
def ruleset() -> SigmaRuleSet:
    return SigmaRuleSet.load([RULES])


def access(
    target: str = "/",
    *,
    method: str = "GET",
    status: int | None = 200,
    ua: str = "Mozilla/5.0",
    referer: str = "",
    ip: str = "203.0.113.9",
    bytes_sent: int | None = 512,
    when: float | None = 1_700_000_000.0,
    line: int = 1,
    raw: str = "",
    extra: dict[str, str] | None = None,
) -> AccessEvent:
    return AccessEvent(
        origin=Origin("access.log", line),
        raw=raw or f'{ip} - - [x] "{method} {target} HTTP/1.1" {status} {bytes_sent}',
        client_ip=ip,
        time=when,
        method=method,
        target=target,
        protocol="HTTP/1.1",
        request_line=f"{method} {target} HTTP/1.1",
        status=status,
        bytes_sent=bytes_sent,
        referer=referer,
        user_agent=ua,
        extra=extra or {},
    )


def error(message: str, *, ip: str = "203.0.113.9") -> ErrorEvent:
    return ErrorEvent(
        origin=Origin("error.log", 7),
        raw=f"[x] [core:notice] [pid 1] {message}",
        time=1_700_000_000.0,
        module="core",
        level="notice",
        client_ip=ip,
        message=message,
    )


def matched(ruleset: SigmaRuleSet, event: AccessEvent | ErrorEvent) -> set[str]:
    return {finding.rule_id for finding in ruleset.detect(event)}


def write_rule(directory: Path, name: str, detection: str, logsource: str = "webserver") -> Path:
    path = directory / name
    path.write_text(
        "title: Inline Test Rule\n"
        "id: 11111111-2222-4333-8444-555555555555\n"
        f"logsource:\n    category: {logsource}\n"
        f"detection:\n{detection}"
        "level: medium\n",
        encoding="utf-8",
    )
    return path


# --- loading -------------------------------------------------------------------------------


def test_load_lists_unsupported_rules_with_file_and_reason(ruleset: SigmaRuleSet) -> None:
    reasons = {Path(file).name: reason for file, reason in ruleset.unsupported}
    assert "TargetFilename" in reasons["unsupported_field.yml"]
    foreign = {Path(file).name: reason for file, reason in ruleset.other_logsources}
    assert "windows" in foreign["other_product.yml"] and "other_product.yml" not in reasons
    assert "'wide'" in reasons["unsupported_modifier.yml"]
    assert "value_count" in reasons["value_count_correlation.yml"]
    loaded = {rule.id for rule in ruleset.rules}
    assert {SQLI, SCANNER_UA, WEBSHELL, ADMIN_401, CRASH, JNDI} <= loaded
    assert "sigma:837f73dd-08b0-4809-94d3-7b1d035d7398" not in loaded


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("bad_yaml.yml", "YAML"),
        ("undefined_selection.yml", "filter"),
        ("unknown_reference.yml", "no_such_rule"),
        ("bad_category_tag.yml", "no-such-category"),
        ("bad_modifier.yml", "containz"),
    ],
)
def test_malformed_rule_raises_rule_error_naming_file_and_problem(name: str, problem: str) -> None:
    with pytest.raises(RuleError) as caught:
        SigmaRuleSet.load([MALFORMED / name])
    assert name in str(caught.value)
    assert problem in str(caught.value)


def test_duplicate_rule_id_names_both_files() -> None:
    with pytest.raises(RuleError) as caught:
        SigmaRuleSet.load([MALFORMED / "duplicate"])
    assert "one.yml" in str(caught.value)
    assert "two.yml" in str(caught.value)


def test_missing_path_is_a_rule_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="no-such-dir"):
        SigmaRuleSet.load([tmp_path / "no-such-dir"])


# --- findings ------------------------------------------------------------------------------


def test_contains_on_cs_uri_query_gives_a_finding_with_rule_metadata(
    ruleset: SigmaRuleSet,
) -> None:
    event = access("/search?q=1 UNION SELECT password FROM users", ip="198.51.100.4")
    findings = [f for f in ruleset.detect(event) if f.rule_id == SQLI]
    assert len(findings) == 1
    finding = findings[0]
    assert finding.categories == ("sqli",)
    assert finding.severity is Severity.HIGH
    assert finding.field == "cs-uri-query"
    assert finding.fragment == "UNION SELECT"
    assert finding.client_ip == "198.51.100.4"
    assert finding.origin == event.origin
    assert finding.log == "access"
    assert finding.time == event.time


def test_cs_uri_query_holds_the_whole_target_path_included(ruleset: SigmaRuleSet) -> None:
    assert SQLI in matched(ruleset, access("/information_schema/tables"))
    assert SQLI not in matched(ruleset, access("/search?q=union"))


def test_user_agent_regex_with_i_flag(ruleset: SigmaRuleSet) -> None:
    assert SCANNER_UA in matched(ruleset, access(ua="SQLMap/1.7.2#stable"))
    assert SCANNER_UA not in matched(ruleset, access(ua="Mozilla/5.0 sqlmap/1.7"))


def test_one_of_selections_and_not_filter(ruleset: SigmaRuleSet) -> None:
    assert WEBSHELL in matched(ruleset, access("/files/up.php", method="POST"))
    assert WEBSHELL in matched(ruleset, access("/x.php?cmd=id"))
    assert WEBSHELL not in matched(ruleset, access("/files/up.php", method="GET"))
    assert WEBSHELL not in matched(ruleset, access("/x.php?cmd=id", ip="10.1.2.3"))


def test_finding_reports_the_payload_not_the_method_of_an_and(ruleset: SigmaRuleSet) -> None:
    (finding,) = [
        f for f in ruleset.detect(access("/files/up.php", method="POST")) if f.rule_id == WEBSHELL
    ]
    assert (finding.field, finding.fragment) == ("cs-uri-stem", "/up.php")
    assert finding.categories == ("webshell",)
    assert finding.severity is Severity.CRITICAL


def test_status_code_compares_as_number(ruleset: SigmaRuleSet) -> None:
    findings = ruleset.detect(access("/admin/login", status=401))
    (finding,) = [f for f in findings if f.rule_id == ADMIN_401]
    assert finding.categories == ("auth-failure",)
    assert finding.severity is Severity.LOW
    assert ADMIN_401 not in matched(ruleset, access("/admin/login", status=403))
    assert ADMIN_401 not in matched(ruleset, access("/admin/login", status=None))


def test_status_code_compares_as_string_with_wildcard(ruleset: SigmaRuleSet) -> None:
    assert STATUS_5XX in matched(ruleset, access("/upload/a.bin", status=503))
    assert STATUS_5XX not in matched(ruleset, access("/upload/a.bin", status=404))


def test_error_log_keyword_rule_searches_the_message(ruleset: SigmaRuleSet) -> None:
    event = error("AH00052: child pid 4242 exit signal Segmentation fault (11)")
    (finding,) = ruleset.detect(event)
    assert finding.rule_id == CRASH
    assert finding.log == "error"
    assert finding.field == "message"
    assert finding.fragment == "exit signal Segmentation fault"
    assert finding.categories == ("server-error",)


def test_rules_run_only_on_the_log_their_logsource_names(ruleset: SigmaRuleSet) -> None:
    assert matched(ruleset, error("File does not exist: /x UNION SELECT")) == set()
    assert CRASH not in matched(ruleset, access("/exit signal Segmentation fault"))


def test_keywords_search_target_user_agent_and_referer(ruleset: SigmaRuleSet) -> None:
    (finding,) = [f for f in ruleset.detect(access(ua="${jndi:ldap://x/a}")) if f.rule_id == JNDI]
    assert (finding.field, finding.fragment) == ("cs-user-agent", "${jndi:")
    assert JNDI in matched(ruleset, access("/Basic/Command/Base64/aWQ="))
    assert JNDI in matched(ruleset, access(referer="http://a/${jndi:dns://b}"))


def test_keywords_never_search_the_raw_line(ruleset: SigmaRuleSet) -> None:
    planted = access("/index.html", raw='203.0.113.9 - ${jndi:ldap://x} [x] "GET / HTTP/1.1" 200')
    planted.cookie = "${jndi:ldap://x}"
    assert JNDI not in matched(ruleset, planted)


def test_benign_request_matches_nothing(ruleset: SigmaRuleSet) -> None:
    event = access("/static/app.js?v=3", referer="https://example.org/", ua="Mozilla/5.0 (X11)")
    assert ruleset.detect(event) == []


# --- modifiers and conditions --------------------------------------------------------------

B64 = base64.b64encode(b"xx;/bin/bash -i").decode()


MODIFIER_CASES = [
    pytest.param(
        "e21e3f30-ae81-40db-b93f-5d641ad63a57",
        access("/q?select+a+from+b"),
        access("/q?select+a"),
        id="all",
    ),
    pytest.param(
        "a38636d0-12f9-4a15-85d6-0e5a080a2625",
        access("/cgi-bin/test.sh"),
        access("/x/cgi-bin/test.sh"),
        id="startswith-endswith",
    ),
    pytest.param(
        "0c31e97c-5a49-4bb8-a62f-84e73b43a50b",
        access("/dav/", method="PROPFIND"),
        access("/dav/", method="propfind"),
        id="cased",
    ),
    pytest.param(
        "d9ac1159-64d5-4bd6-ac6f-103af06e0303",
        access("/BACKUP-2024.sql.gz"),
        access("/old/backup-2024.sql"),
        id="wildcards-case-insensitive-anchored",
    ),
    pytest.param(
        "d9ac1159-64d5-4bd6-ac6f-103af06e0303",
        access("/backup-2024.sql"),
        access("/backup-24.sql"),
        id="single-char-wildcard",
    ),
    pytest.param(
        "f9f954c1-18bc-472c-a571-4d8c7851ae61",
        access(f"/x?p={B64}"),
        access("/x?p=/bin/bash"),
        id="base64offset",
    ),
    pytest.param(
        "e7445c94-8d1b-4cd1-97bf-6ca961b402dc",
        access("/run?a= /enc abc"),
        access("/run?a=-encode"),
        id="windash",
    ),
    pytest.param(
        "dd39a80f-6b12-461b-8919-495a9ddb572c",
        access("/api", method="POST", ua="", referer=""),
        access("/api", method="POST", ua="curl/8", referer=""),
        id="exists-false-and-null",
    ),
    pytest.param(
        "650d8c0f-1d75-4401-8e65-ee8c4156c130",
        access("/dump.tar", bytes_sent=2_000_000, status=206),
        access("/dump.tar", bytes_sent=2_000_000, status=404),
        id="gt-gte-lte",
    ),
    pytest.param(
        "650d8c0f-1d75-4401-8e65-ee8c4156c130",
        access("/dump.tar", bytes_sent=2_000_000, status=200),
        access("/dump.tar", bytes_sent=1_000_000, status=200),
        id="gt-is-strict",
    ),
    pytest.param(
        "f24a1315-07b1-4105-bb08-9ef86a4c76d1",
        access("/f", method="PUT", extra={"bytes_received": "0"}),
        access("/f", method="PUT", extra={"bytes_received": "512"}),
        id="lt-on-cs-bytes",
    ),
    pytest.param(
        "24cd94d5-4f25-4b82-9dcd-171e012fdbf1",
        access("/", method="TRACE"),
        access("/", method="head"),
        id="neq",
    ),
    pytest.param(
        "de9aea38-2089-4102-a9ba-0a88ee9dbc23",
        access("/page?x=1", referer="https://site.example/PAGE?x=1"),
        access("/page?x=1", referer="https://site.example/other"),
        id="fieldref",
    ),
    pytest.param(
        "cddfe6d7-7249-413c-a2e2-46c984f98776",
        access("/item?id=1 AND 1=1 "),
        access("/item?id=1 and 1=1 "),
        id="re-case-sensitive",
    ),
    pytest.param(
        "cddfe6d7-7249-413c-a2e2-46c984f98776",
        access(ua="x\nevilbot\ny"),
        access(ua="x evilbot y"),
        id="re-m",
    ),
    pytest.param(
        "cddfe6d7-7249-413c-a2e2-46c984f98776",
        access(referer="begin\nend"),
        access(referer="begin\n\nend"),
        id="re-s",
    ),
    pytest.param(
        "1587ff28-78a0-455d-a7bb-3645ef5f0ad5",
        access("/wp-login.php", ua="curl/8.0"),
        access("/wp-login.php"),
        id="all-of-them",
    ),
    pytest.param(
        "5c3e1f0a-9b2d-4e7c-a1f8-6d4b2c9e0f13",
        access("/site.old"),
        access("/site.old", ip="127.0.0.1"),
        id="any-of-parentheses-not",
    ),
]


@pytest.mark.parametrize(("rule_uuid", "hit", "miss"), MODIFIER_CASES)
def test_modifier_matches_and_misses(
    ruleset: SigmaRuleSet, rule_uuid: str, hit: AccessEvent, miss: AccessEvent
) -> None:
    rule_id = f"sigma:{rule_uuid}"
    assert rule_id in matched(ruleset, hit)
    assert rule_id not in matched(ruleset, miss)


def test_empty_field_matches_a_dash_written_against_raw_logs(tmp_path: Path) -> None:
    write_rule(tmp_path, "dash.yml", "    sel:\n        cs-referer: '-'\n    condition: sel\n")
    ruleset = SigmaRuleSet.load([tmp_path])
    assert ruleset.detect(access(referer=""))
    assert not ruleset.detect(access(referer="https://example.org/"))


def test_sigma_filter_rule_in_the_directory_is_applied(tmp_path: Path) -> None:
    write_rule(tmp_path, "rule.yml", "    sel:\n        cs-uri-stem: '/x'\n    condition: sel\n")
    (tmp_path / "filter.yml").write_text(
        "title: Ignore monitoring host\n"
        "id: 22222222-3333-4444-8555-666666666666\n"
        "logsource:\n    category: webserver\n"
        "filter:\n    rules:\n        - 11111111-2222-4333-8444-555555555555\n"
        "    selection:\n        c-ip: 192.0.2.10\n    condition: not selection\n",
        encoding="utf-8",
    )
    ruleset = SigmaRuleSet.load([tmp_path])
    assert ruleset.detect(access("/x"))
    assert not ruleset.detect(access("/x", ip="192.0.2.10"))


def test_method_beside_a_payload_keyword_is_selected_by_the_payload(tmp_path: Path) -> None:
    # SigmaHQ's SSTI rule: a GET with one of some query keywords. The method cannot be scanned
    # for; the rule must be selected by its keywords, not evaluated on every event.
    write_rule(
        tmp_path,
        "ssti.yml",
        "    method:\n        cs-method: 'GET'\n"
        "    keywords:\n        - '={{'\n        - '=${'\n"
        "    filter:\n        sc-status: 404\n"
        "    condition: method and keywords and not filter\n",
    )
    ruleset = SigmaRuleSet.load([tmp_path])
    detector = SigmaDetector(ruleset, [tmp_path])
    assert detector.always_evaluated("access") == 0
    assert {s.field for s in detector.signatures("access")} == {"target", "user_agent", "referer"}
    assert ruleset.detect(access("/p?name={{7*7}}"))
    assert not ruleset.detect(access("/p?name={{7*7}}", method="POST"))
    assert not ruleset.detect(access("/p?name={{7*7}}", status=404))


def test_prefilter_never_hides_a_match(ruleset: SigmaRuleSet) -> None:
    events = [case.values[i] for case in MODIFIER_CASES for i in (1, 2)]
    events += [
        access("/q?x=1 UNION \u017fELECT 2"),
        access("/files/up.php", method="POST"),
        access("/admin/x", status=401),
        access("/upload/", status=500),
        access(ua="${jndi:ldap://a}"),
        access(referer=""),
    ]
    for event in events:
        assert isinstance(event, AccessEvent)
        explained = {e.id for e in ruleset.explain(event) if e.matched}
        assert matched(ruleset, event) == explained, event.target


# --- explain and metadata ------------------------------------------------------------------


def test_explain_shows_every_applicable_rule_and_what_matched(ruleset: SigmaRuleSet) -> None:
    explained = {e.id: e for e in ruleset.explain(access("/q?x=union select 1"))}
    assert explained[SQLI].matched
    assert (explained[SQLI].field, explained[SQLI].fragment) == ("cs-uri-query", "union select")
    assert explained[SQLI].title == "SQL Injection Test Strings In Request"
    assert not explained[SCANNER_UA].matched
    assert CRASH not in explained


def test_metadata_by_finding_id_or_sigma_id(ruleset: SigmaRuleSet) -> None:
    info = ruleset.metadata(SQLI)
    assert info[:3] == ("9d5b4c28-ba68-4730-9c55-2fa9c726b413", info.title, "high")
    assert info.file.endswith("sqli_uri.yml")
    assert info.title == "SQL Injection Test Strings In Request"
    assert ruleset.metadata("9d5b4c28-ba68-4730-9c55-2fa9c726b413") == info
    assert ruleset.metadata(ADMIN_BRUTE).title == "Admin Area Brute Force"
    with pytest.raises(KeyError):
        ruleset.metadata("sigma:00000000-0000-4000-8000-000000000000")


# --- correlations --------------------------------------------------------------------------


def test_event_count_correlation_becomes_a_threshold(ruleset: SigmaRuleSet) -> None:
    ((rule, settings),) = ruleset.thresholds()
    assert rule.id == ADMIN_BRUTE
    assert rule.categories == ("auth-failure",)
    assert (settings.count, settings.window_secs, settings.cooldown_secs) == (3, 60.0, 60.0)
    assert settings.severity is Severity.HIGH
    base = next(r for r in ruleset.rules if r.id == ADMIN_401)
    assert not base.standalone
    assert next(r for r in ruleset.rules if r.id == SQLI).standalone


def _observe(ruleset: SigmaRuleSet, event: AccessEvent) -> Observation:
    return Observation(event, Urgency.URGENT, ruleset.detect(event))


def test_correlation_counts_per_group_by_field_in_the_threshold_engine(
    ruleset: SigmaRuleSet,
) -> None:
    engine = ThresholdEngine(ruleset.thresholds(), clock=lambda: 0.0)
    crossings = []
    for n, (ip, when) in enumerate(
        [("203.0.113.9", 0.0), ("198.51.100.1", 5.0), ("203.0.113.9", 10.0), ("203.0.113.9", 20.0)]
    ):
        event = access("/admin/", status=401, ip=ip, when=when, line=n + 1)
        crossings += engine.observe(_observe(ruleset, event))
    (crossing,) = crossings
    assert crossing.key.shown == "203.0.113.9"
    assert crossing.count == 3
    assert (crossing.first.line, crossing.last.line) == (1, 4)
    assert crossing.categories == ("auth-failure",)


def test_correlation_ignores_events_outside_the_timespan(ruleset: SigmaRuleSet) -> None:
    engine = ThresholdEngine(ruleset.thresholds(), clock=lambda: 0.0)
    crossings = []
    for when in (0.0, 40.0, 80.0):
        crossings += engine.observe(_observe(ruleset, access("/admin", status=401, when=when)))
    assert crossings == []


def test_correlation_keys_only_events_of_its_rules(ruleset: SigmaRuleSet) -> None:
    ((rule, _),) = ruleset.thresholds()
    assert list(rule.keys(_observe(ruleset, access("/q?union select 1")))) == []


def test_correlation_with_two_group_by_fields_splits_the_key(tmp_path: Path) -> None:
    write_rule(tmp_path, "base.yml", "    sel:\n        sc-status: 404\n    condition: sel\n")
    (tmp_path / "corr.yml").write_text(
        "title: Many 404 per client and host\n"
        "id: 33333333-4444-4555-8666-777777777777\n"
        "correlation:\n    type: event_count\n"
        "    rules: [11111111-2222-4333-8444-555555555555]\n"
        "    group-by: [c-ip, cs-uri-stem]\n    timespan: 2h\n"
        "    condition:\n        gt: 9\n",
        encoding="utf-8",
    )
    ruleset = SigmaRuleSet.load([tmp_path])
    ((rule, settings),) = ruleset.thresholds()
    assert (settings.count, settings.window_secs) == (10, 7200.0)
    (key,) = rule.keys(_observe(ruleset, access("/a", status=404)))
    assert (key.shown, key.detail) == ("203.0.113.9", "cs-uri-stem=/a")


def test_correlation_field_alias_reads_each_rules_own_field(tmp_path: Path) -> None:
    for name, field, value in (("by_ip", "cs-uri-stem", "/a"), ("by_user", "cs-uri-stem", "/b")):
        (tmp_path / f"{name}.yml").write_text(
            f"title: {name}\nname: {name}\n"
            "logsource:\n    category: webserver\n"
            f"detection:\n    sel:\n        {field}: '{value}'\n    condition: sel\n",
            encoding="utf-8",
        )
    (tmp_path / "corr.yml").write_text(
        "title: Same actor\nid: 44444444-5555-4666-8777-888888888888\n"
        "correlation:\n    type: event_count\n    rules: [by_ip, by_user]\n"
        "    group-by: [actor]\n    timespan: 10m\n"
        "    aliases:\n        actor:\n            by_ip: c-ip\n            by_user: cs-username\n"
        "    condition:\n        gte: 2\n",
        encoding="utf-8",
    )
    ruleset = SigmaRuleSet.load([tmp_path])
    ((rule, _),) = ruleset.thresholds()
    by_ip = access("/a", ip="192.0.2.7")
    by_user = access("/b", ip="192.0.2.8")
    by_user.user = "mallory"
    assert [k.shown for k in rule.keys(_observe(ruleset, by_ip))] == ["192.0.2.7"]
    assert [k.shown for k in rule.keys(_observe(ruleset, by_user))] == ["mallory"]


# --- metadata mapping ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "tags", "logs", "expected"),
    [
        ("Cross-Site Scripting Strings", ["attack.t1190"], {"access"}, ("xss",)),
        ("Suspicious Upload", ["attack.t1505.003"], {"access"}, ("webshell",)),
        ("Exploit Of CVE-2099-1", ["attack.t1190"], {"access"}, ("scanner",)),
        ("Assertion In Module", [], {"error"}, ("server-error",)),
        ("Anything", ["lwsyslog.dos", "lwsyslog.scanner"], {"access"}, ("dos", "scanner")),
        ("Product Exploit", ["attack.t1190", "cve.2099-1234"], {"access"}, ("known-exploit",)),
        (
            "CVE-2021-41773 Path Traversal",
            ["attack.t1190"],
            {"access"},
            ("known-exploit", "path-traversal"),
        ),
        (
            "Web Shell Upload",
            ["cve.2023-34362", "attack.t1505.003"],
            {"access"},
            ("known-exploit", "webshell"),
        ),
        ("Crash", ["cve.2099-1"], {"error"}, ("server-error",)),
    ],
)
def test_categories_from_tags_and_title(
    title: str, tags: list[str], logs: set[str], expected: tuple[str, ...]
) -> None:
    assert categories_for(title, tags, frozenset(logs)) == expected


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        ("informational", Severity.LOW),
        ("low", Severity.LOW),
        ("medium", Severity.MEDIUM),
        ("high", Severity.HIGH),
        ("critical", Severity.CRITICAL),
        (None, Severity.MEDIUM),
    ],
)
def test_severity_from_level(level: str | None, severity: Severity) -> None:
    assert severity_for(level) is severity


def test_cve_ids_come_from_cve_tags_and_the_title() -> None:
    assert cves_for("Exploit", ["attack.t1190", "cve.2021-41773", "cve.2021-42013"]) == (
        "CVE-2021-41773",
        "CVE-2021-42013",
    )
    assert cves_for("Possible CVE-2023-22518 Exploitation", ["cve.2023-22518"]) == (
        "CVE-2023-22518",
    )
    assert cves_for("SQL Injection Strings", ["attack.t1190"]) == ()
