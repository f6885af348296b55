"""Sliding windows on event time: counts, windows, cooldowns, bounded keys."""

from __future__ import annotations

from lwsyslog.config import ThresholdSettings
from lwsyslog.events import AccessEvent, Origin
from lwsyslog.findings import Finding
from lwsyslog.observation import Observation
from lwsyslog.severity import Severity
from lwsyslog.thresholds import (
    AttackRepeat,
    BruteForceSuccess,
    LoginPostBurst,
    RequestFlood,
    Scan404Burst,
    ScanDistinct404,
    ThresholdEngine,
    UrgentBurst,
)
from lwsyslog.triage import Urgency

FIVE_IN_60 = ThresholdSettings(True, 5, 60.0, 300.0, Severity.HIGH)


def access(
    line: int,
    when: float | None,
    client: str = "203.0.113.9",
    status: int = 403,
    target: str = "/x",
) -> AccessEvent:
    return AccessEvent(
        origin=Origin("access.log", line),
        raw=f'{client} - - "GET {target} HTTP/1.1" {status}',
        client_ip=client,
        time=when,
        status=status,
        target=target,
    )


def urgent(event: AccessEvent, *findings: Finding) -> Observation:
    return Observation(event, Urgency.URGENT, findings)


def probe(event: AccessEvent) -> Observation:
    """An urgent event with a finding urgent-burst counts (a payload category)."""
    return urgent(event, finding(event, "sqli"))


def finding(event: AccessEvent, category: str) -> Finding:
    return Finding(
        rule_id=f"{category}-test",
        categories=(category,),
        severity=Severity.HIGH,
        client_ip=event.client_ip,
        origin=event.origin,
        log="access",
        time=event.time,
        field="target",
        fragment="x",
    )


def test_five_serious_findings_within_60s_cross_once() -> None:
    engine = ThresholdEngine([(UrgentBurst(), FIVE_IN_60)])
    crossings = [c for i in range(5) for c in engine.observe(probe(access(i + 1, 1000.0 + i)))]
    assert len(crossings) == 1
    crossing = crossings[0]
    assert crossing.key.shown == "203.0.113.9" and crossing.count == 5
    assert (crossing.first.line, crossing.last.line) == (1, 5)


def test_events_spread_wider_than_the_window_do_not_cross() -> None:
    engine = ThresholdEngine([(UrgentBurst(), FIVE_IN_60)])
    crossings = [c for i in range(10) for c in engine.observe(probe(access(i, 1000.0 + 16 * i)))]
    assert crossings == []


def test_cooldown_gives_one_alert_per_period_for_a_long_attack() -> None:
    engine = ThresholdEngine([(UrgentBurst(), FIVE_IN_60)])
    # 1000 urgent events, one per second for 1000 s: cooldown 300 s -> alerts at 4, 304, 604, 904.
    crossings = [c for i in range(1000) for c in engine.observe(probe(access(i, 1000.0 + i)))]
    assert [c.last_time - 1000.0 for c in crossings] == [4, 304, 604, 904]


def test_clients_are_counted_separately() -> None:
    engine = ThresholdEngine([(UrgentBurst(), FIVE_IN_60)])
    crossings = []
    for i in range(8):
        crossings += engine.observe(probe(access(i, 1000.0 + i, client=f"198.51.100.{i % 2}")))
    assert crossings == []


def test_injected_clock_is_used_when_the_line_has_no_time() -> None:
    now = [5000.0]
    engine = ThresholdEngine([(UrgentBurst(), FIVE_IN_60)], clock=lambda: now[0])
    crossings = []
    for i in range(5):
        now[0] += 100  # 100 s apart on the clock: never 5 within 60 s
        crossings += engine.observe(probe(access(i, None)))
    assert crossings == []


def test_key_count_is_bounded_and_evictions_counted() -> None:
    engine = ThresholdEngine([(UrgentBurst(), FIVE_IN_60)], max_keys=100)
    for i in range(1000):
        engine.observe(probe(access(i, 1000.0, client=f"10.0.{i // 256}.{i % 256}")))
    assert engine.tracked_keys == 100
    assert engine.evictions == 900


def test_bare_urgent_statuses_and_low_findings_do_not_feed_the_urgent_rule() -> None:
    engine = ThresholdEngine([(UrgentBurst(), FIVE_IN_60)])
    crossings = []
    for i in range(10):
        event = access(i, 1000.0 + i)
        low = Finding("access-denied-403", ("access-denied",), Severity.LOW, event.client_ip,
                      event.origin, "access", event.time, "status", "403")  # fmt: skip
        crossings += engine.observe(urgent(event))
        crossings += engine.observe(urgent(event, low))
    assert crossings == []


def test_standard_404s_feed_the_scan_rule_but_not_the_urgent_rule() -> None:
    scan = ThresholdSettings(True, 3, 60.0, 600.0, Severity.MEDIUM)
    engine = ThresholdEngine([(UrgentBurst(), FIVE_IN_60), (Scan404Burst(), scan)])
    crossings = []
    for i in range(6):
        event = access(i, 1000.0 + i, status=404, target=f"/missing-{i}")
        crossings += engine.observe(Observation(event, Urgency.STANDARD, ()))
    assert [c.rule.id for c in crossings] == ["scan-404-burst"]


def test_attack_repeat_counts_per_category() -> None:
    settings = ThresholdSettings(True, 3, 120.0, 600.0, Severity.CRITICAL)
    engine = ThresholdEngine([(AttackRepeat(), settings)])
    crossings = []
    for i in range(3):
        event = access(i, 1000.0 + i)
        crossings += engine.observe(urgent(event, finding(event, "sqli")))
        crossings += engine.observe(urgent(event, finding(event, "scanner")))  # not a payload
    assert [(c.key.shown, c.categories) for c in crossings] == [("203.0.113.9", ("sqli",))]


def test_disabled_threshold_never_crosses() -> None:
    off = ThresholdSettings(False, 1, 60.0, 300.0, Severity.HIGH)
    engine = ThresholdEngine([(UrgentBurst(), off)])
    assert engine.observe(probe(access(1, 1000.0))) == []


def auth_failure(event: AccessEvent) -> Observation:
    return urgent(event, finding(event, "auth-failure"))


def test_brute_force_then_success_from_the_same_client_is_a_likely_compromise() -> None:
    settings = ThresholdSettings(True, 5, 600.0, 600.0, Severity.CRITICAL)
    engine = ThresholdEngine([(BruteForceSuccess(), settings)])
    crossings = []
    for i in range(6):
        crossings += engine.observe(auth_failure(access(i, 1000.0 + i, status=401)))
    success = access(7, 1010.0, status=200)
    success.user = "admin"
    crossings += engine.observe(Observation(success, Urgency.STANDARD, ()))
    assert len(crossings) == 1
    assert crossings[0].key.shown == "203.0.113.9"
    assert "logged in as admin" in crossings[0].rule.message(crossings[0].key, 6, 600.0)


def test_success_without_enough_failures_or_from_another_client_is_quiet() -> None:
    settings = ThresholdSettings(True, 5, 600.0, 600.0, Severity.CRITICAL)
    engine = ThresholdEngine([(BruteForceSuccess(), settings)])
    crossings = []
    for i in range(3):
        crossings += engine.observe(auth_failure(access(i, 1000.0 + i, status=401)))
    for client in ("203.0.113.9", "198.51.100.1"):
        success = access(9, 1010.0, client=client, status=200)
        success.user = "admin"
        crossings += engine.observe(Observation(success, Urgency.STANDARD, ()))
    assert crossings == []


def test_distinct_missing_paths_count_once_each() -> None:
    settings = ThresholdSettings(True, 5, 60.0, 600.0, Severity.MEDIUM)
    engine = ThresholdEngine([(ScanDistinct404(), settings)])
    hammer = []
    for i in range(20):  # one broken link requested 20 times
        hammer += engine.observe(
            Observation(access(i, 1000.0 + i, status=404), Urgency.STANDARD, ())
        )
    assert hammer == []
    wordlist = []
    for i, path in enumerate(["/admin", "/backup", "/.git/HEAD", "/old", "/test"]):
        event = access(i, 1030.0 + i, client="192.0.2.99", status=404)
        event.target = path
        wordlist += engine.observe(Observation(event, Urgency.STANDARD, ()))
    assert [c.key.shown for c in wordlist] == ["192.0.2.99"]


def test_login_form_posts_are_counted_but_other_posts_are_not() -> None:
    settings = ThresholdSettings(True, 5, 60.0, 600.0, Severity.HIGH)
    engine = ThresholdEngine([(LoginPostBurst(), settings)])
    crossings = []
    for i in range(10):
        event = access(i, 1000.0 + i, status=200)
        event.method, event.target = "POST", "/api/orders"
        crossings += engine.observe(Observation(event, Urgency.STANDARD, ()))
    assert crossings == []
    for i in range(5):
        event = access(i, 1020.0 + i, status=200)
        event.method, event.target = "POST", "/wp-login.php"
        crossings += engine.observe(Observation(event, Urgency.STANDARD, ()))
    assert [c.rule.id for c in crossings] == ["login-brute-force"]


def test_request_flood_fires_far_above_the_clients_own_baseline() -> None:
    settings = ThresholdSettings(True, 100, 10.0, 300.0, Severity.HIGH, baseline_factor=10)
    engine = ThresholdEngine([(RequestFlood(), settings)])
    crossings = []
    # A busy but steady client: 50 requests per 10 s for 5 minutes never fires.
    for second in range(300):
        for _ in range(5):
            event = access(1, 1000.0 + second, status=200)
            crossings += engine.observe(Observation(event, Urgency.STANDARD, ()))
    assert crossings == []
    # Then 2000 requests in one 10 s bucket: 40x its baseline.
    for n in range(2000):
        event = access(2, 1300.0 + n / 200, status=200)
        crossings += engine.observe(Observation(event, Urgency.STANDARD, ()))
    assert len(crossings) == 1 and crossings[0].count >= 500


def test_a_steady_busy_client_below_the_floor_never_floods() -> None:
    settings = ThresholdSettings(True, 300, 10.0, 300.0, Severity.HIGH, baseline_factor=10)
    engine = ThresholdEngine([(RequestFlood(), settings)])
    crossings = []
    for n in range(2000):  # a new client, 200 requests in each 10 s bucket: below the floor
        crossings += engine.observe(
            Observation(access(n, 1000.0 + n / 20, status=200), Urgency.STANDARD, ())
        )
    assert crossings == []


CHURN_MAX_KEYS = 300


def one_off_failures(count: int, first: int, when: float) -> list[Observation]:
    """401s from ``count`` distinct IPv6 /64s, one each (from the ``first``-th on)."""
    return [
        auth_failure(
            access(0, when, client=f"2001:db8:{n // 65536:x}:{n % 65536:x}::1", status=401)
        )
        for n in range(first, first + count)
    ]


def brute_force_rules() -> ThresholdEngine:
    return ThresholdEngine(
        [
            (UrgentBurst(), FIVE_IN_60),
            (BruteForceSuccess(), ThresholdSettings(True, 5, 600.0, 600.0, Severity.CRITICAL)),
        ],
        max_keys=CHURN_MAX_KEYS,
    )


def login(engine: ThresholdEngine, when: float) -> list[str]:
    success = access(99, when, status=200)
    success.user = "admin"
    return [c.rule.id for c in engine.observe(Observation(success, Urgency.STANDARD, ()))]


def test_a_brute_force_is_detected_through_more_one_off_clients_than_keys_held() -> None:
    """The red team's fast variant, scaled: more one-off failing clients than a rule holds
    between each pair of failures evicted every failure before the next (no alert at all)."""
    engine = brute_force_rules()
    raised = []
    for i in range(10):
        raised += [
            c.rule.id for c in engine.observe(auth_failure(access(i, 1000.0 + 6 * i, status=401)))
        ]
        for observation in one_off_failures(
            2 * CHURN_MAX_KEYS, 2 * CHURN_MAX_KEYS * i, 1001.0 + 6 * i
        ):
            assert not engine.observe(observation)
    raised += login(engine, 1058.0)
    assert raised == ["urgent-burst", "brute-force-success"]


def test_a_slow_brute_force_survives_a_flood_of_one_off_clients_before_the_login() -> None:
    """The slow variant: five failures, then seven times the keys held in one-off failures."""
    engine = brute_force_rules()
    for i in range(5):
        assert not engine.observe(auth_failure(access(i, 1000.0 + 16 * i, status=401)))
    for observation in one_off_failures(7 * CHURN_MAX_KEYS, 0, 1100.0):
        engine.observe(observation)
    assert login(engine, 1590.0) == ["brute-force-success"]


def test_evictions_from_the_brute_force_rules_own_failures_are_counted() -> None:
    settings = ThresholdSettings(True, 5, 600.0, 600.0, Severity.CRITICAL)
    engine = ThresholdEngine([(BruteForceSuccess(), settings)], max_keys=100)
    for observation in one_off_failures(1000, 0, 1000.0):
        engine.observe(observation)
    assert engine.evictions == 900


def test_a_flooder_is_counted_after_one_off_clients_filled_the_bucket() -> None:
    """A bucket full of one-off clients used to refuse every new client, the flooder too."""
    settings = ThresholdSettings(True, 300, 10.0, 300.0, Severity.HIGH, baseline_factor=10)
    engine = ThresholdEngine([(RequestFlood(), settings)], max_keys=CHURN_MAX_KEYS)
    for n in range(CHURN_MAX_KEYS):
        event = access(n, 1000.0, client=f"2001:db8:{n:x}::1", status=200)
        assert not engine.observe(Observation(event, Urgency.STANDARD, ()))
    crossings = []
    for n in range(1000):
        event = access(n, 1001.0 + n / 200, client="198.51.100.7", status=200)
        crossings += engine.observe(Observation(event, Urgency.STANDARD, ()))
    assert [c.key.shown for c in crossings] == ["198.51.100.7"]
    assert engine.evictions >= CHURN_MAX_KEYS // 2  # the one-off clients swept away, counted
