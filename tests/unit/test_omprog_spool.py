"""The transaction-mode line spool is bounded in bytes too, and read back a line at a time.

A line may be most of a MiB (rsyslog's maxMessageSize), and the spool was emptied every 4,096
lines only: 3 GiB of spool, which the next program read whole into memory (chunks, their join
and its split: about three times the file) before processing a line.
"""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from lwsyslog.omprog.confirmations import Transactions
from lwsyslog.omprog.diagnostics import Diagnostics
from lwsyslog.omprog.spool import LineSpool
from lwsyslog.omprog.stdio import Answers

_MIB = 1 << 20


class _Processor:
    """Processes nothing; every alert is out (settled) unless told otherwise."""

    def __init__(self, settled: bool = True) -> None:
        self.settled = settled
        self.processed: list[bytes] = []

    def process(self, line: bytes) -> None:
        self.processed.append(line)

    def handle(self, line: bytes) -> str:
        self.processed.append(line)
        return "OK"

    def settle(self) -> str:
        return "OK" if self.settled else "Error: sink"

    def check_settled(self) -> bool:
        return self.settled

    def count_resent(self) -> None:
        pass

    def close(self) -> bool:
        return self.settled


@pytest.fixture
def answers() -> Iterator[Answers]:
    """Answers to nowhere (the compiled module takes only the real class)."""
    fd = os.open(os.devnull, os.O_WRONLY)
    yield Answers(fd)
    os.close(fd)


def _transactions(
    path: Path, processor: _Processor, answers: Answers
) -> tuple[Transactions, LineSpool]:
    spool = LineSpool(path)
    return Transactions(processor, spool, answers, Diagnostics(journal=None)), spool


def test_a_long_batch_of_long_lines_keeps_the_spool_within_64_mib(
    tmp_path: Path, answers: Answers
) -> None:
    path = tmp_path / "omprog.spool"
    strategy, spool = _transactions(path, _Processor(), answers)
    strategy.handle(b"BEGIN TRANSACTION")
    largest = 0
    for n in range(100):  # 100 lines of 1 MiB in one transaction, no COMMIT yet
        strategy.handle(b"%03d" % n + b"x" * (_MIB - 4))
        largest = max(largest, path.stat().st_size)
    assert largest <= 64 * _MIB + _MIB  # emptied once its alerts were out (before: 100 MiB)
    assert spool.bytes == path.stat().st_size
    strategy.close()


def test_while_a_sink_refuses_the_byte_check_waits_another_64_mib(
    tmp_path: Path, answers: Answers
) -> None:
    processor = _Processor(settled=False)
    strategy, spool = _transactions(tmp_path / "omprog.spool", processor, answers)
    checks = 0
    original = processor.check_settled

    def counted() -> bool:
        nonlocal checks
        checks += 1
        return original()

    processor.check_settled = counted  # type: ignore[method-assign]
    strategy.handle(b"BEGIN TRANSACTION")
    for _ in range(150):
        strategy.handle(b"y" * (_MIB - 1))
    assert checks == 2  # at 64 and 128 MiB: not once per line, and the lines are kept
    assert spool.lines == 150
    strategy.close()


def test_leftover_lines_are_read_one_at_a_time_not_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "omprog.spool"
    lines = [b"%02d" % n + b"z" * (_MIB - 3 + n * 7919) for n in range(40)]  # ~40 MiB
    path.write_bytes(b"\n".join(lines) + b"\n\n" + b"cut short")
    spool = LineSpool(path)
    tracemalloc.start()
    found = []
    peak = 0
    for line in spool.leftover():
        found.append((len(line), line[:2]))
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        del line
    tracemalloc.stop()
    spool.close()
    assert found == [(len(line), line[:2]) for line in lines]  # the cut last line is dropped
    assert (spool.lines, spool.bytes) == (40, path.stat().st_size)
    assert peak < 8 * _MIB, f"{peak / _MIB:.0f} MiB to read a 40 MiB spool"


def test_the_next_program_processes_the_leftover_and_empties_the_spool(
    tmp_path: Path, answers: Answers
) -> None:
    path = tmp_path / "omprog.spool"
    path.write_bytes(b"first\nsecond\n\nthird\nhalf")
    processor = _Processor()
    strategy, spool = _transactions(path, processor, answers)
    strategy.start()
    assert processor.processed == [b"first", b"second", b"third"]
    assert path.stat().st_size == 0 and spool.lines == 0
    # rsyslog sends the killed program's batch again: a copy is due, not counted again.
    strategy.handle(b"BEGIN TRANSACTION")
    strategy.handle(b"second")
    assert processor.processed == [b"first", b"second", b"third"]
    strategy.close()
