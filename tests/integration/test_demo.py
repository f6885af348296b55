"""``lwsyslog demo`` end to end: every expected alert, and nothing left running afterwards."""

from __future__ import annotations

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
