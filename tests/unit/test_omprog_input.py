"""The omprog program's input reader: whole lines, however rsyslog's writes cut them."""

from __future__ import annotations

import contextlib
import os
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
