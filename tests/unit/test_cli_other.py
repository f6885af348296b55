"""``lwsyslog explain``, ``rules`` and ``check-config`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lwsyslog.categories import CATEGORIES
from lwsyslog.cli.main import main

ENCODED_SQLI = (
    '203.0.113.9 - - [23/Nov/2026:14:00:10 +0000] "GET /p?id=42%2527%20UnIoN/**/SeLeCt'
    '%20password%20FROM%20users-- HTTP/1.1" 200 512 "-" "Mozilla/5.0"'
)


def test_explain_shows_the_decoded_target_and_the_matching_fragment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["explain", ENCODED_SQLI]) == 0
    out = capsys.readouterr().out
    assert "decoded    /p?id=42' UnIoN SeLeCt password FROM users--" in out
    assert "MATCH sqli-union-select" in out and "fragment='union select'" in out
    assert "triage       urgent" in out


def test_explain_json_lists_every_rule_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--json", ENCODED_SQLI]) == 0
    report = json.loads(capsys.readouterr().out)
    matched = {r["rule"] for r in report["rules"] if r["matched"]}
    assert "sqli-union-select" in matched
    assert len(report["rules"]) > len(matched)
    assert report["fields"]["client_ip"] == "203.0.113.9"


def test_explain_never_echoes_an_escape_raw(capsys: pytest.CaptureFixture[str]) -> None:
    line = ENCODED_SQLI.replace("Mozilla/5.0", "\x1b]0;owned\x07Mozilla")
    assert main(["explain", line]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\\x1b]0;owned\\x07" in out


def test_explain_of_a_line_no_format_fits_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "just some words"]) == 1
    assert "unparsed" in capsys.readouterr().out


def test_rules_cover_every_taxonomy_category(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    covered = {c for row in rows for c in row["categories"]}
    assert covered >= CATEGORIES
    assert {"urgent-burst", "auth-brute-force", "request-flood"} <= {r["id"] for r in rows}


def test_rules_list_the_silent_host_alerts_with_their_configured_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "hosts.toml"
    config.write_text("[hosts]\nsilent_after_secs = 300\nseverity = 'critical'\n")
    assert main(["rules", "--json", "--config", str(config)]) == 0
    rows = {row["id"]: row for row in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows["host-silent"]["kind"] == "health" and rows["host-silent"]["enabled"]
    assert (
        rows["host-silent"]["severity"] == "critical"
        and "300s" in rows["host-silent"]["description"]
    )
    assert rows["host-back"]["severity"] == "low"
    config.write_text("[hosts]\nsilent_after_secs = 0\n")
    assert main(["rules", "--json", "--config", str(config)]) == 0
    rows = {row["id"]: row for row in map(json.loads, capsys.readouterr().out.splitlines())}
    assert not rows["host-silent"]["enabled"] and not rows["host-back"]["enabled"]


def test_check_config_accepts_good_and_names_bad_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.toml"
    good.write_text("[thresholds.urgent-burst]\ncount = 8\n")
    assert main(["check-config", "--config", str(good)]) == 0
    assert "configuration OK" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text("[input]\naccess_formats = ['%h %Z']\n")
    assert main(["check-config", "--config", str(bad)]) == 2
    assert "%Z" in capsys.readouterr().err


def test_python_dash_m_lwsyslog_is_the_same_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lwsyslog", "explain", "--json", "--no-system-config", ENCODED_SQLI],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "sqli-union-select" in done.stdout


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-5", "1e300", "soon"])
@pytest.mark.parametrize(
    "option",
    [("status", "--window-secs"), ("status", "--max-lag-secs"), ("demo", "--wait-secs")],
    ids=["window", "lag", "demo-wait"],
)
def test_a_seconds_option_takes_only_a_sane_duration(
    option: tuple[str, str], value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    command, name = option
    with pytest.raises(SystemExit) as exit_:
        main([command, f"{name}={value}"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {name}:" in err and "Traceback" not in err


def test_rules_and_explain_show_the_categories_the_config_gives_a_pack_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The categories an operator gave a pack rule are those its alerts carry: shown so."""
    config = tmp_path / "categories.toml"
    config.write_text('[rules.exploit-citrix-bleed-probe]\ncategories = ["scanner"]\n')
    assert main(["rules", "--json", "--config", str(config)]) == 0
    rows = {row["id"]: row for row in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows["exploit-citrix-bleed-probe"]["categories"] == ["scanner"]

    line = (
        '203.0.113.9 - - [23/Nov/2026:14:00:10 +0000] "GET /oauth/idp/.well-known/'
        'openid-configuration HTTP/1.1" 200 512 "-" "curl/8.5"'
    )
    assert main(["explain", "--config", str(config), line]) == 0
    assert "MATCH exploit-citrix-bleed-probe     [scanner] medium" in capsys.readouterr().out
