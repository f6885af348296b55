"""A command started without standard input or output, or whose output cannot be written,
says so in one line on stderr and exits non-zero: no traceback, no silent success."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLE = Path(__file__).parent.parent / "fixtures" / "logs" / "sample-access.log"
DEV_FULL = Path("/dev/full")


def lwsyslog(
    redirect: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m lwsyslog ARGS`` with the shell's ``redirect`` (``<&-``, ``>&-``)."""
    command = ["sh", "-c", f'exec "$@" {redirect}', "sh", sys.executable, "-m", "lwsyslog", *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, env=env
    )


def assert_one_line(err: str, words: str) -> None:
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert f"lwsyslog: error: {words}" in err.splitlines()


def test_scan_of_stdin_when_stdin_is_closed_names_it() -> None:
    done = lwsyslog("<&-", "scan", "--no-system-config", "-")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "lwsyslog: -: standard input is closed" in done.stderr.splitlines()


def test_a_command_that_does_not_read_stdin_runs_without_it() -> None:
    done = lwsyslog("<&-", "rules", "--no-system-config")
    assert done.returncode == 0, done.stderr
    assert "# matching engine:" in done.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("scan", "--no-system-config", str(SAMPLE)),
        ("rules", "--no-system-config"),
        ("check-config", "--no-system-config"),
    ],
    ids=["scan", "rules", "check-config"],
)
def test_closed_stdout_is_an_error_not_a_silent_success(args: tuple[str, ...]) -> None:
    done = lwsyslog(">&-", *args)
    assert done.returncode == 1
    assert_one_line(done.stderr, "standard output is closed")


def test_closed_stdout_and_stderr_still_exit_non_zero() -> None:
    done = lwsyslog(">&- 2>&-", "rules", "--no-system-config")
    assert done.returncode == 1


@pytest.mark.skipif(
    not (DEV_FULL.exists() and stat.S_ISCHR(DEV_FULL.stat().st_mode)), reason="no /dev/full"
)
@pytest.mark.parametrize("unbuffered", ["1", ""], ids=["unbuffered", "buffered"])
def test_full_stdout_is_one_line_naming_standard_output(unbuffered: str) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": unbuffered}
    done = lwsyslog(">/dev/full", "rules", "--no-system-config", env=env)
    assert done.returncode == 1
    assert_one_line(done.stderr, "standard output: No space left on device")


def test_a_reader_that_goes_away_ends_the_output_quietly() -> None:
    command = [sys.executable, "-m", "lwsyslog", "rules", "--no-system-config", "--json"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.readline()
        proc.stdout.close()  # `| head -1`
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 0
    assert err == ""
