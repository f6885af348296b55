"""With journald gone, the omprog program keeps confirming lines and the messages file keeps
every alert (journald is retried, never a reason to stall rsyslog's stream)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAM = Path(__file__).resolve().parents[2] / "omprog" / "lwsyslog-omprog"
SQLI = (
    '203.0.113.9 - - [23/Nov/2026:14:00:00 +0000] "GET /item?id=1%27%20UNION%20SELECT'
    '%20password%20FROM%20users-- HTTP/1.1" 200 10 "-" "Mozilla/5.0"'
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root"),
]


def test_missing_journald_neither_blocks_lines_nor_loses_the_file_alert(tmp_path: Path) -> None:
    messages = tmp_path / "messages"
    config = tmp_path / "lwsyslog.toml"
    config.write_text(f"[sinks.messages_file]\npath = {json.dumps(str(messages))}\n")
    lines = [
        json.dumps({"host": "web1", "tag": "apache-access:", "msg": SQLI.replace("14:00:00", t)})
        for t in ("14:00:00", "14:10:00")
    ]
    # An empty /run/systemd in a private mount namespace: no journald socket to talk to.
    script = 'mount -t tmpfs tmpfs /run/systemd && exec "$@"'
    command = [
        "unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
        sys.executable, str(PROGRAM), "--user", "root", "--config", str(config),
        "--state-dir", str(tmp_path / "s"),
    ]  # fmt: skip
    done = subprocess.run(
        command,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["OK", "OK", "OK"]  # ready, then one OK per line
    alerts = messages.read_text().splitlines()
    assert len(alerts) == 2 and all("sqli-union-select" in alert for alert in alerts)
    assert "sink journald failed" in done.stderr
