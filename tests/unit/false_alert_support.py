"""What the false-alert audit tests share: an access line as Apache logs it, a scan of lines as
a user runs it, and the two checks each audit makes (an ordinary request raises nothing of
note; the attack next to it is still found)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lwsyslog.cli.main import main

#: The severities that count as something of note.
SERIOUS = frozenset({"medium", "high", "critical"})


def access_line(
    target: str,
    status: int = 200,
    method: str = "GET",
    referer: str = "-",
    agent: str = "Mozilla/5.0",
) -> str:
    """One combined-format line of ``target`` from one client."""
    return (
        f'203.0.113.9 - - [07/Dec/2026:10:00:00 +0000] "{method} {target} HTTP/1.1" {status} 512 '
        f'"{referer}" "{agent}"'
    )


def scan_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: list[str]
) -> list[dict[str, object]]:
    """The JSON records of ``lwsyslog scan --json`` over ``lines`` written to a file."""
    log = tmp_path / "traffic.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    main(["scan", "--json", "--no-system-config", str(log)])
    return [json.loads(row) for row in capsys.readouterr().out.splitlines()]


def assert_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str) -> None:
    """Three times, as a user loads a page again: no alert, nothing of medium or more."""
    records = scan_lines(tmp_path, capsys, [line] * 3)
    assert [r["rule"] for r in records if r["kind"] == "alert"] == []
    assert [r["rules"] for r in records if r.get("severity") in SERIOUS] == []


def assert_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, rule_id: str
) -> None:
    """``rule_id`` finds ``line``."""
    records = scan_lines(tmp_path, capsys, [line])
    assert any(rule_id in r.get("rules", ()) for r in records if r["kind"] == "finding")
