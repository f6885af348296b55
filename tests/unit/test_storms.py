"""Storm control: one rule's flood of alerts becomes summaries; other alerts pass at once."""

from __future__ import annotations

from lwsyslog.alerts import Alert
from lwsyslog.config import load_config
from lwsyslog.events import Origin
from lwsyslog.pipeline import Pipeline
from lwsyslog.severity import Severity
from lwsyslog.sinks import MemorySink
from lwsyslog.storms import MAX_CLIENTS, StormGate


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
    alerts.append(_alert("sqli", "198.51.100.8", 101, Severity.CRITICAL))
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
