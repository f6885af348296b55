"""One machine as web host and central server: one rsyslogd carrying both drop-ins.

It used to hang on SIGTERM (3 of 3 tries): rsyslog stops its inputs first, so imrelp was gone
while omrelp waited for its answer for librelp's session timeout (90 s), and then still had to
be cancelled. The web-host drop-in's omrelp ``timeout`` (10 s) bounds that wait.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import harness
import pytest
from conftest import require_lab

from lwsyslog import lab

pytestmark = pytest.mark.integration

STOP_BOUND = 20.0
"""Seconds a SIGTERM may take: omrelp's timeout (10 s) plus rsyslog's own queue timeouts."""


def test_one_rsyslogd_with_both_dropins_alerts_and_stops_in_time(
    tmp_path: Path, pki: harness.Pki
) -> None:
    require_lab()
    access, error, messages = tmp_path / "access.log", tmp_path / "error.log", tmp_path / "msgs"
    access.touch()
    error.touch()
    port = lab.free_port()
    program = lab.omprog_command(
        config=lab.write_lab_config(tmp_path / "lwsyslog.toml"),
        state_dir=tmp_path / "state",
        messages_file=messages,
        journald=False,
    )
    text = lab.webhost_conf(pki, port, access, error) + lab.server_conf(
        pki, port, tmp_path / "server", program
    )
    one = lab.RsyslogInstance(text, tmp_path / "one", name="one", port=port)
    took = []
    for attempt in range(3):
        one.start()
        try:
            client = f"10.{attempt + 1}.{random.randrange(256)}.{random.randrange(1, 255)}"
            stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
            with access.open("a") as log:
                log.write(
                    f'{client} - - [{stamp}] "GET /?q=%27%20UNION%20SELECT%201,2-- HTTP/1.1" '
                    '200 5 "-" "curl/8"\n'
                )
            lab.wait_for(
                lambda c=client: messages.exists() and f"client={c}" in messages.read_text(),
                30,
                "the alert through imfile -> omrelp -> imrelp -> omprog in one rsyslogd",
            )
            children = one.children()
            assert children, "the omprog program is not running"
        finally:
            start = time.monotonic()
            status = one.stop(timeout=STOP_BOUND)
            took.append(time.monotonic() - start)
        assert status == 0, f"attempt {attempt}: killed after {STOP_BOUND}s\n{one.diagnostics()}"
        assert not any(lab.pid_alive(pid) for pid in children), "omprog program left behind"
    print("SIGTERM to exit: " + ", ".join(f"{t:.1f}s" for t in took))
