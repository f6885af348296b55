"""The engine's rules fire on the attacks sent to real servers, read from the new formats
(``lwsyslog scan --json`` over the fixtures, as a user would run it)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from lwsyslog.cli.main import main
from tests.unit.formats_fixtures import APACHE_JSON, IIS, NGINX

FORMATS = "vhost_combined,combined,json,iis"


def _categories(capsys: pytest.CaptureFixture[str], path: Path) -> dict[str, set[str]]:
    """Client -> categories of its findings, from ``lwsyslog scan --json``."""
    argv = ["scan", "--json", "--config", "/dev/null"]
    status = 0
    found: dict[str, set[str]] = defaultdict(set)
    for fmt in FORMATS.split(","):
        status = main([*argv, "--format", fmt, str(path)])
        assert status == 0
        for line in capsys.readouterr().out.splitlines():
            record = json.loads(line)
            if record["kind"] == "finding":
                found[record["client_ip"]].update(record["categories"])
    return found


@pytest.mark.parametrize(
    "path",
    [
        NGINX / "access.json.log",
        NGINX / "access-default-escape.json.log",
        APACHE_JSON / "access.loggly.json.log",
        APACHE_JSON / "access.full.json.log",
    ],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_attacks_in_json_access_logs_are_found(
    capsys: pytest.CaptureFixture[str], path: Path
) -> None:
    found = _categories(capsys, path)
    assert "sqli" in found["127.0.0.21"]
    assert "path-traversal" in found["127.0.0.22"]
    assert "log4shell" in found["127.0.0.25"]
    assert "shellshock" in found["127.0.0.26"]
    assert "xss" in found["127.0.0.27"]
    assert {"scanner", "sensitive-file"} <= found["127.0.0.23"]
    assert not found.get("127.0.0.10")  # the benign browser: no category


def test_attacks_in_the_nginx_error_log_are_found(capsys: pytest.CaptureFixture[str]) -> None:
    found = _categories(capsys, NGINX / "error.log")
    assert {"sensitive-file", "admin-probe"} <= found["127.0.0.23"]
    assert "shellshock" in found["127.0.0.26"]
    assert "auth-failure" in found["127.0.0.24"]
    assert not found.get("127.0.0.10")  # its missing favicon is urgent, not an attack


def test_attacks_in_the_iis_log_are_found(capsys: pytest.CaptureFixture[str]) -> None:
    found = _categories(capsys, IIS)
    assert "sqli" in found["203.0.113.21"]
    assert "path-traversal" in found["203.0.113.22"]
    assert {"scanner", "sensitive-file"} <= found["203.0.113.23"]
    assert "log4shell" in found["203.0.113.25"]
    assert "shellshock" in found["203.0.113.26"]
    assert "xss" in found["203.0.113.27"]
    assert "code-injection" in found["203.0.113.28"]
    assert not found.get("192.0.2.10")
