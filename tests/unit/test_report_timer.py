"""The daily report's systemd units: systemd accepts them without a warning, the command they
run is a valid ``lwsyslog report --mail``, and the docs show the same command."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lwsyslog.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "packaging" / "systemd"
SERVICE = UNITS / "lwsyslog-report.service"
TIMER = UNITS / "lwsyslog-report.timer"


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser


def exec_start() -> list[str]:
    return shlex.split(unit(SERVICE)["Service"]["ExecStart"])


def test_the_service_runs_a_valid_report_mail_command() -> None:
    command = exec_start()
    assert command[0] == "/usr/bin/lwsyslog"
    args = build_parser().parse_args(command[1:])
    assert args.command == "report" and args.mail
    assert args.since.text == "24h"
    assert args.html == "/var/lib/lwsyslog/report.html"
    service = unit(SERVICE)["Service"]
    # The page is written where the unit may write, as the store's owner.
    assert service["ReadWritePaths"] == "/var/lib/lwsyslog"
    assert service["User"] == "lwsyslog"


def test_the_timer_fires_daily_and_catches_up() -> None:
    timer = unit(TIMER)
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    proc = subprocess.run(
        [analyze, "calendar", "--iterations=2", timer["Timer"]["OnCalendar"]],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    elapses = [
        line for line in proc.stdout.splitlines() if line.strip().startswith(("Next", "Iter"))
    ]
    assert len(elapses) == 2 and all(" 06:15:00 " in line for line in elapses), proc.stdout


def test_systemd_accepts_both_units_without_a_warning(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # The unit names the installed /usr/bin/lwsyslog; here this checkout's runs instead.
    here = str(Path(sys.executable).with_name("lwsyslog"))
    (tmp_path / SERVICE.name).write_text(SERVICE.read_text().replace("/usr/bin/lwsyslog", here))
    shutil.copy(TIMER, tmp_path / TIMER.name)
    bad = tmp_path / "bad.service"
    bad.write_text("[Service]\nType=oneshot\nExecStart=/bin/true\nBogusKey=1\n")
    # --man=no: the man page is installed by the package, not in a checkout.
    checked = subprocess.run(
        [analyze, "verify", "--man=no", str(bad)], capture_output=True, text=True, check=False
    )
    assert "BogusKey" in checked.stderr  # the check can fail: a bad key is reported
    proc = subprocess.run(
        [analyze, "verify", "--man=no", str(tmp_path / SERVICE.name), str(tmp_path / TIMER.name)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "" and proc.stdout.strip() == ""


def test_the_docs_show_the_units_command() -> None:
    docs = (ROOT / "docs" / "alerts.md").read_text()
    assert " ".join(exec_start()) in docs
    assert "packaging/systemd/lwsyslog-report.timer" in docs
