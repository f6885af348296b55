"""The omprog program's input reader: whole lines, however rsyslog's writes cut them."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator

import pytest

from lwsyslog.omprog.stdio import LineInput

MAX_BYTES = 100


@pytest.fixture
def pipe() -> Iterator[tuple[LineInput, int]]:
    read_fd, write_fd = os.pipe()
    wake_read, wake_write = os.pipe()
    reader = LineInput(read_fd, wake_read, MAX_BYTES)
    reader.poll_secs = 0.0
    yield reader, write_fd
    for fd in (read_fd, wake_read, wake_write):
        os.close(fd)
    with contextlib.suppress(OSError):
        os.close(write_fd)


def _lines(reader: LineInput, count: int) -> list[bytes | None]:
    return [reader.read_line(1.0) for _ in range(count)]


def test_one_line_per_write_comes_out_whole(pipe: tuple[LineInput, int]) -> None:
    reader, fd = pipe
    for text in (b"first", b"", b"third line"):
        os.write(fd, text + b"\n")
        assert reader.read_line(1.0) == text


def test_several_lines_in_one_write_and_one_line_over_several(
    pipe: tuple[LineInput, int],
) -> None:
    reader, fd = pipe
    os.write(fd, b"a\nb\nc")
    assert _lines(reader, 2) == [b"a", b"b"]
    os.write(fd, b"-tail\n")
    assert reader.read_line(1.0) == b"c-tail"
    os.write(fd, b"x\n")
    assert reader.read_line(1.0) == b"x"


def test_a_line_growing_past_the_limit_keeps_only_its_head_and_the_next_is_intact(
    pipe: tuple[LineInput, int],
) -> None:
    reader, fd = pipe
    os.write(fd, b"y" * (MAX_BYTES * 2))
    assert reader.read_line(0.05) is None  # no newline yet: the buffer is cut, not grown
    os.write(fd, b"y" * (MAX_BYTES * 2) + b"\n")
    assert reader.read_line(1.0) == b"y" * (MAX_BYTES + 1)
    os.write(fd, b"next\n")
    assert reader.read_line(1.0) == b"next"


def test_end_of_input_gives_the_unterminated_last_line_then_none(
    pipe: tuple[LineInput, int],
) -> None:
    reader, fd = pipe
    os.write(fd, b"done\nhalf")
    os.close(fd)
    assert _lines(reader, 3) == [b"done", b"half", None]
    assert reader.eof


def test_work_before_a_wait_is_put_off_while_the_next_line_comes_within_the_grace(
    pipe: tuple[LineInput, int],
) -> None:
    # Transaction mode hands held lines to its child only when no next line came soon.
    reader, fd = pipe
    waits: list[float] = []
    reader.on_wait = lambda: waits.append(time.monotonic())
    reader.wait_before = lambda: 5.0
    threading.Timer(0.05, os.write, (fd, b"soon\n")).start()
    assert reader.read_line(None) == b"soon"
    assert waits == []
    reader.wait_before = lambda: 0.05
    started = time.monotonic()
    threading.Timer(0.3, os.write, (fd, b"late\n")).start()
    assert reader.read_line(None) == b"late"
    assert len(waits) == 1
    assert 0.04 <= waits[0] - started < 0.25


def test_without_a_grace_the_work_runs_before_every_wait(pipe: tuple[LineInput, int]) -> None:
    reader, fd = pipe
    waits: list[float] = []
    reader.on_wait = lambda: waits.append(time.monotonic())
    threading.Timer(0.05, os.write, (fd, b"one\n")).start()
    assert reader.read_line(1.0) == b"one"
    assert len(waits) == 1
