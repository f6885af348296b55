"""``lwsyslog demo`` end to end: every expected alert, the notifications at the demo's own SMTP
and webhook receivers, the store's ``alerts`` and ``report`` output, and nothing left running
afterwards."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require_lab

from lwsyslog import lab

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_demo_raises_every_expected_alert_and_cleans_up(tmp_path: Path) -> None:
    require_lab()
    workdir = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "lwsyslog.cli.main", "demo", "--workdir", str(workdir)],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    out = proc.stdout
    assert "every expected alert arrived" in out
    assert "$ journalctl -D /run/log/journal -t lwsyslog\n" in out
    for rule in ("scan-404-burst", "auth-brute-force", "log4shell-jndi"):
        # The MESSAGE names the web host (journalctl's own host column is the server's).
        assert re.search(rf"lwsyslog\[\d+\]: \w+ {rule} on web1\.web\.lwsyslog\.test: ", out), rule
    assert "    LWSYSLOG_CLIENT_IP=127.0.0.25\n" in out  # the -o verbose example
    assert "    MESSAGE_ID=" in out
    messages = (workdir / "messages").read_text()
    assert "auth-brute-force client=127.0.0.24" in messages
    # Nothing a receiver got or a command printed reaches the terminal raw.
    assert all(c.isprintable() or c == "\n" for c in out)

    _check_notifications(out)
    _check_store_commands(out, workdir)

    holder = int(re.search(r"nsenter -t (\d+) -m", out).group(1))  # type: ignore[union-attr]
    assert not lab.pid_alive(holder)
    for pidfile in workdir.rglob("*.pid"):
        pid = int(pidfile.read_text().split()[0])
        assert not lab.pid_alive(pid), f"{pidfile.name}: {pid} still running"


def test_demo_refuses_to_run_without_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to an unprivileged user")
    proc = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         sys.executable, "-m", "lwsyslog.cli.main", "demo"],
        capture_output=True, text=True, timeout=60, check=False, cwd="/",
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "must run as root" in proc.stderr


def _section(out: str, start: str, end: str) -> str:
    begin = out.index(start)
    return out[begin : out.index(end, begin + len(start))]


def _check_notifications(out: str) -> None:
    """Every client's alerts reached the SMTP server, the signed webhook and apprise, once."""
    hook = re.search(
        r"webhook /hook: (\d+) requests, HMAC-SHA256 signature valid on each \((\d+) refused\), "
        r"(\d+) alerts in them",
        out,
    )
    assert hook, out[-4000:]
    requests, refused, alerts = (int(n) for n in hook.groups())
    assert refused == 0
    # The demo's 11 alerts are all medium or worse; one message per client (8 clients).
    assert alerts >= 11 and requests >= 8
    mails = re.search(r"e-mail: (\d+) messages, STARTTLS \+ AUTH", out)
    assert mails and int(mails.group(1)) == requests
    posts = re.search(r"apprise json:// /apprise: (\d+) posts", out)
    assert posts and int(posts.group(1)) == requests
    subjects = re.findall(r"^  Subject: \[lwsyslog\] (.*)$", out, re.MULTILINE)
    assert "critical log4shell-jndi: 127.0.0.25 on web1.web.lwsyslog.test" in subjects
    # The Basic-auth brute force is one alert: its 401s are low findings, which urgent-burst
    # leaves to auth-brute-force.
    assert "high auth-brute-force: 127.0.0.24 on web1.web.lwsyslog.test" in subjects, subjects
    first = _section(out, "The first e-mail", "$ lwsyslog")
    assert "parts: multipart/alternative, text/plain, text/html" in first
    assert "  | What to do:" in first and "  | delivery id: " in first


def _check_store_commands(out: str, workdir: Path) -> None:
    """``lwsyslog alerts`` (table, JSON) and ``report`` (text, page, mail) over the store."""
    db = workdir / "state" / "alerts.db"
    table = _section(out, f"$ lwsyslog alerts --db {db}\n", "\n$ ")
    rows = table.splitlines()[1:]
    assert rows[0].startswith("TIME ") and "SEVERITY" in rows[0]
    assert len(rows) - 1 >= 11
    assert any("auth-brute-force" in row and "127.0.0.24" in row for row in rows)
    listed = _section(out, f"$ lwsyslog alerts --db {db} --client 127.0.0.24 --json\n", "\n$ ")
    records = [json.loads(line) for line in listed.splitlines()[1:]]
    assert {r["rule"] for r in records} >= {"auth-brute-force"}
    assert {r["client_ip"] for r in records} == {"127.0.0.24"}
    report = _section(out, f"$ lwsyslog report --db {db} --since 1h --html", "\n$ ")
    total = re.search(r"^alerts +(\d+) ", report, re.MULTILINE)
    assert total and int(total.group(1)) == len(rows) - 1
    assert "top clients:" in report and "127.0.0.24" in report
    page = (workdir / "report.html").read_text()
    assert 'id="chart-timeline"' in page
    mailed = _section(out, "--mail --config", "lwsyslog demo: OK")
    assert "lwsyslog: report mailed through demo-mail" in mailed
    assert re.search(r"Subject: \[lwsyslog\] lwsyslog report: \d+ alerts", mailed)
    assert re.search(r"part: text/html, [\d,]+ bytes \(attachment lwsyslog-report-", mailed)
