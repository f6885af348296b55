"""Sigma rules with values of the wrong type, which pySigma accepts and then fails on with a
Python error: ``check-config`` refuses each with one line naming the file, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lwsyslog.cli.main import main

pytest.importorskip("sigma")

RULE = """title: Acme probe
id: 11111111-2222-3333-4444-555555555555
logsource:
  category: webserver
detection:
  sel:
    cs-uri-query|contains: acme-zz
  condition: sel
"""


def check_config(capsys: pytest.CaptureFixture[str], tmp_path: Path, rule: str) -> str:
    """The error ``check-config`` prints for a configuration whose one Sigma rule file is
    ``rule`` (it must exit 2)."""
    directory = tmp_path / "sigma"
    directory.mkdir()
    (directory / "acme.yml").write_text(rule)
    config = tmp_path / "lwsyslog.toml"
    config.write_text(f"[sigma]\nrule_dirs = [{json.dumps(str(directory))}]\n")
    assert main(["check-config", "--no-system-config", "--config", str(config)]) == 2
    error = capsys.readouterr().err
    assert "Traceback" not in error
    return error.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("condition", "shown"),
    [("5", "5"), ("true", "True"), ("", "None"), ("{a: 1}", "{'a': 1}"), ("[5]", "5")],
)
def test_a_condition_that_is_no_string_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, condition: str, shown: str
) -> None:
    error = check_config(
        capsys, tmp_path, RULE.replace("condition: sel", f"condition: {condition}")
    )
    assert error.endswith(
        "acme.yml: malformed Sigma rule: detection key 'condition': expected a string or a "
        f"list of strings, not {shown}"
    )


def test_a_condition_list_names_the_entry_that_is_no_string(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    error = check_config(capsys, tmp_path, RULE.replace("condition: sel", "condition: [sel, 5]"))
    assert error.endswith(
        "acme.yml: malformed Sigma rule: detection key 'condition' #2: expected a string or a "
        "list of strings, not 5"
    )


def test_an_impossible_date_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    error = check_config(capsys, tmp_path, RULE + "date: 2020-13-45\n")
    assert error.endswith("acme.yml: malformed Sigma rule: month must be in 1..12")


def test_cidr_on_a_field_other_than_c_ip_is_refused_naming_the_rule_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """It was loaded and listed enabled, and matched nothing: only c-ip holds an address."""
    rule = RULE.replace("cs-uri-query|contains: acme-zz", "cs-uri-query|cidr: 10.0.0.0/8")
    error = check_config(capsys, tmp_path, rule)
    assert error.endswith(
        "acme.yml: Sigma rule not supported: modifier 'cidr' works on c-ip only, not on field "
        "'cs-uri-query'; set [sigma] on_unsupported = \"skip\" to leave such rules out"
    )


def test_cidr_on_c_ip_loads_and_matches(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    directory = tmp_path / "sigma"
    directory.mkdir()
    rule = RULE.replace("cs-uri-query|contains: acme-zz", "c-ip|cidr: 192.0.2.0/24")
    (directory / "acme.yml").write_text(rule + "level: high\n")
    config = tmp_path / "lwsyslog.toml"
    config.write_text(f"[sigma]\nrule_dirs = [{json.dumps(str(directory))}]\n")
    log = tmp_path / "access.log"
    log.write_text(
        '192.0.2.7 - - [10/Oct/2023:13:55:36 +0000] "GET / HTTP/1.1" 200 12 "-" "curl/8.0"\n'
    )
    common = ["--no-system-config", "--config", str(config)]
    assert main(["check-config", *common]) == 0
    assert main(["scan", *common, "--json", str(log)]) == 0
    assert "sigma:11111111-2222-3333-4444-555555555555" in capsys.readouterr().out
