"""Storm control: one rule's flood of alerts becomes summaries; other alerts pass at once."""

from __future__ import annotations

from lwsyslog.alerts import Alert
from lwsyslog.config import load_config
from lwsyslog.events import Origin
from lwsyslog.pipeline import Pipeline
from lwsyslog.severity import Severity
from lwsyslog.sinks import MemorySink
from lwsyslog.storms import CLIENT_CHARS, MAX_CLIENTS, NAMED_GRAVE_CLIENTS, StormGate


def _alert(rule: str, client: str, when: float, severity: Severity = Severity.HIGH) -> Alert:
    origin = Origin("access.log", int(when))
    return Alert(
        rule=rule,
        key=client,
        client_ip=client,
        categories=("sqli",),
        severity=severity,
        count=1,
        window_secs=0.0,
        first=origin,
        last=origin,
        first_time=when,
        last_time=when,
        message=f"{rule} from {client}",
        sample="GET /?id=1 UNION SELECT 1",
        log="access",
        rules=(rule,),
    )


def test_past_the_limit_a_rules_alerts_fold_into_one_summary_per_window() -> None:
    gate = StormGate(max_alerts=3, window_secs=10, clock=lambda: 0.0)
    passed = gate.filter([_alert("sqli", f"198.51.100.{n}", 100 + n % 10) for n in range(50)])
    assert [a.client_ip for a in passed] == ["198.51.100.0", "198.51.100.1", "198.51.100.2"]
    [summary] = gate.filter([_alert("sqli", "203.0.113.1", 111)])[:1]
    assert summary.key == "storm" and summary.count == 47 and summary.client_ip == ""
    assert "storm: 47 more alerts from 47 clients within 10s" in summary.message
    assert summary.first.line == 103 and summary.last.line == 109


def test_another_rules_alert_passes_at_once_during_a_storm() -> None:
    gate = StormGate(max_alerts=3, window_secs=10, clock=lambda: 0.0)
    gate.filter([_alert("sqli", f"198.51.100.{n}", 100) for n in range(500)])
    log4shell = _alert("log4shell-jndi", "192.0.2.77", 101, Severity.CRITICAL)
    assert gate.filter([log4shell]) == [log4shell]


def test_a_summary_keeps_the_worst_severity_and_names_the_busiest_clients() -> None:
    gate = StormGate(max_alerts=1, window_secs=10, clock=lambda: 0.0)
    alerts = [_alert("sqli", "198.51.100.9", 100) for _ in range(5)]
    # The first critical alert of a client passes past the quota; its second is folded.
    alerts += [_alert("sqli", "198.51.100.8", 101, Severity.CRITICAL) for _ in range(2)]
    gate.filter(alerts)
    [summary] = gate.flush()
    assert summary.severity is Severity.CRITICAL
    assert "most from 198.51.100.9 (4), 198.51.100.8 (1)" in summary.message


def test_quiet_input_still_gets_the_summary_once_the_window_is_over() -> None:
    now = [100.0]
    gate = StormGate(max_alerts=1, window_secs=10, clock=lambda: now[0])
    gate.filter([_alert("sqli", f"198.51.100.{n}", 100) for n in range(5)])
    assert gate.due() == []  # the window is still open
    now[0] = 110.5
    assert [s.count for s in gate.due()] == [4] and gate.due() == []


def test_a_backlogged_window_stays_open_while_its_alerts_keep_arriving() -> None:
    now = [100.0]
    gate = StormGate(max_alerts=2, window_secs=10, clock=lambda: now[0])
    gate.filter([_alert("sqli", f"198.51.100.{n}", 105) for n in range(5)])
    now[0] = 111.0  # the clock is past the window, but its alerts still arrive (a backlog)
    assert gate.filter([_alert("sqli", "192.0.2.1", 106)]) == []
    assert gate.due() == []
    now[0] = 112.5  # quiet for more than QUIET_SECS: one summary with all of them
    assert [s.count for s in gate.due()] == [4]


def test_a_backlogged_windows_late_alerts_fold_into_a_further_summary_not_a_new_quota() -> None:
    # The clock closed the window during a pause; then more of its lines arrive.
    now = [100.0]
    gate = StormGate(max_alerts=2, window_secs=10, clock=lambda: now[0])
    first = gate.filter([_alert("sqli", f"198.51.100.{n}", 105) for n in range(5)])
    assert len(first) == 2
    now[0] = 111.0
    assert [s.count for s in gate.due()] == [3]
    late = gate.filter([_alert("sqli", f"192.0.2.{n}", 106) for n in range(5)])
    assert late == []
    [summary] = gate.filter([_alert("sqli", "203.0.113.1", 112)])[:1]
    assert summary.key == "storm" and summary.count == 5
    # The next window has its own quota again.
    assert len(gate.filter([_alert("sqli", "203.0.113.2", 113)])) == 1


def test_clients_remembered_per_window_are_bounded() -> None:
    gate = StormGate(max_alerts=1, window_secs=10, clock=lambda: 0.0)
    gate.filter([_alert("sqli", f"c{n}", 100) for n in range(MAX_CLIENTS + 500)])
    [summary] = gate.flush()
    assert f"{MAX_CLIENTS:,}+ clients" in summary.message


def test_a_scan_of_an_attack_from_10000_addresses_gives_summaries_not_30000_alerts() -> None:
    sink = MemorySink()
    pipeline = Pipeline(load_config([]), [sink])
    for n in range(10_000):
        line = (
            f"198.51.{n // 256}.{n % 256} - - [23/Nov/2026:14:00:{n // 200:02d} +0000] "
            f'"GET /item.php?id=-1%20UNION%20SELECT%201,2--{n} HTTP/1.1" 200 5 "-" "curl/8"'
        )
        pipeline.process(line, Origin("storm.log", n + 1))
    pipeline.close()
    singles = [a for a in sink.alerts if a.key != "storm"]
    summaries = [a for a in sink.alerts if a.key == "storm"]
    assert len(singles) <= 20 * 3 * 5  # 3 rules, 5 windows of 10 s, 20 alerts each at most
    assert summaries and sum(a.count for a in summaries) + len(singles) >= 10_000


# --- a noisy attacker cannot erase a distinct one -----------------------------------------

ATTACKER = "198.51.100.7"
SQLI = "/item.php?id=1%27%20or%20%271%27=%271"


def _line(client: str, second: int, path: str, status: int) -> str:
    return (
        f"{client} - - [23/Nov/2026:14:00:{second:02d} +0000] "
        f'"GET {path} HTTP/1.1" {status} 381 "-" "Mozilla/5.0"'
    )


def _scan(lines: list[str]) -> list[Alert]:
    sink = MemorySink()
    pipeline = Pipeline(load_config([]), [sink])
    for number, line in enumerate(lines, 1):
        pipeline.process(line, Origin("access.log", number))
    pipeline.close()
    return sink.alerts


def test_noise_past_the_quota_does_not_fold_away_another_attackers_critical_alerts() -> None:
    # The red team's case: within one window, 25 clients each send one SQL injection probe
    # (answered 404, high) and 25 clients /wp-admin/ three times (a critical attack-repeat
    # each), spending both rules' quota; then the attacker's injections are answered 200.
    noise = [_line(f"203.0.113.{n}", 1, SQLI, 404) for n in range(1, 26)]
    noise += [_line(f"192.0.2.{n}", 2, "/wp-admin/", 404) for n in range(1, 26) for _ in "abc"]
    attack = [_line(ATTACKER, 5, f"{SQLI}--{k}", 200) for k in range(3)]
    alerts = _scan(noise + attack)
    mine = {(a.rule, a.severity) for a in alerts if a.client_ip == ATTACKER}
    assert mine == {("sqli-tautology", Severity.CRITICAL), ("attack-repeat", Severity.CRITICAL)}
    # The noise's own critical alerts past the quota are new clients too: they pass as well.
    repeats = [a.client_ip for a in alerts if a.rule == "attack-repeat" and a.key != "storm"]
    assert len(repeats) == 26


def test_an_alert_answered_2xx_passes_the_spent_quota_though_it_is_only_high() -> None:
    # A null byte is a protocol anomaly: high, answered 404 or 200 (no step up), so only the
    # answer tells the attacker's alert from the noise's.
    noise = [_line(f"203.0.113.{n}", 1, "/page%00", 404) for n in range(1, 31)]
    alerts = _scan([*noise, _line(ATTACKER, 5, "/page%00", 200)])
    [mine] = [a for a in alerts if a.client_ip == ATTACKER]
    assert mine.rule == "protocol-null-byte" and mine.severity is Severity.HIGH
    [summary] = [a for a in alerts if a.key == "storm"]
    assert summary.count == 10 and "answered 2xx" not in summary.message


def test_thousands_of_grave_addresses_get_one_allowance_and_the_summary_names_them() -> None:
    # Injections answered 200 (critical) from 500 addresses in one window: the quota (20),
    # then the allowance (20 more new clients), then the summary, which names the first
    # folded grave clients and says there are more.
    lines = [_line(f"10.0.{n // 250}.{n % 250}", 3, f"{SQLI}--{n}", 200) for n in range(500)]
    alerts = _scan(lines)
    singles = [a for a in alerts if a.rule == "sqli-tautology" and a.key != "storm"]
    assert len(singles) == 40 and len({a.client_ip for a in singles}) == 40
    [summary] = [a for a in alerts if a.rule == "sqli-tautology" and a.key == "storm"]
    assert summary.count == 460
    named = ", ".join(f"10.0.0.{n}" for n in range(40, 40 + NAMED_GRAVE_CLIENTS))
    assert f"; 460 of them critical or answered 2xx (may have worked), from {named} and more;" in (
        summary.message
    )


def test_a_client_whose_grave_alert_passed_gets_no_second_one_past_the_quota() -> None:
    gate = StormGate(max_alerts=2, window_secs=10, clock=lambda: 0.0)
    noise = [_alert("sqli", f"192.0.2.{n}", 101) for n in range(2)]
    again = [_alert("sqli", "198.51.100.7", 102, Severity.CRITICAL) for _ in range(5)]
    passed = gate.filter(noise + again)
    assert [a.client_ip for a in passed] == ["192.0.2.0", "192.0.2.1", "198.51.100.7"]
    [summary] = gate.flush()
    assert summary.count == 4 and "4 of them critical or answered 2xx" in summary.message


def test_a_backlogged_window_keeps_its_spent_allowance_for_grave_alerts() -> None:
    now = [100.0]
    gate = StormGate(max_alerts=2, window_secs=10, clock=lambda: now[0])
    grave = [_alert("sqli", f"192.0.2.{n}", 105, Severity.CRITICAL) for n in range(6)]
    assert len(gate.filter(grave)) == 4  # the quota and the allowance
    now[0] = 111.0
    assert [s.count for s in gate.due()] == [2]
    late = [_alert("sqli", f"203.0.113.{n}", 106, Severity.CRITICAL) for n in range(3)]
    assert gate.filter(late) == []


def test_a_summary_remembers_each_client_by_a_bounded_name() -> None:
    gate = StormGate(max_alerts=1, window_secs=10, clock=lambda: 0.0)
    hosts = [_alert("host-silent", f"{n}{'h' * 5000}.example", 100) for n in range(3)]
    gate.filter(hosts)
    [summary] = gate.flush()
    assert f"1{'h' * (CLIENT_CHARS - 1)} (1)" in summary.message
    assert "h" * CLIENT_CHARS not in summary.message
