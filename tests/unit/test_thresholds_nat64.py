"""Behind a NAT64 translator every IPv4 client arrives as ``64:ff9b::a.b.c.d``: each is counted
as its IPv4 address, not all together as the translator's one /64."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lwsyslog.cli.main import main
from lwsyslog.thresholds.keys import client_key, ipv6_site

ATTACKER = "64:ff9b::c000:242"  # 192.0.2.66
INNOCENT = "64:ff9b::198.51.100.7"


def test_a_nat64_address_is_keyed_by_the_ipv4_client_it_carries() -> None:
    assert client_key(ATTACKER) == "192.0.2.66"
    assert client_key(INNOCENT) == "198.51.100.7"
    assert client_key("64:ff9b::1:c000:242") == "64:ff9b::/64"  # outside the /96: not NAT64
    assert ipv6_site(ATTACKER) is None


def _line(client: str, second: int) -> str:
    return (
        f'{client} - alice [07/Dec/2026:10:00:{second:02d} +0000] "GET /private/ HTTP/1.1" '
        '401 381 "-" "Mozilla/5.0"'
    )


def test_an_innocent_translated_client_is_neither_counted_nor_named_for_an_attacker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The red team's case: 9 failed logins from one translated IPv4 client, then one from
    another. All were one key, and the alert named the innocent who failed once."""
    log = tmp_path / "access.log"
    lines = [_line(ATTACKER, n) for n in range(9)] + [_line(INNOCENT, 30)]
    log.write_text("\n".join(lines) + "\n")
    main(["scan", "--json", "--no-system-config", str(log)])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    alerts = [r for r in records if r["kind"] == "alert" and r["rule"] == "auth-brute-force"]
    assert alerts == []  # 9 from the attacker: below the count of 10
    log.write_text("\n".join([*lines, _line(ATTACKER, 40)]) + "\n")
    main(["scan", "--json", "--no-system-config", str(log)])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [alert] = [r for r in records if r["kind"] == "alert" and r["rule"] == "auth-brute-force"]
    assert alert["client_ip"] == ATTACKER
