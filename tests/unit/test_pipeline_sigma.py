"""Sigma rules configured in ``[sigma] rule_dirs`` run inside the normal pipeline."""

from __future__ import annotations

from pathlib import Path

from lwsyslog.config import load_config
from lwsyslog.events import Origin
from lwsyslog.pipeline import Pipeline
from lwsyslog.sinks import MemorySink

RULE = """
title: Backup archive download attempt
id: 5b0d3b36-7c43-4a0e-9d0c-2f1f5d7a9e01
status: test
level: high
logsource:
    category: webserver
detection:
    selection:
        cs-uri-query|endswith:
            - '.tar.gz'
            - '.zip'
        sc-status: 200
    condition: selection
"""

CORRELATED = """
title: Probe for backup archives
id: 0f6b0b61-1d7e-4c55-8a43-5e7b3fb1c001
name: backup_probe
status: test
level: low
logsource:
    category: webserver
detection:
    selection:
        cs-uri-query|endswith: '.bak'
    condition: selection
---
title: Many backup probes from one client
id: 0f6b0b61-1d7e-4c55-8a43-5e7b3fb1c002
status: test
level: high
correlation:
    type: event_count
    rules:
        - backup_probe
    group-by:
        - c-ip
    timespan: 1m
    condition:
        gte: 3
"""


def line(client: str, second: int, target: str, status: int) -> str:
    return (
        f'{client} - - [23/Nov/2026:14:00:{second:02d} +0000] "GET {target} HTTP/1.1" {status} 10 '
        '"-" "Mozilla/5.0"'
    )


def pipeline_with(tmp_path: Path, *rules: str) -> tuple[Pipeline, MemorySink]:
    rule_dir = tmp_path / "sigma"
    rule_dir.mkdir()
    for number, text in enumerate(rules):
        (rule_dir / f"rule{number}.yml").write_text(text)
    config_file = tmp_path / "lwsyslog.toml"
    config_file.write_text(f'[sigma]\nrule_dirs = ["{rule_dir}"]\n')
    sink = MemorySink()
    return Pipeline(load_config([config_file]), [sink]), sink


def test_a_sigma_rule_finds_and_alerts_with_its_id_title_and_level(tmp_path: Path) -> None:
    pipeline, sink = pipeline_with(tmp_path, RULE)
    quiet = pipeline.process(line("192.0.2.5", 1, "/site.zip", 404), Origin("a.log", 1))
    assert quiet.findings == [] or all(not f.rule_id.startswith("sigma:") for f in quiet.findings)
    result = pipeline.process(line("192.0.2.5", 2, "/site.zip", 200), Origin("a.log", 2))
    sigma = [f for f in result.findings if f.rule_id.startswith("sigma:")]
    assert [f.rule_id for f in sigma] == ["sigma:5b0d3b36-7c43-4a0e-9d0c-2f1f5d7a9e01"]
    [alert] = sink.alerts
    assert "sigma:5b0d3b36-7c43-4a0e-9d0c-2f1f5d7a9e01" in alert.rules
    assert alert.severity == "high"


def test_a_lone_sigma_rule_alerts_with_its_title(tmp_path: Path) -> None:
    pipeline, sink = pipeline_with(tmp_path, RULE.replace("'.zip'", "'.tgz-archive'"))
    pipeline.process(line("192.0.2.5", 2, "/site.tgz-archive", 200), Origin("a.log", 2))
    [alert] = sink.alerts
    assert alert.rule == "sigma:5b0d3b36-7c43-4a0e-9d0c-2f1f5d7a9e01"
    assert "Backup archive download attempt" in alert.message


def test_one_line_matching_built_in_and_sigma_rules_raises_one_alert_naming_all(
    tmp_path: Path,
) -> None:
    pipeline, sink = pipeline_with(tmp_path, RULE)
    target = "/dl?id=1%27%20UNION%20SELECT%20password%20FROM%20users--%20x.zip"
    pipeline.process(line("192.0.2.9", 3, target, 200), Origin("a.log", 3))
    [alert] = sink.alerts
    assert "sqli-union-select" in alert.rules
    assert "sigma:5b0d3b36-7c43-4a0e-9d0c-2f1f5d7a9e01" in alert.rules
    assert "sigma:5b0d3b36-7c43-4a0e-9d0c-2f1f5d7a9e01" in alert.message


def test_sigma_event_count_correlation_becomes_a_threshold(tmp_path: Path) -> None:
    pipeline, sink = pipeline_with(tmp_path, CORRELATED)
    for second in range(3):
        pipeline.process(line("198.51.100.3", second, f"/db{second}.bak", 404), Origin("a", second))
    pipeline.process(line("198.51.100.4", 5, "/x.bak", 404), Origin("a", 9))
    correlated = [a for a in sink.alerts if "0f6b0b61-1d7e-4c55-8a43-5e7b3fb1c002" in a.rule]
    assert [(a.key, a.count) for a in correlated] == [("198.51.100.3", 3)]
    # The building-block rule (generate: false by default) never alerts on its own.
    assert not [a for a in sink.alerts if a.rule.endswith("c001")]


STATUS_ONLY = """
title: Server error answered
id: 7a1c2e40-5b6d-4e8f-9a0b-1c2d3e4f5a60
status: test
level: low
logsource:
    category: webserver
detection:
    selection:
        sc-status: 503
    condition: selection
"""


def test_a_sigma_rule_without_literals_runs_on_lines_no_scan_selects(tmp_path: Path) -> None:
    # No text selects this rule, so the detect stage must hand it every line; a rule set whose
    # rules all need literals is skipped on lines without them (the usual line).
    pipeline, _ = pipeline_with(tmp_path, STATUS_ONLY)
    plain = pipeline.process(line("192.0.2.5", 1, "/index.html", 503), Origin("a.log", 1))
    assert [f.rule_id for f in plain.findings] == ["sigma:7a1c2e40-5b6d-4e8f-9a0b-1c2d3e4f5a60"]
    fine = pipeline.process(line("192.0.2.5", 2, "/index.html", 200), Origin("a.log", 2))
    assert not fine.findings
    (tmp_path / "literal").mkdir()
    pipeline, _ = pipeline_with(tmp_path / "literal", RULE)
    archive = pipeline.process(line("192.0.2.5", 3, "/site.zip", 200), Origin("a.log", 3))
    sigma = [f.rule_id for f in archive.findings if f.rule_id.startswith("sigma:")]
    assert sigma == ["sigma:5b0d3b36-7c43-4a0e-9d0c-2f1f5d7a9e01"]
