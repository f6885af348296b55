"""The omprog program started as root gives root up before it reads a line."""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lwsyslog.omprog.privileges import _prepare

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = ROOT / "omprog" / "lwsyslog-omprog"
USER = "lwsyslog-test"
SQLI = (
    '203.0.113.9 - - [23/Nov/2026:14:00:05 +0000] "GET /item.php?id=-1%20UNION%20ALL%20SELECT'
    '%201,2-- HTTP/1.1" 200 512 "-" "Mozilla/5.0"'
)


@pytest.fixture(scope="module")
def service_user() -> Iterator[pwd.struct_passwd]:
    if os.geteuid() != 0:
        pytest.skip("needs root (the program drops root; only root can start it so)")
    made = False
    try:
        account = pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
            check=True,
        )
        made = True
        account = pwd.getpwnam(USER)
    yield account
    if made:
        subprocess.run(["userdel", USER], check=True)


def _status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


@pytest.fixture
def world() -> Iterator[Path]:
    """A directory the service user can reach (pytest's own are root's alone)."""
    base = Path(tempfile.mkdtemp(prefix="lwsyslog-privileges-", dir="/tmp"))
    os.chmod(base, 0o755)
    yield base
    shutil.rmtree(base)


def _start_as_service_user(base: Path, stderr: int, *extra: str) -> subprocess.Popen[bytes]:
    """The program started as root for the service user, files under ``base``, once it said
    ``OK``."""
    config = base / "lwsyslog.toml"
    config.write_text("[sinks.journald]\nenabled = false\n[store]\nenabled = false\n")
    proc = subprocess.Popen(
        [sys.executable, str(PROGRAM), "--config", str(config), "--state-dir", str(base / "state"),
         "--messages-file", str(base / "log" / "messages"), "--user", USER, "--no-journald",
         *extra],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
    )  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"OK\n"
    return proc


def test_started_as_root_it_runs_as_the_service_user(
    service_user: pwd.struct_passwd, world: Path
) -> None:
    base = world
    state, messages = base / "state", base / "log" / "messages"
    proc = _start_as_service_user(base, subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    envelope = {"host": "web1", "tag": "apache-access:", "msg": SQLI}
    proc.stdin.write(json.dumps(envelope).encode() + b"\n")
    proc.stdin.flush()
    assert proc.stdout.readline() == b"OK\n"
    status = _status(proc.pid)
    uid = service_user.pw_uid
    assert status["Uid"].split() == [str(uid)] * 4  # real, effective, saved, filesystem
    assert status["CapEff"] == "0000000000000000"
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0
    stderr = proc.stderr.read() if proc.stderr else b""
    proc.stdout.close()
    if proc.stderr:
        proc.stderr.close()
    assert "UNION" in messages.read_text() or "union" in messages.read_text()
    info = messages.stat()
    assert (info.st_uid, oct(info.st_mode & 0o777)) == (uid, "0o640")
    assert grp.getgrgid(info.st_gid).gr_name in ("adm", grp.getgrgid(service_user.pw_gid).gr_name)
    assert oct(state.stat().st_mode & 0o777) == "0o750" and state.stat().st_uid == uid
    assert b"running as lwsyslog-test" in stderr


def test_in_transaction_mode_the_program_and_its_child_both_run_as_the_service_user(
    service_user: pwd.struct_passwd, world: Path
) -> None:
    state, messages = world / "state", world / "log" / "messages"
    proc = _start_as_service_user(world, subprocess.DEVNULL, "--transactions")
    assert proc.stdin is not None and proc.stdout is not None
    envelope = {"host": "web1", "tag": "apache-access:", "msg": SQLI}
    for line in (b"BEGIN TRANSACTION", json.dumps(envelope).encode(), b"COMMIT TRANSACTION"):
        proc.stdin.write(line + b"\n")
        proc.stdin.flush()
        assert proc.stdout.readline() in (b"OK\n", b"DEFER_COMMIT\n")
    (child,) = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    uid = service_user.pw_uid
    for pid in (proc.pid, int(child)):
        status = _status(pid)
        assert status["Uid"].split() == [str(uid)] * 4
        assert status["CapEff"] == "0000000000000000"
    spool = state / "omprog-default.spool"
    assert spool.stat().st_uid == uid
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0
    proc.stdout.close()
    assert "union" in messages.read_text().lower()


def test_asked_for_a_user_that_does_not_exist_it_refuses_to_start(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root")
    run = subprocess.run(
        [sys.executable, str(PROGRAM), "--state-dir", str(tmp_path), "--no-journald",
         "--user", "no-such-user-xyz", "--messages-file", str(tmp_path / "m")],
        input=b"",
        capture_output=True,
        timeout=30,
        check=False,
    )  # fmt: skip
    assert run.returncode == 2 and run.stdout == b""
    assert b"no-such-user-xyz" in run.stderr and b"does not exist" in run.stderr
    time.sleep(0)


_RACER = """
import os, sys, time
state, target, until = sys.argv[1], sys.argv[2], time.monotonic() + float(sys.argv[3])
name = os.path.join(state, "omprog-race.spool")
while time.monotonic() < until:
    with open(name + ".new", "w"):
        pass
    os.replace(name + ".new", name)
    os.symlink(target, name + ".link")
    os.replace(name + ".link", name)
"""


def test_a_link_swapped_into_the_state_directory_never_hands_root_s_file_over(
    service_user: pwd.struct_passwd, world: Path
) -> None:
    """The service user can write the state directory; a root restart must not follow a link it
    puts there (rsyslog restarts a killed program, so it gets unlimited tries at the race)."""
    target = world / "root-only"
    target.write_text("secret\n")
    os.chmod(target, 0o600)
    state = world / "state"
    state.mkdir()
    uid, gid = service_user.pw_uid, service_user.pw_gid
    racer = subprocess.Popen([sys.executable, "-c", _RACER, str(state), str(target), "4"])
    try:
        deadline = time.monotonic() + 3.5
        while time.monotonic() < deadline:
            _prepare(state, None, uid, gid)
            assert target.stat().st_uid == 0, "a root restart gave the service user root's file"
    finally:
        racer.wait(timeout=30)
    # A hard link to a file of root's is a second way in: left alone too.
    os.link(target, state / "omprog-linked.spool")
    _prepare(state, None, uid, gid)
    assert target.stat().st_uid == 0
    # What is the program's own is still handed over.
    own = state / "alerts.db"
    own.write_text("")
    _prepare(state, None, uid, gid)
    assert own.stat().st_uid == uid
