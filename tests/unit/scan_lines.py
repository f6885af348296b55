"""Run ``lwsyslog scan --json`` once over many access-log lines and read back what it reports."""

from __future__ import annotations

import contextlib
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Any, NamedTuple

from lwsyslog.cli.main import main

__all__ = ["Scanned", "access_line", "scan_lines"]


def access_line(number: int, target: str) -> str:
    """A combined-format GET of ``target`` answered 200, from a client of its own."""
    return (
        f"203.0.{number // 250}.{number % 250 + 1} - - [07/Dec/2026:10:00:00 +0000] "
        f'"GET {target} HTTP/1.1" 200 512 "-" "Mozilla/5.0"'
    )


class Scanned(NamedTuple):
    """What the scan reported: each line's findings (rule, severity) and each client's alerts."""

    findings: dict[int, list[tuple[str, str]]]
    alerts: dict[str, list[tuple[str, str]]]

    def rules_at(self, line: int) -> set[str]:
        """Rules with a finding on ``line`` (1-based)."""
        return {rule for rule, _ in self.findings.get(line, [])}


def scan_lines(lines: list[str], where: Path) -> Scanned:
    """``lwsyslog scan --json --no-system-config`` over ``lines``, as a user runs it."""
    log = where / "access.log"
    log.write_text("".join(line + "\n" for line in lines))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["scan", "--json", "--no-system-config", str(log)]) == 0
    findings: dict[int, list[tuple[str, str]]] = defaultdict(list)
    alerts: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for text in out.getvalue().splitlines():
        if not text.startswith("{"):
            continue
        record: dict[str, Any] = json.loads(text)
        if record["kind"] == "finding":
            for match in record["matches"]:
                findings[record["line"]].append((match["rule"], record["severity"]))
        elif record["kind"] == "alert":
            alerts[record["client_ip"]].append((record["rule"], record["severity"]))
    return Scanned(dict(findings), dict(alerts))
