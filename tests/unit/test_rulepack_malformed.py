"""Rule pack files of the wrong shape, and pack rules taking a built-in id: ``check-config``
refuses each with one line naming the file (and line and key), never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lwsyslog.cli.main import main
from lwsyslog.crawlers import FAKE_CRAWLER
from lwsyslog.hosts import HOST_BACK, HOST_SILENT
from lwsyslog.rulepack.pack import RulePack
from lwsyslog.rulepack.source import builtin_rule_ids
from lwsyslog.rules import ALL_RULES
from lwsyslog.rules.planted import PLANTED_FETCH
from lwsyslog.thresholds import THRESHOLD_RULES

RULE = """id = "exploit-acme-zz"
title = "Acme probe"
pattern = '/acme-zz/'
must_match = ["/acme-zz/"]
must_not_match = ["/b"]
"""


def check_config(capsys: pytest.CaptureFixture[str], tmp_path: Path, pack: str) -> str:
    """The error ``check-config`` prints for a configuration whose one pack file is
    ``pack`` (it must exit 2)."""
    directory = tmp_path / "pack"
    directory.mkdir()
    (directory / "acme.toml").write_text(pack)
    config = tmp_path / "lwsyslog.toml"
    config.write_text(f"[rule_packs]\ndirs = [{json.dumps(str(directory))}]\n")
    assert main(["check-config", "--no-system-config", "--config", str(config)]) == 2
    error = capsys.readouterr().err
    assert "Traceback" not in error
    return error.strip().splitlines()[-1]


def test_a_rule_array_of_strings_is_refused_naming_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    error = check_config(capsys, tmp_path, 'rule = ["abc"]\n')
    assert error.endswith(
        "acme.toml:1: key 'rule': entry #1 is not a table (write each rule as a [[rule]] table)"
    )


def test_a_rule_array_with_a_table_then_a_number_names_the_entry(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    inline = '{id = "exploit-acme-zz", title = "x", pattern = "/acme-zz/"}'
    error = check_config(capsys, tmp_path, f'\nrule = [{inline}, 5]\n[pack]\nproduct = "A"\n')
    assert error.endswith(
        "acme.toml:2: key 'rule': entry #2 is not a table (write each rule as a [[rule]] table)"
    )


def test_pack_references_as_one_string_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pack = f'[pack]\nproduct = "Acme"\nreferences = "http://x"\n\n[[rule]]\n{RULE}'
    error = check_config(capsys, tmp_path, pack)
    assert error.endswith(
        "acme.toml:3: [pack] key 'references': expected a list of non-empty strings"
    )


def test_pack_references_as_a_list_reach_the_rules(tmp_path: Path) -> None:
    (tmp_path / "acme.toml").write_text(
        f'[pack]\nproduct = "Acme"\nreferences = ["http://x"]\n\n[[rule]]\n{RULE}'
    )
    (rule,) = RulePack.load([tmp_path]).rules
    assert rule.references == ("http://x",)


def test_pack_product_of_another_type_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    error = check_config(capsys, tmp_path, f"[pack]\nproduct = 5\n\n[[rule]]\n{RULE}")
    assert error.endswith("acme.toml:2: [pack] key 'product': expected a non-empty string")


def test_toml_nested_too_deeply_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    error = check_config(capsys, tmp_path, "a = " + "[" * 5000 + "]" * 5000 + "\n")
    assert error.endswith("acme.toml: not valid TOML: arrays or tables nested too deeply")


def test_a_pattern_nested_too_deeply_is_refused_naming_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    deep = "(" * 2000 + "x" + ")" * 2000
    pack = f'[pack]\nproduct = "Acme"\n\n[[rule]]\n{RULE}'.replace(
        "/acme-zz/'", f"/acme-zz/{deep}'"
    )
    error = check_config(capsys, tmp_path, pack)
    assert error.endswith(
        "acme.toml:7: [[rule]] exploit-acme-zz: key 'pattern': groups nested too deeply"
    )


@pytest.mark.parametrize(
    "rule_id",
    ["attack-repeat", "urgent-burst", HOST_SILENT, HOST_BACK, FAKE_CRAWLER, PLANTED_FETCH],
)
def test_a_pack_rule_may_not_take_a_threshold_host_or_crawler_rule_id(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, rule_id: str
) -> None:
    pack = f'[pack]\nproduct = "Acme"\n\n[[rule]]\n{RULE}'.replace("exploit-acme-zz", rule_id)
    error = check_config(capsys, tmp_path, pack)
    assert error.endswith(f"acme.toml:5: [[rule]] {rule_id}: key 'id': a built-in rule has this id")


def test_every_id_lwsyslog_raises_alerts_under_is_reserved() -> None:
    expected = {cls.id for cls in ALL_RULES} | {rule.id for rule in THRESHOLD_RULES}
    assert builtin_rule_ids() == expected | {HOST_SILENT, HOST_BACK, FAKE_CRAWLER, PLANTED_FETCH}
