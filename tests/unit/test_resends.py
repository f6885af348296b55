"""Copies of lines rsyslog sends again after a failed batch, recognised by their bytes."""

from __future__ import annotations

from lwsyslog.omprog.resends import ResentLines


def test_each_copy_due_is_recognised_once_and_new_lines_are_not() -> None:
    resent = ResentLines()
    batch = [hash(b"line a"), hash(b"line b"), hash(b"line a")]  # two identical lines
    resent.owe(batch)
    assert not resent.take(hash(b"line c"))
    assert resent.take(hash(b"line a")) and resent.take(hash(b"line a"))
    assert not resent.take(hash(b"line a"))  # a third identical line is a new one
    assert resent.take(hash(b"line b")) and len(resent) == 0


def test_due_lines_are_bounded_oldest_first() -> None:
    resent = ResentLines(max_lines=100)
    resent.owe(range(1_000))
    assert len(resent) == 100
    assert not resent.take(0) and resent.take(999)
