"""A finding moved to another severity keeps everything else it says."""

from __future__ import annotations

import dataclasses

from lwsyslog.events import Origin
from lwsyslog.findings import Finding
from lwsyslog.severity import Severity


def _finding() -> Finding:
    return Finding(
        rule_id="sqli-union-select",
        categories=("sqli",),
        severity=Severity.HIGH,
        client_ip="203.0.113.7",
        origin=Origin("web1/apache-access", 12),
        log="access",
        time=1_700_000_000.0,
        field="query",
        fragment="union select",
        cves=("CVE-2021-41773",),
    )


def test_with_severity_changes_only_the_severity() -> None:
    finding = _finding()
    raised = finding.with_severity(Severity.CRITICAL)
    assert raised.severity is Severity.CRITICAL
    # Every other field, including any added later, is carried over as it is.
    assert raised == dataclasses.replace(finding, severity=Severity.CRITICAL)
    assert finding.severity is Severity.HIGH


def test_with_the_same_severity_is_the_same_finding() -> None:
    finding = _finding()
    assert finding.with_severity(Severity.HIGH) is finding
