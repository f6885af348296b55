"""Sigma rules as first-class rules: the payload explains a match, CVE tags name the exploit,
level maps to severity, ``[rules.ID]`` overrides severity and categories, and one line that
matches built-in and Sigma rules raises one alert naming all of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from lwsyslog.config import load_config
from lwsyslog.errors import ConfigError
from lwsyslog.events import Origin
from lwsyslog.pipeline import Pipeline

pytest.importorskip("sigma")

SQLI = """
title: SQL Injection Strings In URI
id: 5f7b2a8e-3c44-4e0a-9a55-0e1d2c3b4a01
status: test
level: high
tags:
    - attack.initial-access
    - attack.t1190
logsource:
    category: webserver
detection:
    selection:
        cs-method: 'GET'
    keywords:
        - 'union%20select'
        - 'information_schema'
    condition: selection and keywords
"""

CVE_RULE = """
title: Exploitation Of Some Appliance
id: 5f7b2a8e-3c44-4e0a-9a55-0e1d2c3b4a02
status: test
level: critical
tags:
    - attack.t1190
    - cve.2099-12345
logsource:
    category: webserver
detection:
    selection:
        cs-method: 'POST'
        cs-uri-query|contains: '/appliance/api/unauth-exec'
    condition: selection
"""

SQLI_LINE = (
    '203.0.113.9 - - [01/Jun/2024:12:00:00 +0000] "GET /item.php?id=1%20union%20select%20'
    'password%20from%20users-- HTTP/1.1" 404 512 "-" "Mozilla/5.0"'
)
CVE_LINE = (
    '203.0.113.10 - - [01/Jun/2024:12:00:01 +0000] "POST /appliance/api/unauth-exec?x=1 '
    'HTTP/1.1" 404 12 "-" "python-requests/2.31"'
)


def _pipeline(tmp_path: Path, extra: str = "") -> Pipeline:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "sqli.yml").write_text(SQLI, encoding="utf-8")
    (rules / "cve.yml").write_text(CVE_RULE, encoding="utf-8")
    config = tmp_path / "lwsyslog.toml"
    config.write_text(f'[sigma]\nrule_dirs = ["{rules}"]\n{extra}', encoding="utf-8")
    return Pipeline(load_config([config]))


def test_a_sigma_match_is_explained_by_its_payload_not_the_method(tmp_path: Path) -> None:
    result = _pipeline(tmp_path).process(SQLI_LINE, Origin("access.log", 1))
    (sigma,) = [f for f in result.findings if f.rule_id.startswith("sigma:")]
    assert sigma.field == "cs-uri-query"
    assert sigma.fragment == "union%20select"
    assert sigma.severity.value == "high"
    assert sigma.categories == ("sqli",)


def test_one_line_matching_built_in_and_sigma_rules_raises_one_alert_naming_all(
    tmp_path: Path,
) -> None:
    result = _pipeline(tmp_path).process(SQLI_LINE, Origin("access.log", 1))
    (alert,) = result.alerts
    assert "sigma:5f7b2a8e-3c44-4e0a-9a55-0e1d2c3b4a01" in alert.rules
    assert "sqli-union-select" in alert.rules
    assert "sent 'GET'" not in alert.message


def test_a_cve_tag_makes_a_known_exploit_finding_that_names_the_cve(tmp_path: Path) -> None:
    result = _pipeline(tmp_path).process(CVE_LINE, Origin("access.log", 2))
    (finding,) = [f for f in result.findings if f.rule_id.startswith("sigma:")]
    assert finding.categories[0] == "known-exploit"
    assert finding.cves == ("CVE-2099-12345",)
    assert finding.fragment == "/appliance/api/unauth-exec"
    (alert,) = result.alerts
    assert alert.cves == ("CVE-2099-12345",)


def test_rules_table_overrides_a_sigma_rules_severity_and_categories(tmp_path: Path) -> None:
    pipeline = _pipeline(
        tmp_path,
        '[rules."5f7b2a8e-3c44-4e0a-9a55-0e1d2c3b4a02"]\n'
        'severity = "medium"\ncategories = ["scanner"]\n',
    )
    result = pipeline.process(CVE_LINE, Origin("access.log", 2))
    (finding,) = [f for f in result.findings if f.rule_id.startswith("sigma:")]
    assert finding.severity.value == "medium"
    assert finding.categories == ("scanner",)
    assert result.alerts == []


def test_an_unknown_category_override_names_the_file_table_and_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _pipeline(
            tmp_path,
            '[rules."5f7b2a8e-3c44-4e0a-9a55-0e1d2c3b4a02"]\ncategories = ["nonsense"]\n',
        )
    message = str(caught.value)
    assert "lwsyslog.toml:" in message
    assert "categories" in message
    assert "'nonsense' is not a taxonomy category" in message
