"""``auth-brute-force-ipv6-prefix``: password guessing spread over the /64s of one /48."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lwsyslog.cli.main import main

RULE = "auth-brute-force-ipv6-prefix"


def login_line(client: str, second: int, status: int, path: str = "/wp-login.php") -> str:
    minute, sec = divmod(second, 60)
    return (
        f"{client} - - [07/Dec/2026:10:{minute:02d}:{sec:02d} +0000] "
        f'"POST {path} HTTP/1.1" {status} 4512 "-" "Mozilla/5.0"'
    )


def alerts(tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: list[str]) -> list[str]:
    log = tmp_path / "access.log"
    log.write_text("\n".join(lines) + "\n")
    main(["scan", "--json", "--no-system-config", str(log)])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return [str(r["rule"]) for r in records if r["kind"] == "alert"]


def test_failed_logins_each_from_another_64_of_one_48_raise_the_prefix_alert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The red team's rotation: 200 failed logins and a success, each from a new /64 of
    2001:db8:77::/48, raised no alert at all; counted per /64 each client tried once."""
    lines = [login_line(f"2001:db8:77:{n:x}::5", n, 200) for n in range(200)]
    lines.append(login_line("2001:db8:77:ff00::5", 201, 302))
    found = alerts(tmp_path, capsys, lines)
    assert found.count(RULE) == 1
    assert "login-brute-force" not in found  # no one /64 tried more than once


def test_the_prefix_alert_names_the_48(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "access.log"
    lines = [login_line(f"2001:db8:77:{n:x}::5", n, 401, "/private/") for n in range(10)]
    log.write_text("\n".join(lines) + "\n")
    main(["scan", "--json", "--no-system-config", str(log)])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [alert] = [r for r in records if r["kind"] == "alert" and r["rule"] == RULE]
    assert "2001:db8:77::/48" in str(alert["message"])


@pytest.mark.parametrize(
    ("what", "lines"),
    [
        (
            "nine /64s failing: below the count",
            [login_line(f"2001:db8:77:{n:x}::5", n * 30, 200) for n in range(9)],
        ),
        (
            "many users of one carrier /48 logging in (answered with a redirect)",
            [login_line(f"2001:db8:77:{n:x}::5", n, 302) for n in range(200)],
        ),
        (
            "a carrier's users logging in to a single-page app (a right password is 200)",
            [login_line(f"2607:fb90:1234:{n:x}::5", n * 45, 200, "/api/login") for n in range(12)],
        ),
        (
            "WordPress apps of many users calling xmlrpc.php (always 200)",
            [login_line(f"2607:fb90:1234:{n:x}::5", n, 200, "/xmlrpc.php") for n in range(30)],
        ),
        (
            "one /64 failing again and again: counted once here (login-brute-force's case)",
            [login_line("2001:db8:77:1::5", n, 200) for n in range(15)],
        ),
        (
            "failures from ten /48s, one /64 each",
            [login_line(f"2001:db8:{n:x}:1::5", n, 200) for n in range(10)],
        ),
        (
            "IPv4 clients of one /24 (never a /48)",
            [login_line(f"198.51.100.{n}", n, 200) for n in range(1, 40)],
        ),
    ],
)
def test_no_prefix_alert_for_ordinary_shapes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], what: str, lines: list[str]
) -> None:
    assert RULE not in alerts(tmp_path, capsys, lines), what
