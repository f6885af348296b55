"""Transaction mode's two processes, run for real: the program answers, its child processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lwsyslog.omprog.worker import HELD_LINES
from tests.unit.test_omprog import (
    BEGIN,
    COMMIT,
    HANG_GUARD_SECS,
    PROGRAM,
    SQLI,
    Start,
    envelope,
    messages,
    sqli_count,
    start,
)

__all__ = ["messages", "start"]  # the fixtures, shared with test_omprog


def children(pid: int) -> list[int]:
    """The processes ``pid`` started that are still running."""
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def gone(pid: int) -> bool:
    """Whether ``pid`` has ended (a zombie counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"


def wait_until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD_SECS
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_the_pipeline_runs_in_a_child_that_the_program_waits_for(
    start: Start, messages: Path
) -> None:
    program = start(None, "--transactions")
    (child,) = children(program.proc.pid)
    assert program.send(BEGIN) == "OK"
    assert program.send(envelope(SQLI.format(ip="203.0.113.90"))) == "DEFER_COMMIT"
    assert program.send(COMMIT) == "OK"
    assert sqli_count(messages, "203.0.113.90") == 1
    assert program.finish() == (0, b"")
    assert gone(child)
    stderr = program.stderr()
    assert f"pipeline in child {child}" in stderr
    assert "received=1 " in stderr and "batches=1 failed_commits=0" in stderr


def test_killing_the_program_ends_its_child_and_the_next_program_processes_the_spool(
    tmp_path: Path, start: Start, messages: Path
) -> None:
    program = start(None, "--transactions")
    (child,) = children(program.proc.pid)
    assert program.send(BEGIN) == "OK"
    for n in range(5):
        assert program.send(envelope(SQLI.format(ip=f"203.0.113.{91 + n}"))) == "DEFER_COMMIT"
    program.proc.kill()
    program.wait()
    wait_until(lambda: gone(child), "the child outlived the program")
    second = start(None, "--transactions")
    assert second.finish() == (0, b"")
    assert "processed 5 lines a previous run left" in second.stderr()
    assert [sqli_count(messages, f"203.0.113.{91 + n}") for n in range(5)] == [1] * 5


def test_sighup_reaches_the_child(start: Start, messages: Path) -> None:
    program = start(None, "--transactions")
    rotated = messages.with_name("messages.1")
    assert program.send(envelope(SQLI.format(ip="203.0.113.97"))) == "OK"
    messages.rename(rotated)
    program.proc.send_signal(signal.SIGHUP)
    program.wait_for_stderr("files reopened")
    assert program.send(envelope(SQLI.format(ip="203.0.113.98"))) == "OK"
    assert program.finish()[0] == 0
    assert sqli_count(rotated, "203.0.113.97") == 1
    assert sqli_count(messages, "203.0.113.98") == 1


def test_one_process_keeps_everything_in_the_program(start: Start, messages: Path) -> None:
    program = start(None, "--transactions", "--one-process")
    assert children(program.proc.pid) == []
    assert program.send(BEGIN) == "OK"
    assert program.send(envelope(SQLI.format(ip="203.0.113.99"))) == "DEFER_COMMIT"
    assert program.send(COMMIT) == "OK"
    assert program.finish() == (0, b"")
    assert sqli_count(messages, "203.0.113.99") == 1


@pytest.fixture
def bad_config(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "bad.toml"
    path.write_text("[sinks.messages_file]\npath = 42\n")
    yield path


def test_a_bad_configuration_stops_it_before_ok_naming_the_file(
    tmp_path: Path, bad_config: Path
) -> None:
    run = subprocess.run(
        [sys.executable, str(PROGRAM), "--user", "root", "--transactions", "--no-journald",
         "--config", str(bad_config), "--state-dir", str(tmp_path / "state")],
        input=b"",
        capture_output=True,
        timeout=HANG_GUARD_SECS,
        check=False,
    )  # fmt: skip
    assert (run.returncode, run.stdout) == (2, b"")
    assert str(bad_config).encode() in run.stderr and b"path" in run.stderr


def test_a_dead_child_stops_the_program_and_the_next_one_processes_what_was_answered(
    tmp_path: Path, start: Start, messages: Path
) -> None:
    program = start(None, "--transactions")
    (child,) = children(program.proc.pid)
    os.kill(child, signal.SIGKILL)
    wait_until(lambda: gone(child), "the child did not die")
    assert program.send(BEGIN) == "OK"
    assert program.send(envelope(SQLI.format(ip="203.0.113.89"))) == "DEFER_COMMIT"
    assert program.wait() == 1
    assert "stopping: the processing child stopped" in program.stderr()
    second = start(None, "--transactions")
    assert second.finish() == (0, b"")
    assert "processed 1 lines a previous run left" in second.stderr()
    assert sqli_count(messages, "203.0.113.89") == 1


def test_a_line_longer_than_any_envelope_is_read_as_its_head_and_the_next_one_processed(
    start: Start, messages: Path
) -> None:
    # rsyslog's MaxMessageSize raised far past max_line_bytes: the message's head is scanned
    # as a cut line (its injection found), not skipped, and the next line goes on.
    program = start(None, "--transactions")
    assert program.send(BEGIN) == "OK"
    cut = SQLI.format(ip="203.0.113.87").removesuffix('"') + "A" * 2_000_000 + '"'
    assert program.send(envelope(cut)) == "DEFER_COMMIT"
    assert program.send(b'{"host": "web1", "tag": "' + b"A" * 2_000_000 + b'"}') == "DEFER_COMMIT"
    assert program.send(envelope(SQLI.format(ip="203.0.113.88"))) == "DEFER_COMMIT"
    assert program.send(COMMIT) == "OK"
    assert program.finish() == (0, b"")
    assert sqli_count(messages, "203.0.113.87") == 1
    assert sqli_count(messages, "203.0.113.88") == 1
    stderr = program.stderr()
    # The one without a message member is still refused.
    assert "received=3 " in stderr and "bad_envelope=1 " in stderr


def test_a_line_of_an_open_transaction_is_processed_without_waiting_for_more(
    start: Start, messages: Path
) -> None:
    # The parent holds lines back to hand them down in batches; one it holds when rsyslog
    # sends nothing more must still go down at once: the alert may not wait for COMMIT.
    program = start(None, "--transactions")
    assert program.send(BEGIN) == "OK"
    assert program.send(envelope(SQLI.format(ip="203.0.113.120"))) == "DEFER_COMMIT"
    wait_until(lambda: sqli_count(messages, "203.0.113.120") == 1, "the line was held back")
    assert program.send(COMMIT) == "OK"
    assert program.finish()[0] == 0


def test_lines_sent_faster_than_answered_are_each_processed_once(
    start: Start, messages: Path
) -> None:
    # rsyslog's next lines already waiting (written before any answer is read): the parent
    # hands them down in batches of up to HELD_LINES; every one is processed, none twice
    # (storm control keeps the alerts to its quota, so the child's counters tell).
    program = start(None, "--transactions")
    assert program.send(BEGIN) == "OK"
    count = 3 * HELD_LINES + 7
    for n in range(count):
        program.write(envelope(SQLI.format(ip=f"198.51.100.{n % 250 + 1}")))
    assert [program.read_answer() for _ in range(count)] == ["DEFER_COMMIT"] * count
    assert program.send(COMMIT) == "OK"
    assert sqli_count(messages, "198.51.100.1") == 1
    assert program.finish()[0] == 0
    stderr = program.stderr()
    assert f" lines={count} " in stderr and f" urgent={count} " in stderr
