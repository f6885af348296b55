"""One machine as web host and central server: one rsyslogd carrying both drop-ins.

The web-host drop-in of such a machine is rendered local (``lwsyslog setup webhost --local``):
its lines go to the server's ruleset directly. Over RELP to itself, with OpenSSL in imrelp and
omrelp of one process, librelp 1.11 crashed with a double free on the first session (2 of 10
starts), and a stop hung for omrelp's session timeout.

rsyslogd logs ``relpTcpRtryHandshake_ossl: Server handshake failed`` once per start here: that
is the lab's check that imrelp's port is open (a plain TCP connect), not a RELP session.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import harness
import pytest
from conftest import require_lab

from lwsyslog import lab

pytestmark = pytest.mark.integration

STOP_BOUND = 20.0
"""Seconds a SIGTERM may take: rsyslog's own queue and omprog timeouts, with room to spare."""

SLOW_START = Path(__file__).with_name("slow_start.py")
SLOW_START_SECS = 12
"""Longer than rsyslog's default omprog ``confirmTimeout`` (10 s) for the start-up ``OK``."""


def _one_rsyslogd(
    tmp_path: Path, pki: harness.Pki, prefix: str = ""
) -> tuple[lab.RsyslogInstance, Path, Path]:
    """One rsyslogd with both drop-ins (``prefix`` goes before the program's command);
    the instance, the access log it follows and the program's messages file."""
    access, error, messages = tmp_path / "access.log", tmp_path / "error.log", tmp_path / "msgs"
    access.touch()
    error.touch()
    port = lab.free_port()
    program = prefix + lab.omprog_command(
        config=lab.write_lab_config(tmp_path / "lwsyslog.toml"),
        state_dir=tmp_path / "state",
        messages_file=messages,
        journald=False,
    )
    text = lab.webhost_conf(pki, port, access, error, local=True) + lab.server_conf(
        pki, port, tmp_path / "server", program
    )
    return lab.RsyslogInstance(text, tmp_path / "one", name="one", port=port), access, messages


def _diagnostics(one: lab.RsyslogInstance, tmp_path: Path) -> str:
    """rsyslogd's output and the program's stderr (whether it started, and how far)."""
    stderr = tmp_path / "server" / "omprog.stderr"
    program = stderr.read_text(errors="replace")[-4000:] if stderr.exists() else "(nothing)"
    return f"{one.diagnostics()}\n--- program stderr\n{program}"


def _append_attack(access: Path, client: str) -> None:
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
    with access.open("a") as log:
        log.write(
            f'{client} - - [{stamp}] "GET /?q=%27%20UNION%20SELECT%201,2-- HTTP/1.1" '
            '200 5 "-" "curl/8"\n'
        )


def test_one_rsyslogd_with_both_dropins_alerts_and_stops_in_time(
    tmp_path: Path, pki: harness.Pki
) -> None:
    require_lab()
    one, access, messages = _one_rsyslogd(tmp_path, pki)
    took = []
    for attempt in range(3):
        one.start()
        try:
            client = f"10.{attempt + 1}.{random.randrange(256)}.{random.randrange(1, 255)}"
            _append_attack(access, client)
            try:
                lab.wait_for(
                    lambda c=client: messages.exists() and f"client={c}" in messages.read_text(),
                    30,
                    "the alert through imfile -> omprog in one rsyslogd",
                )
            except TimeoutError as exc:
                raise AssertionError(
                    f"attempt {attempt}: {exc}\n{_diagnostics(one, tmp_path)}"
                ) from exc
            children = one.children()
            assert children, "the omprog program is not running"
        finally:
            start = time.monotonic()
            status = one.stop(timeout=STOP_BOUND)
            took.append(time.monotonic() - start)
        assert status == 0, f"attempt {attempt}: killed after {STOP_BOUND}s\n{one.diagnostics()}"
        assert not any(lab.pid_alive(pid) for pid in children), "omprog program left behind"
    print("SIGTERM to exit: " + ", ".join(f"{t:.1f}s" for t in took))


def test_a_program_slower_to_start_than_rsyslogs_default_timeout_gets_the_line(
    tmp_path: Path, pki: harness.Pki
) -> None:
    """The shipped drop-in gives the program's start-up ``OK`` time enough: with rsyslog's
    default (10 s) a later ``OK`` gets the program stopped and no other started, and the
    line waits in the queue (measured for 240 s)."""
    require_lab()
    prefix = f"{sys.executable} {SLOW_START} {SLOW_START_SECS} {tmp_path / 'started-once'} "
    one, access, messages = _one_rsyslogd(tmp_path, pki, prefix)
    one.start()
    try:
        client = f"10.9.{random.randrange(256)}.{random.randrange(1, 255)}"
        _append_attack(access, client)
        try:
            lab.wait_for(
                lambda: messages.exists() and f"client={client}" in messages.read_text(),
                SLOW_START_SECS + 30,
                f"the alert from a program that took {SLOW_START_SECS} s to start",
            )
        except TimeoutError as exc:
            raise AssertionError(f"{exc}\n{_diagnostics(one, tmp_path)}") from exc
    finally:
        status = one.stop(timeout=STOP_BOUND)
    assert status == 0, f"killed after {STOP_BOUND}s\n{_diagnostics(one, tmp_path)}"
