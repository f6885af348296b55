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
