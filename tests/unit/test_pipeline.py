"""The pipeline end to end, in process: settings that change what a user is told."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from lwsyslog.config import load_config
from lwsyslog.events import Origin
from lwsyslog.pipeline import LineResult, Pipeline
from lwsyslog.severity import Severity
from lwsyslog.sinks import MemorySink
from lwsyslog.triage import Urgency

SQLI = (
    '{client} - - [23/Nov/2026:14:00:{second:02d} +0000] "GET /item?id=1%27%20UNION%20SELECT'
    '%20password%20FROM%20users-- HTTP/1.1" {status} 10 "-" "{agent}"'
)


def sqli(
    client: str = "203.0.113.9", second: int = 0, status: int = 500, agent: str = "Mozilla/5.0"
) -> str:
    return SQLI.format(client=client, second=second, status=status, agent=agent)


def pipeline(tmp_path: Path, toml: str = "") -> tuple[Pipeline, MemorySink]:
    files = []
    if toml:
        path = tmp_path / "lwsyslog.toml"
        path.write_text(toml)
        files.append(path)
    sink = MemorySink()
    return Pipeline(load_config(files), [sink]), sink


def test_an_attack_is_urgent_and_alerts_once_per_cooldown(tmp_path: Path) -> None:
    engine, sink = pipeline(tmp_path)
    first = engine.process(sqli(second=0), Origin("a.log", 1))
    assert first.urgency is Urgency.URGENT and first.alerts
    again = engine.process(sqli(second=30), Origin("a.log", 2))
    assert again.findings and not again.alerts  # same client, same category: cooldown
    other = engine.process(sqli(client="198.51.100.2", second=31), Origin("a.log", 3))
    assert other.alerts
    assert [a.client_ip for a in sink.alerts if "sqli" in a.categories] == [
        "203.0.113.9",
        "198.51.100.2",
    ]


def test_an_attack_answered_200_is_one_severity_higher(tmp_path: Path) -> None:
    engine, _ = pipeline(tmp_path)
    failed = engine.process(sqli(status=500), Origin("a.log", 1))
    worked = engine.process(sqli(client="198.51.100.7", status=200), Origin("a.log", 2))
    top_failed = max(f.severity.rank for f in failed.findings)
    top_worked = max(f.severity.rank for f in worked.findings)
    assert top_worked == min(top_failed + 1, Severity.CRITICAL.rank)
    assert "answered 200" in worked.alerts[0].message


def test_global_allow_list_silences_a_trusted_scanner(tmp_path: Path) -> None:
    engine, sink = pipeline(tmp_path, '[allow]\nclients = ["203.0.113.0/24"]\n')
    result = engine.process(sqli(), Origin("a.log", 1))
    assert result.findings == [] and sink.alerts == []
    assert engine.process(sqli(client="198.51.100.1"), Origin("a.log", 2)).alerts


def test_per_rule_allow_list_only_silences_that_rule(tmp_path: Path) -> None:
    engine, _ = pipeline(
        tmp_path, '[rules.sqli-union-select.allow]\nuser_agents = ["^InternalPentest/"]\n'
    )
    result = engine.process(sqli(agent="InternalPentest/2.0"), Origin("a.log", 1))
    rules = {f.rule_id for f in result.findings}
    assert "sqli-union-select" not in rules and rules  # other sqli rules still fire


def test_disabled_rule_and_severity_override(tmp_path: Path) -> None:
    engine, _ = pipeline(
        tmp_path,
        "[rules.sqli-union-select]\nenabled = false\n"
        '[rules.sqli-quote-breakout]\nseverity = "low"\n',
    )
    result = engine.process(sqli(), Origin("a.log", 1))
    severities = {f.rule_id: f.severity for f in result.findings}
    assert "sqli-union-select" not in severities
    assert severities.get("sqli-quote-breakout") == Severity.LOW


def test_triage_statuses_are_configurable(tmp_path: Path) -> None:
    line = '192.0.2.1 - - [23/Nov/2026:14:00:00 +0000] "GET /gone HTTP/1.1" 404 0 "-" "curl/8"'
    default, _ = pipeline(tmp_path)
    assert default.process(line, Origin("a", 1)).urgency is Urgency.STANDARD
    strict, _ = pipeline(tmp_path, '[triage]\nurgent_statuses = ["4xx", "5xx"]\n')
    assert strict.process(line, Origin("a", 1)).urgency is Urgency.URGENT


def test_error_log_level_decides_triage(tmp_path: Path) -> None:
    engine, _ = pipeline(tmp_path)
    crit = "[Mon Nov 23 14:00:00.1 2026] [core:crit] [pid 1] AH00000: something broke"
    info = "[Mon Nov 23 14:00:00.1 2026] [core:notice] [pid 1] AH00094: Command line: apache2"
    assert engine.process(crit, Origin("e", 1)).urgency is Urgency.URGENT
    assert engine.process(info, Origin("e", 2)).urgency is Urgency.STANDARD


def test_unbounded_client_ips_keep_state_bounded(tmp_path: Path) -> None:
    engine, _ = pipeline(tmp_path, "[alerts]\nmax_keys = 500\n")
    for n in range(5000):
        client = f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"
        engine.process(sqli(client=client, second=n % 60), Origin("a", n))
    # Each rule keeps at most max_keys keys, and what the windows may take is fixed up front.
    held = engine.thresholds.keys_by_rule()
    assert max(held.values()) == 500 and held["urgent-burst"] == 500
    assert engine.thresholds.evictions > 0 and engine.alert_maker.evictions > 0
    assert engine.thresholds.memory_bytes <= 96 * 1024 * 1024


def test_a_watched_trap_path_alerts_only_once_configured(tmp_path: Path) -> None:
    line = (
        '192.0.2.12 - user1 [23/Nov/2026:14:00:00 +0000] "GET /knocking/ HTTP/1.1" 200 266 '
        '"-" "Mozilla/5.0"'
    )
    default, _ = pipeline(tmp_path)
    assert not default.process(line, Origin("a.log", 1)).alerts
    watching, sink = pipeline(tmp_path, '[rules.watched-path]\npaths = ["/knocking/"]\n')
    result = watching.process(line, Origin("a.log", 1))
    assert [alert.rule for alert in result.alerts] == ["watched-path"]
    assert sink.alerts[0].client_ip == "192.0.2.12"


def test_process_lines_is_process_bytes_line_by_line(tmp_path: Path) -> None:
    benign = (
        '203.0.113.9 - - [23/Nov/2026:14:00:00 +0000] "GET / HTTP/1.1" 200 10 "-" "Mozilla/5.0"'
    )
    lines = [
        line.encode()
        for line in (benign, sqli(second=1), benign, sqli(client="198.51.100.2", second=2))
    ]
    one_by_one, one_sink = pipeline(tmp_path)
    expected = [
        one_by_one.process_bytes(data, Origin("a.log", 7 + n)) for n, data in enumerate(lines)
    ]
    batched, batch_sink = pipeline(tmp_path)
    seen: list[tuple[int, int]] = []  # (line, alerts delivered so far) at each urgent line

    def urgent(result: LineResult) -> None:
        seen.append((result.event.origin.line, len(batch_sink.alerts)))

    assert batched.process_lines(lines, "a.log", 7, urgent) == 11
    assert seen == [(8, 1), (10, 2)]
    assert [(a.client_ip, a.last) for a in batch_sink.alerts] == [
        (a.client_ip, a.last) for a in one_sink.alerts
    ]
    assert [r.urgency for r in expected] == [
        Urgency.STANDARD,
        Urgency.URGENT,
        Urgency.STANDARD,
        Urgency.URGENT,
    ]
    assert batched.stats.lines == one_by_one.stats.lines == 4
    assert batched.process_lines([], "a.log", 11) == 11


def test_told_to_read_error_logs_an_access_line_is_unparsed_not_a_cut_access_line() -> None:
    # `scan --log error`: a line no error format fits is not salvaged as an access line (it
    # used to count as "1 access" with a protocol-cut-line finding it did not deserve).
    line = (
        '203.0.113.5 - - [23/Nov/2026:14:00:00 +0000] "GET /?id=1%27%20UNION%20SELECT%201-- '
        'HTTP/1.1" 200 5 "-" "x"'
    )
    only_errors = Pipeline(dataclasses.replace(load_config([]), log="error"))
    result = only_errors.process(line, Origin("error.log", 1))
    assert result.event.log == "unparsed" and not result.findings
    assert only_errors.stats.access == 0 and only_errors.stats.cut_lines == 0
    cut = '203.0.113.5 - - [23/Nov/2026:14:00:00 +0000] "GET /?id=1%27%20UNION%20SELECT%201--'
    either = Pipeline(load_config([])).process(cut, Origin("access.log", 1))
    assert "protocol-cut-line" in {f.rule_id for f in either.findings}
