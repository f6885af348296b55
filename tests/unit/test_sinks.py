"""Sinks: the messages file line, journald fields, and a failing sink never losing alerts."""

from __future__ import annotations

import io
import socket
import struct
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lwsyslog.alerts import Alert, message_id
from lwsyslog.events import Origin
from lwsyslog.severity import Severity
from lwsyslog.sinks import Dispatcher, JournaldSink, MemorySink, MessagesFileSink
from lwsyslog.sinks.journal_socket import encode_entry
from lwsyslog.sinks.journald import journald_fields


def make_alert(sample: str = "GET /?id=1%27 UNION SELECT", rule: str = "sqli-union") -> Alert:
    origin = Origin("web1/apache-access", 1234, host="web1", tag="apache-access")
    return Alert(
        rule=rule,
        key="203.0.113.9",
        client_ip="203.0.113.9",
        categories=("sqli",),
        severity=Severity.CRITICAL,
        count=1,
        window_secs=0.0,
        first=origin,
        last=origin,
        first_time=1_763_906_405.0,
        last_time=1_763_906_405.0,
        message="sqli from 203.0.113.9",
        sample=sample,
        log="access",
    )


def test_messages_file_line_has_time_severity_rule_message_and_location(tmp_path: Path) -> None:
    sink = MessagesFileSink(tmp_path / "messages")
    sink.write(make_alert())
    sink.close()
    line = (tmp_path / "messages").read_text()
    assert line.startswith("2025-11-23T14:00:05+00:00 critical sqli-union client=203.0.113.9 ")
    assert "[source web1/apache-access:1234]" in line and line.endswith("UNION SELECT\n")


def test_hostile_sample_stays_one_visible_line(tmp_path: Path) -> None:
    sink = MessagesFileSink(tmp_path / "messages")
    sink.write(make_alert(sample="GET /\x1b[2J\nFAKE ALERT\r\x00"))
    sink.close()
    text = (tmp_path / "messages").read_text()
    assert text.count("\n") == 1 and "\x1b" not in text and "\x00" not in text
    assert "\\x1b[2J\\x0aFAKE ALERT" in text


def test_reopen_follows_a_rotated_file(tmp_path: Path) -> None:
    path = tmp_path / "messages"
    sink = MessagesFileSink(path)
    sink.write(make_alert())
    path.rename(tmp_path / "messages.1")
    sink.reopen()
    sink.write(make_alert(rule="xss-script"))
    sink.close()
    assert (
        "xss-script" in path.read_text() and "sqli-union" in (tmp_path / "messages.1").read_text()
    )


def test_journald_fields_follow_the_contract() -> None:
    fields = dict(journald_fields(make_alert(sample="x\x1by")))
    assert fields["SYSLOG_IDENTIFIER"] == "lwsyslog"
    assert fields["PRIORITY"] == "2"
    assert fields["MESSAGE_ID"] == message_id("sqli-union") and len(fields["MESSAGE_ID"]) == 32
    assert fields["LWSYSLOG_CLIENT_IP"] == "203.0.113.9"
    assert fields["LWSYSLOG_SOURCE"] == "web1/apache-access:1234"
    assert fields["LWSYSLOG_SAMPLE"] == "x\\x1by"
    assert all(name == name.upper() for name in fields)


def test_journald_message_names_the_web_host_the_alert_is_about() -> None:
    # journalctl's own host column is the central server's: the MESSAGE says which web host.
    live = dict(journald_fields(make_alert()))
    assert live["MESSAGE"] == "critical sqli-union on web1: sqli from 203.0.113.9"
    offline = replace(make_alert(), first=Origin("access.log", 3), last=Origin("access.log", 3))
    assert dict(journald_fields(offline))["MESSAGE"] == "critical sqli-union: sqli from 203.0.113.9"


def test_message_id_is_stable_and_distinct_per_rule() -> None:
    assert message_id("sqli-union") == message_id("sqli-union")
    assert message_id("sqli-union") != message_id("xss-script")


class _Down:
    name = "down"

    def __init__(self) -> None:
        self.up = False
        self.taken: list[Alert] = []

    def write(self, alert: Alert) -> None:
        if not self.up:
            raise OSError("journald socket missing")
        self.taken.append(alert)

    def reopen(self) -> None: ...

    def close(self) -> None: ...


def test_a_failing_sink_keeps_its_alerts_and_never_blocks_the_others() -> None:
    flaky, memory = _Down(), MemorySink()
    errors: list[str] = []

    class Collect:
        def write(self, text: str) -> Any:
            errors.append(text)

    dispatcher = Dispatcher([flaky, memory], diagnostics=Collect())  # type: ignore[arg-type]
    assert dispatcher.dispatch([make_alert(), make_alert(rule="xss-script")]) is False
    assert [a.rule for a in memory.alerts] == ["sqli-union", "xss-script"]
    assert dispatcher.pending == 2 and dispatcher.failures["down"] == 1
    assert any("journald socket missing" in text for text in errors)
    flaky.up = True
    assert dispatcher.retry() is True
    assert [a.rule for a in flaky.taken] == ["sqli-union", "xss-script"]


class _Busy:
    """Takes ``room`` alerts, then refuses until it has room again (a full socket queue)."""

    name = "busy"
    required = False

    def __init__(self, room: int) -> None:
        self.room = room
        self.taken: list[Alert] = []

    def write(self, alert: Alert) -> None:
        if self.room == 0:
            raise BlockingIOError("queue full")
        self.room -= 1
        self.taken.append(alert)

    def reopen(self) -> None: ...

    def close(self) -> None: ...


def test_a_sink_that_took_some_before_refusing_is_tried_again_soon_not_backed_off() -> None:
    now = [0.0]
    busy, memory = _Busy(room=3), MemorySink()
    dispatcher = Dispatcher(
        [memory, busy],
        diagnostics=io.StringIO(),
        clock=lambda: now[0],
    )
    dispatcher.dispatch([make_alert(rule=f"r{n}") for n in range(10)])
    assert len(busy.taken) == 3 and dispatcher.pending == 7
    assert dispatcher.seconds_to_retry() == Dispatcher.BUSY_PAUSE_SECS
    busy.room = 0
    now[0] = 0.05
    dispatcher.retry()  # nothing taken this time: a dead sink's pause, which then doubles
    assert dispatcher.seconds_to_retry() == Dispatcher.FIRST_PAUSE_SECS
    busy.room = 100
    now[0] = 0.6
    assert dispatcher.seconds_to_retry() == 0.0
    dispatcher.retry()
    assert [a.rule for a in busy.taken] == [f"r{n}" for n in range(10)]
    assert dispatcher.seconds_to_retry() == float("inf")


class _FakeJournald:
    """A real datagram socket where journald's would be, read on demand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(str(path))
        self.socket.setblocking(False)

    def entries(self) -> list[dict[str, str]]:
        found = []
        while True:
            try:
                data = self.socket.recv(1 << 20)
            except BlockingIOError:
                return found
            found.append(_decode_entry(data))

    def close(self) -> None:
        self.socket.close()


def _decode_entry(data: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    while data:
        line_end = data.index(b"\n")
        head = data[:line_end]
        if b"=" in head:
            name, value = head.split(b"=", 1)
            data = data[line_end + 1 :]
        else:
            size = struct.unpack("<Q", data[line_end + 1 : line_end + 9])[0]
            name, value = head, data[line_end + 9 : line_end + 9 + size]
            data = data[line_end + 10 + size :]
        fields[name.decode()] = value.decode()
    return fields


def test_journald_entry_carries_the_lwsyslog_fields(tmp_path: Path) -> None:
    journal = _FakeJournald(tmp_path / "socket")
    sink = JournaldSink(socket_path=str(journal.path))
    sink.write(make_alert())
    sink.close()
    [entry] = journal.entries()
    assert entry["SYSLOG_IDENTIFIER"] == "lwsyslog" and entry["LWSYSLOG_RULE"] == "sqli-union"
    assert entry["PRIORITY"] == "2" and entry["LWSYSLOG_CLIENT_IP"] == "203.0.113.9"
    journal.close()


def test_a_value_with_a_newline_is_sent_length_prefixed_and_names_must_be_upper_case() -> None:
    assert _decode_entry(encode_entry({"A": "one\ntwo", "B": "x"})) == {"A": "one\ntwo", "B": "x"}
    with pytest.raises(ValueError, match="field name"):
        encode_entry({"lower": "x"})


def test_journald_down_does_not_hold_lines_back_while_the_file_takes_alerts(
    tmp_path: Path,
) -> None:
    errors: list[str] = []

    class Collect:
        def write(self, text: str) -> Any:
            errors.append(text)

    now = [0.0]
    messages = MessagesFileSink(tmp_path / "messages")
    sink = JournaldSink(socket_path=str(tmp_path / "socket"))  # no journald there yet
    dispatcher = Dispatcher(
        [messages, sink],
        diagnostics=Collect(),  # type: ignore[arg-type]
        clock=lambda: now[0],
    )
    assert dispatcher.dispatch([make_alert()]) is True  # the file has it: the line may go on
    assert dispatcher.pending == 1 and "sqli-union" in (tmp_path / "messages").read_text()
    assert any("journald is not running" in text for text in errors)
    journal = _FakeJournald(tmp_path / "socket")
    # Within the pause after a failure journald is not tried again (no system call per line).
    assert dispatcher.dispatch([make_alert(rule="path-dotdot")]) is True
    assert journal.entries() == [] and dispatcher.pending == 2
    now[0] = 1.0
    assert dispatcher.dispatch([make_alert(rule="xss-script")]) is True
    assert [e["LWSYSLOG_RULE"] for e in journal.entries()] == [
        "sqli-union",
        "path-dotdot",
        "xss-script",
    ]
    assert dispatcher.pending == 0
    dispatcher.close()
    journal.close()


def test_a_journald_that_stopped_reading_never_blocks_a_write(tmp_path: Path) -> None:
    journal = _FakeJournald(tmp_path / "socket")  # bound, never read: like a stopped journald
    sink = JournaldSink(socket_path=str(journal.path))
    failures = 0
    started = time.monotonic()
    for _ in range(2000):
        try:
            sink.write(make_alert())
        except OSError as error:
            assert "not reading" in str(error)
            failures += 1
    assert failures > 0  # the socket's buffer filled up and the sink said so at once
    assert time.monotonic() - started < 5
    sink.close()
    journal.close()


def test_with_journald_as_the_only_sink_its_failure_holds_the_line(tmp_path: Path) -> None:
    class Quiet:
        def write(self, text: str) -> Any:
            return None

    sink = JournaldSink(socket_path=str(tmp_path / "no-journald-here"))
    dispatcher = Dispatcher([sink], diagnostics=Quiet())  # type: ignore[arg-type]
    assert dispatcher.dispatch([make_alert()]) is False
    dispatcher.close()
