"""The omprog program, run for real as rsyslog runs it: a child process talking over pipes."""

from __future__ import annotations

import errno
import json
import os
import select
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lwsyslog.omprog.diagnostics import Diagnostics, Level
from lwsyslog.status.delivery import delivery
from lwsyslog.status.file import read_status, status_path
from lwsyslog.store import AlertFilter, open_reader, select_alerts
from lwsyslog.store.sink import StoreSink
from tests.unit.store_support import mounted_tmpfs

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = ROOT / "omprog" / "lwsyslog-omprog"
HANG_GUARD_SECS = 30.0  # only stops a broken program from hanging the suite; never a measure

BENIGN = (
    '198.51.100.7 - - [23/Nov/2026:14:00:0{n} +0000] "GET /index.html HTTP/1.1" 200 512 "-" '
    '"Mozilla/5.0"'
)
SQLI = (
    "{ip} - - [23/Nov/2026:14:00:05 +0000] "
    '"GET /item.php?id=-1%20UNION%20ALL%20SELECT%201,2,concat(user,0x3a,password)-- HTTP/1.1" '
    '200 512 "-" "Mozilla/5.0"'
)
SQLI_RULE = "sqli-union-select"

Start = Callable[..., "Omprog"]

NOISE_HOOK = """
import os
if os.environ.get("LWSYSLOG_TEST_NOISE"):
    import lwsyslog.pipeline as _pipeline
    _original = _pipeline.Pipeline.process
    def _noisy(self, text, origin):
        print("noise from print()")
        os.write(1, b"noise written to fd 1\\n")
        if "RAISE-IN-PIPELINE" in text:
            raise ValueError("boom \\x1b[31m red")
        return _original(self, text, origin)
    _pipeline.Pipeline.process = _noisy
"""


def envelope(msg: str, host: str = "web1", tag: str = "apache-access:") -> bytes:
    """One line as rsyslog's lwsyslog_json template writes it."""
    record = {
        "host": host,
        "tag": tag,
        "program": tag.rstrip(":"),
        "time": "2026-11-23T14:00:05+00:00",
        "facility": "local6",
        "severity": "info",
        "msg": msg,
    }
    return json.dumps(record).encode()


def config_text(messages: Path) -> str:
    """A configuration with journald off and the messages file at ``messages``."""
    return (
        "[sinks.journald]\nenabled = false\n\n"
        f"[sinks.messages_file]\npath = {json.dumps(str(messages))}\n"
    )


class Omprog:
    """The program under test, with line-at-a-time access to its stdout."""

    def __init__(
        self,
        tmp_path: Path,
        messages: Path,
        state: Path,
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        config = tmp_path / "lwsyslog.toml"
        config.write_text(config_text(messages))
        self.stderr_path = tmp_path / f"stderr-{time.monotonic_ns()}.log"
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115  (closed in finish())
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(PROGRAM),
                "--user",
                "root",
                "--config",
                str(config),
                "--state-dir",
                str(state),
                *args,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, **(env or {})},
        )
        self._buffer = b""

    def read_answer(self) -> str:
        """The next status line (fails the test instead of hanging)."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + HANG_GUARD_SECS
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
            assert ready, "no answer from the program"
            chunk = os.read(fd, 65536)
            assert chunk, f"program closed stdout; stderr: {self.stderr()}"
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode()

    def answer_waiting(self) -> bool:
        """Wait until an answer can be read, without reading it."""
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout.fileno()], [], [], HANG_GUARD_SECS)
        return bool(ready)

    def write(self, line: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + b"\n")
        self.proc.stdin.flush()

    def send(self, line: bytes) -> str:
        self.write(line)
        return self.read_answer()

    def finish(self) -> tuple[int, bytes]:
        """Close stdin (EOF); the exit status and whatever else came on stdout."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        rest = self._buffer + self.proc.stdout.read()
        return self.wait(), rest

    def wait(self) -> int:
        try:
            return self.proc.wait(HANG_GUARD_SECS)
        finally:
            self._stderr.close()

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def wait_for_stderr(self, text: str) -> None:
        deadline = time.monotonic() + HANG_GUARD_SECS
        while text not in self.stderr():
            assert time.monotonic() < deadline, f"{text!r} never logged: {self.stderr()}"
            time.sleep(0.05)


@pytest.fixture
def messages(tmp_path: Path) -> Path:
    return tmp_path / "log" / "messages"


@pytest.fixture
def start(tmp_path: Path, messages: Path) -> Iterator[Start]:
    started: list[Omprog] = []

    def make(env: dict[str, str] | None = None, *args: str) -> Omprog:
        program = Omprog(tmp_path, messages, tmp_path / "state", env, args)
        started.append(program)
        assert program.read_answer() == "OK"
        return program

    yield make
    for program in started:
        if program.proc.poll() is None:
            program.proc.kill()
            program.wait()
        for stream in (program.proc.stdin, program.proc.stdout):
            if stream is not None:
                stream.close()
        program._stderr.close()


def alert_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_ok_first_then_one_ok_per_line_and_nothing_else(start: Start) -> None:
    program = start()
    lines = [envelope(BENIGN.format(n=n % 10)) for n in range(40)]
    lines += [BENIGN.format(n=1).encode(), envelope("not an apache line at all")]
    answers = [program.send(line) for line in lines]
    assert answers == ["OK"] * len(lines)
    status, rest = program.finish()
    assert (status, rest) == (0, b"")


def test_pipelined_lines_get_answers_in_order(start: Start) -> None:
    program = start()
    for n in range(20):
        program.write(envelope(BENIGN.format(n=n % 10)))
    assert [program.read_answer() for _ in range(20)] == ["OK"] * 20
    assert program.finish() == (0, b"")


def test_stray_output_and_pipeline_exceptions_never_reach_stdout(
    start: Start, tmp_path: Path
) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(NOISE_HOOK)
    pythonpath = os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")]))
    program = start({"PYTHONPATH": pythonpath, "LWSYSLOG_TEST_NOISE": "1"})
    lines = [envelope(BENIGN.format(n=1)), envelope("RAISE-IN-PIPELINE one")]
    lines += [envelope("RAISE-IN-PIPELINE two"), envelope(BENIGN.format(n=2))]
    assert [program.send(line) for line in lines] == ["OK"] * 4
    assert program.finish() == (0, b"")
    stderr = program.stderr()
    assert "noise from print()" in stderr
    assert "noise written to fd 1" in stderr
    # The exception is reported once per minute per type, sanitized.
    assert stderr.count("line skipped after ValueError") == 1
    assert "\x1b" not in stderr


def test_sqli_line_raises_an_alert_in_the_messages_file(start: Start, messages: Path) -> None:
    program = start()
    assert program.send(envelope(SQLI.format(ip="203.0.113.9"))) == "OK"
    lines = alert_lines(messages)
    assert any(SQLI_RULE in line and "203.0.113.9" in line for line in lines), lines
    assert any("web1/apache-access" in line for line in lines)
    assert program.finish()[0] == 0


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(b'{"host": "web1", "msg": "unterminated', id="bad-json"),
        pytest.param(bytes(range(256)).replace(b"\n", b"") * 3, id="binary-junk"),
        pytest.param(b"\xff\xfe\x00\x01 not utf-8", id="invalid-utf8"),
        pytest.param(envelope("A" * 1_000_000), id="1mb-json-line"),
        pytest.param(b"B" * 1_000_000, id="1mb-raw-line"),
        pytest.param(b"", id="empty"),
        pytest.param(b'["not", "an", "object"]', id="json-array"),
    ],
)
def test_lines_that_can_never_succeed_are_confirmed(
    start: Start, messages: Path, line: bytes
) -> None:
    program = start()
    assert program.send(line) == "OK"
    # Still alive and still detecting.
    assert program.send(envelope(SQLI.format(ip="203.0.113.10"))) == "OK"
    assert any(SQLI_RULE in text for text in alert_lines(messages))
    assert program.finish()[0] == 0


@pytest.mark.parametrize(
    "stamp",
    ["31/Dec/9999:23:30:00 -0100", "01/Jan/0001:00:00:00 +0100", "01/Jan/1969:00:00:00 +0000"],
)
def test_a_time_no_server_writes_neither_blocks_the_messages_file_nor_loses_the_alert(
    start: Start, messages: Path, stamp: str
) -> None:
    """A line dated past the year 9999 once made every later alert fail at the messages file
    (``year 10000 is out of range``), and rsyslog resent them forever."""
    program = start()
    odd = SQLI.format(ip="203.0.113.12").replace("23/Nov/2026:14:00:05 +0000", stamp)
    assert program.send(envelope(odd)) == "OK"
    assert program.send(envelope(SQLI.format(ip="203.0.113.13"))) == "OK"
    assert program.finish()[0] == 0
    lines = alert_lines(messages)
    for ip in ("203.0.113.12", "203.0.113.13"):
        assert any(SQLI_RULE in line and ip in line for line in lines), lines
    assert "Error" not in program.stderr()


def test_files_it_makes_are_not_world_readable_whatever_the_umask(
    start: Start, messages: Path, tmp_path: Path
) -> None:
    """Not root (here: told to stay root, so nothing is prepared for it), the program still
    makes its messages file 0640 and its state directory 0750: both hold attacker text and
    client addresses."""
    program = start({}, "--user", "")
    assert program.send(envelope(SQLI.format(ip="203.0.113.14"))) == "OK"
    assert program.finish()[0] == 0
    assert oct(messages.stat().st_mode & 0o777) == "0o640"
    assert oct((tmp_path / "state").stat().st_mode & 0o777) == "0o750"


def test_a_locked_alert_store_at_start_leaves_the_other_sinks_working(
    start: Start, messages: Path, tmp_path: Path
) -> None:
    """An admin's open transaction (or a VACUUM) on the store once made the program refuse to
    start, and rsyslog then holds every line for minutes."""
    state = tmp_path / "state"
    state.mkdir()
    StoreSink.open(state / "alerts.db").close()  # a real store, made by an earlier run
    holder = sqlite3.connect(state / "alerts.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        program = start()
        assert program.send(envelope(SQLI.format(ip="203.0.113.15"))) == "OK"
        assert program.finish()[0] == 0
    finally:
        holder.close()
    assert any("203.0.113.15" in line for line in alert_lines(messages))
    assert "alert store off" in program.stderr() and "locked" in program.stderr()


def stored_clients(path: Path) -> list[str]:
    """The client of every alert in the store at ``path`` (read as ``lwsyslog alerts`` does)."""
    conn = open_reader(path)
    try:
        return [a.record()["client_ip"] for a in select_alerts(conn, AlertFilter(limit=None))]
    finally:
        conn.close()


def test_a_store_locked_at_start_is_opened_when_the_lock_goes_and_misses_no_alert(
    start: Start, messages: Path, tmp_path: Path
) -> None:
    """Red team: a store locked for 2 s at start (an admin's sqlite3, a VACUUM) was off for
    the program's whole life, SIGHUP included: the store kept 1 of 5 alerts."""
    state = tmp_path / "state"
    state.mkdir()
    StoreSink.open(state / "alerts.db").close()  # a real store, made by an earlier run
    holder = sqlite3.connect(state / "alerts.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    program = start()
    assert program.send(envelope(SQLI.format(ip="203.0.113.15"))) == "OK"
    holder.close()  # the lock goes
    program.proc.send_signal(signal.SIGHUP)
    program.wait_for_stderr("files reopened")
    assert program.send(envelope(SQLI.format(ip="203.0.113.16"))) == "OK"
    assert program.finish()[0] == 0
    assert "alert store off" in program.stderr() and "open again" in program.stderr()
    # The alert raised while the store was locked waited in the backlog, then was stored.
    assert sorted(stored_clients(state / "alerts.db")) == ["203.0.113.15", "203.0.113.16"]


def test_a_store_deleted_while_running_is_made_again_at_the_next_alert(
    start: Start, tmp_path: Path
) -> None:
    """Red team: after alerts.db was deleted the program went on storing into the unlinked
    file, a SIGHUP did not reopen it, and `lwsyslog alerts` said "no alert store there"."""
    store = tmp_path / "state" / "alerts.db"
    program = start()
    assert program.send(envelope(SQLI.format(ip="203.0.113.17"))) == "OK"
    assert stored_clients(store) == ["203.0.113.17"]
    for path in store.parent.glob("alerts.db*"):
        path.unlink()
    assert program.send(envelope(SQLI.format(ip="203.0.113.18"))) == "OK"
    assert program.finish()[0] == 0
    assert stored_clients(store) == ["203.0.113.18"]
    assert "the open alert store was deleted" in program.stderr()


def test_a_store_of_a_newer_version_is_off_in_the_status_file_with_its_reason(
    start: Start, tmp_path: Path
) -> None:
    """Red team: the program ran with the store off and `lwsyslog status` said nothing."""
    state = tmp_path / "state"
    state.mkdir()
    StoreSink.open(state / "alerts.db").close()
    conn = sqlite3.connect(state / "alerts.db")
    conn.execute("UPDATE meta SET value = '2' WHERE key = 'version'")
    conn.commit()
    conn.close()
    program = start()
    assert program.send(envelope(SQLI.format(ip="203.0.113.19"))) == "OK"
    assert program.finish()[0] == 0
    record = read_status(status_path(state, "default"))
    assert record is not None and record["stats"]["store_off"] == 1
    found = delivery("p", record["stats"], record["sink_dropped"], record["sink_errors"])
    assert any("alert store is off" in p and "newer lwsyslog" in p for p in found.problems)


def test_ansi_escapes_from_log_content_never_reach_the_messages_file(
    start: Start, messages: Path
) -> None:
    program = start()
    hostile = SQLI.format(ip="203.0.113.11").replace("Mozilla/5.0", "\x1b[2J\x1b]0;pwned\x07")
    assert program.send(envelope(hostile, host="web\x1b[31m1")) == "OK"
    assert program.send(hostile.encode()) == "OK"
    assert program.finish()[0] == 0
    data = messages.read_bytes()
    assert SQLI_RULE.encode() in data
    assert b"\x1b" not in data
    assert b"\x07" not in data
    assert b"\\x1b" in data


def test_unwritable_messages_file_is_retried_and_delivered_once(
    tmp_path: Path, start: Start
) -> None:
    blocker = tmp_path / "log"  # the messages file's parent is a regular file: not writable
    blocker.write_text("in the way\n")
    program = start()
    line = envelope(SQLI.format(ip="203.0.113.12"))
    first = program.send(line)
    assert first != "OK"
    assert first.startswith("Error")
    assert program.send(line) != "OK"  # rsyslog's retry while the problem lasts
    blocker.unlink()
    blocker.mkdir()
    assert program.send(line) == "OK"
    assert program.send(envelope(BENIGN.format(n=3))) == "OK"
    assert program.finish()[0] == 0
    lines = alert_lines(blocker / "messages")
    assert [SQLI_RULE in text for text in lines].count(True) == 1
    assert len(lines) == len(set(lines))
    # The retried line went through the pipeline once: thresholds never count it twice.
    final_stats = program.stderr().splitlines()[-2]
    assert "received=4 lines=2 " in final_stats
    assert "replays=2 " in final_stats


def test_sighup_reopens_the_messages_file_after_rotation(start: Start, messages: Path) -> None:
    program = start()
    assert program.send(envelope(SQLI.format(ip="203.0.113.13"))) == "OK"
    rotated = messages.with_name("messages.1")
    messages.rename(rotated)
    program.proc.send_signal(signal.SIGHUP)
    program.wait_for_stderr("files reopened")
    assert program.send(envelope(SQLI.format(ip="203.0.113.14"))) == "OK"
    assert program.finish()[0] == 0
    assert any("203.0.113.13" in line for line in alert_lines(rotated))
    assert not any("203.0.113.14" in line for line in alert_lines(rotated))
    assert any("203.0.113.14" in line for line in alert_lines(messages))


def test_sighup_with_a_broken_new_config_keeps_running(
    start: Start, tmp_path: Path, messages: Path
) -> None:
    program = start()
    (tmp_path / "lwsyslog.toml").write_text("[sinks.journald]\nenabled = 'maybe'\n")
    program.proc.send_signal(signal.SIGHUP)
    program.wait_for_stderr("keeping the running configuration")
    assert program.send(envelope(SQLI.format(ip="203.0.113.15"))) == "OK"
    assert any("203.0.113.15" in line for line in alert_lines(messages))
    assert program.finish()[0] == 0


def test_sigterm_exits_zero(start: Start) -> None:
    program = start()
    assert program.send(envelope(BENIGN.format(n=4))) == "OK"
    program.proc.send_signal(signal.SIGTERM)
    assert program.wait() == 0


def test_eof_exits_zero_even_mid_line(start: Start, messages: Path) -> None:
    program = start()
    assert program.proc.stdin is not None
    program.proc.stdin.write(envelope(SQLI.format(ip="203.0.113.16")))  # no newline
    status, rest = program.finish()
    assert status == 0
    assert rest == b"OK\n"
    assert any("203.0.113.16" in line for line in alert_lines(messages))


def test_replay_after_kill_raises_no_second_alert(start: Start, messages: Path) -> None:
    line = envelope(SQLI.format(ip="203.0.113.17"))
    first = start()
    first.write(line)
    assert first.answer_waiting()  # the alert is written; the answer was never read
    first.proc.kill()
    first.wait()
    assert [SQLI_RULE in text for text in alert_lines(messages)].count(True) == 1

    second = start()
    assert second.send(line) == "OK"  # rsyslog re-sends what was never confirmed
    assert second.finish()[0] == 0
    assert [SQLI_RULE in text for text in alert_lines(messages)].count(True) == 1


def test_transaction_marks_are_answered(tmp_path: Path, messages: Path) -> None:
    config = tmp_path / "t.toml"
    config.write_text(config_text(messages))
    lines = [
        b"BEGIN TRANSACTION",
        envelope(BENIGN.format(n=5)),
        envelope(SQLI.format(ip="203.0.113.18")),
    ]
    lines += [b"COMMIT TRANSACTION", envelope(BENIGN.format(n=6))]
    result = subprocess.run(
        [
            sys.executable,
            str(PROGRAM),
            "--user",
            "root",
            "--transactions",
            "--config",
            str(config),
            "--state-dir",
            str(tmp_path / "state"),
        ],
        input=b"".join(line + b"\n" for line in lines),
        capture_output=True,
        timeout=HANG_GUARD_SECS,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.decode().splitlines() == [
        "OK",
        "OK",
        "DEFER_COMMIT",
        "DEFER_COMMIT",
        "OK",
        "OK",
    ]
    assert any("203.0.113.18" in line for line in alert_lines(messages))


@pytest.mark.parametrize("mode", [(), ("--transactions",)], ids=["per-line", "transactions"])
def test_bad_configuration_at_start_exits_2_without_ok(
    tmp_path: Path, mode: tuple[str, ...]
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[sinks.nowhere]\nenabled = true\n")
    result = subprocess.run(
        [
            sys.executable,
            str(PROGRAM),
            "--user",
            "root",
            "--config",
            str(config),
            "--state-dir",
            str(tmp_path),
            *mode,
        ],
        input=b"",
        capture_output=True,
        timeout=HANG_GUARD_SECS,
        check=False,
    )
    assert (result.returncode, result.stdout) == (2, b"")
    assert b"nowhere" in result.stderr


def test_diagnostics_are_rate_limited_per_key_and_sanitized() -> None:
    written: list[str] = []

    class _Stream:
        def write(self, text: str) -> int:
            written.append(text)
            return len(text)

        def flush(self) -> None:
            pass

    now = [0.0]
    diagnostics = Diagnostics(stream=_Stream(), clock=lambda: now[0])  # type: ignore[arg-type]
    assert diagnostics.limited("a", Level.ERROR, "first \x1b[31m")
    assert not diagnostics.limited("a", Level.ERROR, "second")
    assert diagnostics.limited("b", Level.ERROR, "other key")
    now[0] = 61.0
    assert diagnostics.limited("a", Level.ERROR, "third")
    assert written == [
        "lwsyslog-omprog: error: first \\x1b[31m\n",
        "lwsyslog-omprog: error: other key\n",
        "lwsyslog-omprog: error: third (1 more like it not shown)\n",
    ]


def test_sighup_applies_a_changed_messages_path(
    start: Start, tmp_path: Path, messages: Path
) -> None:
    program = start()
    assert program.send(envelope(SQLI.format(ip="203.0.113.19"))) == "OK"
    moved = tmp_path / "elsewhere" / "alerts"
    (tmp_path / "lwsyslog.toml").write_text(config_text(moved))
    program.proc.send_signal(signal.SIGHUP)
    program.wait_for_stderr("configuration reloaded")
    assert program.send(envelope(SQLI.format(ip="203.0.113.20"))) == "OK"
    assert program.finish()[0] == 0
    assert any("203.0.113.20" in line for line in alert_lines(moved))
    assert not any("203.0.113.20" in line for line in alert_lines(messages))


def test_messages_file_option_overrides_the_config(tmp_path: Path, messages: Path) -> None:
    override = tmp_path / "override" / "messages"
    config = tmp_path / "c.toml"
    config.write_text(config_text(messages))
    result = subprocess.run(
        [
            sys.executable,
            str(PROGRAM),
            "--user",
            "root",
            "--config",
            str(config),
            "--state-dir",
            str(tmp_path / "state"),
            "--no-journald",
            "--messages-file",
            str(override),
        ],
        input=envelope(SQLI.format(ip="203.0.113.21")) + b"\n",
        capture_output=True,
        timeout=HANG_GUARD_SECS,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, b"OK\nOK\n")
    assert any("203.0.113.21" in line for line in alert_lines(override))
    assert not messages.exists()


# --- transaction mode (useTransactions="on", --transactions) ---------------------------------

BEGIN = b"BEGIN TRANSACTION"
COMMIT = b"COMMIT TRANSACTION"


def sqli_count(path: Path, ip: str) -> int:
    return sum(SQLI_RULE in line and f"client={ip} " in line for line in alert_lines(path))


def test_transaction_is_committed_only_after_its_alerts_are_written(
    start: Start, messages: Path
) -> None:
    program = start(None, "--transactions")
    batch = [envelope(BENIGN.format(n=n)) for n in range(8)]
    batch += [b'{"not json', envelope(SQLI.format(ip="203.0.113.30")), b"\xff junk"]
    assert program.send(BEGIN) == "OK"
    assert [program.send(line) for line in batch] == ["DEFER_COMMIT"] * len(batch)
    assert program.send(COMMIT) == "OK"
    assert sqli_count(messages, "203.0.113.30") == 1
    assert program.finish() == (0, b"")
    stats = program.stderr()
    assert "received=11 " in stats
    assert "bad_envelope=1 " in stats


def test_failed_commit_then_replayed_batch_raises_each_alert_once(
    tmp_path: Path, start: Start
) -> None:
    blocker = tmp_path / "log"  # the messages file's parent is a regular file: not writable
    blocker.write_text("in the way\n")
    program = start(None, "--transactions")
    batch = [envelope(BENIGN.format(n=1)), envelope(SQLI.format(ip="203.0.113.31"))]
    batch += [envelope(SQLI.format(ip="203.0.113.32")), envelope(BENIGN.format(n=2))]

    def transaction(lines: list[bytes]) -> str:
        assert program.send(BEGIN) == "OK"
        assert [program.send(line) for line in lines] == ["DEFER_COMMIT"] * len(lines)
        return program.send(COMMIT)

    assert transaction(batch).startswith("Error: messages-file")
    assert transaction(batch).startswith("Error")  # rsyslog's retry while the problem lasts
    # rsyslog owns the failed batch again: the spool does not grow with each retry.
    assert (tmp_path / "state" / "omprog-default.spool").stat().st_size == 0
    blocker.unlink()
    blocker.mkdir()
    # rsyslog 8.2302 replays a failed batch one message per transaction.
    assert [transaction([line]) for line in batch] == ["OK"] * len(batch)
    assert program.finish()[0] == 0
    messages = blocker / "messages"
    assert sqli_count(messages, "203.0.113.31") == 1
    assert sqli_count(messages, "203.0.113.32") == 1
    # Each line went through the pipeline (and its thresholds) once; the 8 copies rsyslog sent
    # again were recognised by their bytes, not counted.
    stats = program.stderr()
    assert "received=12 lines=4 " in stats and "replays=8 " in stats


def test_eof_inside_a_transaction_processes_the_lines_received(
    start: Start, messages: Path
) -> None:
    program = start(None, "--transactions")
    assert program.send(BEGIN) == "OK"
    assert program.send(envelope(SQLI.format(ip="203.0.113.33"))) == "DEFER_COMMIT"
    program.write(envelope(SQLI.format(ip="203.0.113.34")))
    status, rest = program.finish()
    assert (status, rest) == (0, b"DEFER_COMMIT\n")
    assert sqli_count(messages, "203.0.113.33") == 1
    assert sqli_count(messages, "203.0.113.34") == 1


def test_sigterm_inside_a_transaction_finishes_the_batch_and_exits_zero(
    start: Start, messages: Path
) -> None:
    program = start(None, "--transactions")
    assert program.send(BEGIN) == "OK"
    for n in range(5):
        ip = f"203.0.113.{40 + n}"
        assert program.send(envelope(SQLI.format(ip=ip))) == "DEFER_COMMIT"
    program.proc.send_signal(signal.SIGTERM)
    assert program.wait() == 0
    assert [sqli_count(messages, f"203.0.113.{40 + n}") for n in range(5)] == [1] * 5


def test_lines_a_killed_program_deferred_are_processed_by_the_next_one(
    tmp_path: Path, start: Start, messages: Path
) -> None:
    # rsyslog 8.2302 does not send deferred lines again after the program died.
    program = start(None, "--transactions")
    assert program.send(BEGIN) == "OK"
    for n in range(20):
        assert program.send(envelope(SQLI.format(ip=f"203.0.113.{50 + n}"))) == "DEFER_COMMIT"
    program.proc.kill()
    program.wait()
    assert (tmp_path / "state" / "omprog-default.spool").stat().st_size > 0
    second = start(None, "--transactions")
    assert second.finish() == (0, b"")
    assert "processed 20 lines a previous run left" in second.stderr()
    # Processed at least once, alerted exactly once (the replay guard drops repeats).
    assert [sqli_count(messages, f"203.0.113.{50 + n}") for n in range(20)] == [1] * 20
    assert (tmp_path / "state" / "omprog-default.spool").stat().st_size == 0
    third = start(None, "--transactions")
    assert third.finish() == (0, b"")
    assert "left in" not in third.stderr()


def test_a_committed_batch_leaves_nothing_to_replay(
    tmp_path: Path, start: Start, messages: Path
) -> None:
    program = start(None, "--transactions")
    assert program.send(BEGIN) == "OK"
    assert program.send(envelope(SQLI.format(ip="203.0.113.71"))) == "DEFER_COMMIT"
    assert program.send(COMMIT) == "OK"
    assert (tmp_path / "state" / "omprog-default.spool").stat().st_size == 0
    program.proc.kill()
    program.wait()
    second = start(None, "--transactions")
    assert second.finish() == (0, b"")
    assert "left in" not in second.stderr()
    assert sqli_count(messages, "203.0.113.71") == 1


def test_sighup_in_transaction_mode_reopens_the_messages_file(start: Start, messages: Path) -> None:
    program = start(None, "--transactions")
    assert program.send(envelope(SQLI.format(ip="203.0.113.36"))) == "OK"
    rotated = messages.with_name("messages.1")
    messages.rename(rotated)
    program.proc.send_signal(signal.SIGHUP)
    program.wait_for_stderr("files reopened")
    assert program.send(BEGIN) == "OK"
    assert program.send(envelope(SQLI.format(ip="203.0.113.37"))) == "DEFER_COMMIT"
    assert program.send(COMMIT) == "OK"
    assert program.finish()[0] == 0
    assert sqli_count(rotated, "203.0.113.36") == 1
    assert sqli_count(messages, "203.0.113.37") == 1


def _fill(directory: Path) -> None:
    """Write zeros into ``directory`` until its file system refuses more."""
    with open(directory / "filler", "wb") as filler:
        try:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC, error


@pytest.mark.parametrize("mode", [(), ("--transactions",)], ids=["per-line", "transactions"])
def test_a_full_state_directory_never_stops_detection(
    tmp_path: Path, start: Start, messages: Path, mode: tuple[str, ...]
) -> None:
    """In transaction mode a full disk under the state directory once crashed the program on
    every batch's first line (the spool write), and rsyslog restarted it into the same crash:
    nothing was detected. Per-line, it ended in a traceback at exit."""
    with mounted_tmpfs(tmp_path / "state", "size=256k"):
        _fill(tmp_path / "state")
        program = start(None, *mode)
        line = envelope(SQLI.format(ip="203.0.113.40"))
        if mode:
            assert program.send(BEGIN) == "OK"
            assert program.send(line) == "DEFER_COMMIT"
            assert program.send(COMMIT) == "OK"
        else:
            assert program.send(line) == "OK"
        assert program.send(envelope(SQLI.format(ip="203.0.113.41"))) == "OK"
        assert program.finish()[0] == 0
    assert sqli_count(messages, "203.0.113.40") == 1
    assert sqli_count(messages, "203.0.113.41") == 1
    stderr = program.stderr()
    assert "Traceback" not in stderr
    if mode:
        assert "line spool" in stderr and "No space left on device" in stderr


@pytest.mark.parametrize(
    "mode",
    [("--transactions",), ("--transactions", "--one-process")],
    ids=["two-processes", "one-process"],
)
def test_a_batch_sent_again_after_a_kill_is_counted_once(
    start: Start, messages: Path, mode: tuple[str, ...]
) -> None:
    """rsyslog sends a whole batch again when the program dies while COMMIT waits for its
    answer. The next program processed the spooled lines and then rsyslog's copies as new
    lines: two SQL injections counted as four raised a false critical attack-repeat."""
    batch = [
        envelope(SQLI.format(ip="203.0.113.42").replace("14:00:05", f"14:00:1{n}"))
        for n in range(2)
    ]
    first = start(None, *mode)
    assert first.send(BEGIN) == "OK"
    assert [first.send(line) for line in batch] == ["DEFER_COMMIT"] * 2
    deadline = time.monotonic() + HANG_GUARD_SECS
    while sqli_count(messages, "203.0.113.42") < 1:
        assert time.monotonic() < deadline, "the first program raised no alert"
        time.sleep(0.05)
    first.proc.kill()  # before COMMIT is answered: its batch comes again, whole
    first.wait()

    second = start(None, *mode)
    assert second.send(BEGIN) == "OK"
    assert [second.send(line) for line in batch] == ["DEFER_COMMIT"] * 2
    assert second.send(COMMIT) == "OK"
    assert second.finish()[0] == 0
    lines = alert_lines(messages)
    assert not [line for line in lines if "attack-repeat" in line], lines
    assert "replays=2 " in second.stderr()


@pytest.mark.parametrize(
    "mode",
    [("--transactions",), ("--transactions", "--one-process")],
    ids=["two-processes", "one-process"],
)
def test_a_dead_sink_in_a_long_batch_is_not_retried_per_line(
    tmp_path: Path, start: Start, mode: tuple[str, ...]
) -> None:
    """Past the spool's 4,096 lines the program checked on every line whether it could empty
    the spool: with the messages file dead, each check retried it (19,913 failures for one
    12,000-line batch) and counted an error answer rsyslog never saw (7,909 against 1)."""
    blocker = tmp_path / "log"  # the messages file's parent is a regular file: not writable
    blocker.write_text("in the way\n")
    program = start(None, *mode)
    started = time.monotonic()
    assert program.send(BEGIN) == "OK"
    assert program.send(envelope(SQLI.format(ip="203.0.113.43"))) == "DEFER_COMMIT"
    count = 12_000
    answers: list[str] = []
    # Answers are read while lines are written: both pipes would fill up otherwise.
    reader = threading.Thread(
        target=lambda: answers.extend(program.read_answer() for _ in range(count))
    )
    reader.start()
    for n in range(count):
        program.write(envelope(BENIGN.format(n=n % 10)))
    reader.join(HANG_GUARD_SECS)
    assert answers == ["DEFER_COMMIT"] * count
    assert program.send(COMMIT).startswith("Error: messages-file")
    elapsed = time.monotonic() - started
    assert program.finish()[0] == 0
    stats = program.stderr()
    assert "answered_error=1 " in stats
    failures = int(stats.split("sink_failures=")[1].split()[0])
    # A retry of the backlog at most every 0.25 s, and a spool check every 4,096 lines: 8-9
    # failures on a quiet machine, 11-14 on a busy one; per line it was 12,007-19,913.
    assert failures <= 50, (elapsed, stats)


def test_a_messages_file_that_stays_unwritable_stops_holding_lines_after_hold_secs(
    tmp_path: Path, start: Start, messages: Path
) -> None:
    """A removed log directory (or one the service user cannot write again) made every
    COMMIT fail for ever: rsyslog sent the same batch again thousands of times a second and
    no later line was read, so no later attack raised anything anywhere. Past ``hold_secs``
    detection goes on, and the messages file gets every alert once it can be written."""
    blocker = tmp_path / "log"  # the messages file's parent is a regular file: not writable
    blocker.write_text("in the way\n")
    hold = tmp_path / "hold.toml"
    hold.write_text("[sinks.messages_file]\nhold_secs = 0.5\n")
    program = start(None, "--transactions", "--config", str(hold))

    def transaction(*lines: bytes) -> str:
        assert program.send(BEGIN) == "OK"
        assert [program.send(line) for line in lines] == ["DEFER_COMMIT"] * len(lines)
        return program.send(COMMIT)

    first = envelope(SQLI.format(ip="203.0.113.44"))
    assert transaction(first).startswith("Error: messages-file")  # held: rsyslog resends it
    time.sleep(0.6)  # past hold_secs
    assert transaction(first) == "OK"
    program.wait_for_stderr("lines no longer wait for it")
    assert transaction(envelope(SQLI.format(ip="203.0.113.45"))) == "OK"

    blocker.unlink()
    blocker.mkdir()
    program.wait_for_stderr("took every alert it missed")
    assert transaction(envelope(SQLI.format(ip="203.0.113.46"))) == "OK"
    assert program.finish()[0] == 0
    assert [sqli_count(messages, f"203.0.113.{n}") for n in (44, 45, 46)] == [1, 1, 1]


@pytest.mark.parametrize(
    "mode",
    [("--transactions",), ("--transactions", "--one-process")],
    ids=["two-processes", "one-process"],
)
def test_a_reload_to_a_writable_messages_file_delivers_the_alerts_still_waiting(
    tmp_path: Path, start: Start, mode: tuple[str, ...]
) -> None:
    """Pointing the messages file somewhere writable and sending SIGHUP dropped the alert
    that waited for the old one ("1 alerts a sink never took were dropped"); rsyslog's copy
    of the batch was then counted as a copy, so the alert reached no messages file at all."""
    blocker = tmp_path / "log"  # the messages file's parent is a regular file: not writable
    blocker.write_text("in the way\n")
    program = start(None, *mode)
    batch = envelope(SQLI.format(ip="203.0.113.47"))
    assert program.send(BEGIN) == "OK"
    assert program.send(batch) == "DEFER_COMMIT"
    assert program.send(COMMIT).startswith("Error: messages-file")
    moved = tmp_path / "elsewhere" / "messages"
    (tmp_path / "lwsyslog.toml").write_text(config_text(moved))
    program.proc.send_signal(signal.SIGHUP)
    program.wait_for_stderr("configuration reloaded")
    assert program.send(BEGIN) == "OK"
    assert program.send(batch) == "DEFER_COMMIT"  # rsyslog sends the failed batch again
    assert program.send(COMMIT) == "OK"
    assert program.finish()[0] == 0
    assert sqli_count(moved, "203.0.113.47") == 1
    assert "were dropped" not in program.stderr()


def test_a_reload_keeps_a_released_messages_file_released(
    tmp_path: Path, start: Start, messages: Path
) -> None:
    """Every reload of a configuration whose messages file was still broken held lines for
    another ``hold_secs``: rsyslog's stream stopped again for a minute per SIGHUP."""
    blocker = tmp_path / "log"  # the messages file's parent is a regular file: not writable
    blocker.write_text("in the way\n")
    hold = tmp_path / "hold.toml"
    hold.write_text("[sinks.messages_file]\nhold_secs = 0.5\n")
    program = start(None, "--transactions", "--config", str(hold))

    def transaction(line: bytes) -> str:
        assert program.send(BEGIN) == "OK"
        assert program.send(line) == "DEFER_COMMIT"
        return program.send(COMMIT)

    first = envelope(SQLI.format(ip="203.0.113.48"))
    assert transaction(first).startswith("Error: messages-file")
    time.sleep(0.6)  # past hold_secs
    assert transaction(first) == "OK"
    program.wait_for_stderr("lines no longer wait for it")
    hold.write_text("[sinks.messages_file]\nhold_secs = 600\n")  # a changed configuration
    program.proc.send_signal(signal.SIGHUP)
    program.wait_for_stderr("configuration reloaded")
    assert transaction(envelope(SQLI.format(ip="203.0.113.49"))) == "OK"
    assert program.finish()[0] == 0


def test_a_failing_commit_is_answered_ever_more_slowly(
    tmp_path: Path, start: Start, messages: Path
) -> None:
    """rsyslog sends a failed batch again at once: with the messages file refusing alerts it
    did so thousands of times a second for the whole hold (measured: about 6,000 a second,
    each a burst of CPU for both processes). Errors in a row are now answered after a pause
    that doubles from 50 ms up to 1 s."""
    blocker = tmp_path / "log"  # the messages file's parent is a regular file: not writable
    blocker.write_text("in the way\n")
    program = start(None, "--transactions")
    batch = envelope(SQLI.format(ip="203.0.113.50"))
    answers = []
    ends = time.monotonic() + 1.5
    while time.monotonic() < ends:  # as rsyslog does: the same batch, again and again
        assert program.send(BEGIN) == "OK"
        assert program.send(batch) == "DEFER_COMMIT"
        answers.append(program.send(COMMIT))
    assert all(answer.startswith("Error: messages-file") for answer in answers)
    assert 3 <= len(answers) <= 12  # 0, 50, 100, 200, 400, 800 ms: not thousands
    assert program.finish()[0] == 0
