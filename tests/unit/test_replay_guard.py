"""The replay guard remembers delivered alerts across restarts, within a bounded file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from lwsyslog.omprog.replay_guard import GuardLockedError, MemoryReplayGuard, ReplayGuard


@dataclass(frozen=True)
class _Alert:
    fingerprint: str


def _alerts(*numbers: int) -> list[_Alert]:
    return [_Alert(f"{number:032x}") for number in numbers]


def test_remembered_alert_is_seen_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state" / "guard"
    guard = ReplayGuard(path)
    assert not guard.seen(_alerts(1)[0])
    guard.remember(_alerts(1, 2))
    guard.close()

    again = ReplayGuard(path)
    assert again.seen(_alerts(1)[0])
    assert again.seen(_alerts(2)[0])
    assert not again.seen(_alerts(3)[0])
    assert again.suppressed == 2
    again.close()


def test_only_the_last_capacity_entries_are_kept(tmp_path: Path) -> None:
    guard = MemoryReplayGuard(capacity=3)
    guard.remember(_alerts(1, 2, 3, 4))
    assert [guard.seen(alert) for alert in _alerts(1, 2, 3, 4)] == [False, True, True, True]


def test_file_is_compacted_past_twice_the_capacity(tmp_path: Path) -> None:
    path = tmp_path / "guard"
    guard = ReplayGuard(path, capacity=10)
    for number in range(25):
        guard.remember(_alerts(number))
    lines = path.read_text().splitlines()
    assert len(lines) <= 20
    guard.close()

    again = ReplayGuard(path, capacity=10)
    assert again.seen(_alerts(24)[0])
    assert again.seen(_alerts(15)[0])
    assert not again.seen(_alerts(5)[0])
    assert not path.with_name("guard.compact").exists()
    again.close()


def test_torn_last_line_and_junk_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "guard"
    good = f"{7:032x}"
    path.write_bytes(f"not a fingerprint\n{good}\n{8:032x}"[:-5].encode())
    guard = ReplayGuard(path)
    assert guard.seen(_Alert(good))
    assert len(guard) == 1
    guard.remember(_alerts(9))
    guard.close()

    again = ReplayGuard(path)
    assert again.seen(_alerts(9)[0])
    assert again.seen(_Alert(good))
    again.close()


def test_a_second_program_on_the_same_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "guard"
    first = ReplayGuard(path)
    with pytest.raises(GuardLockedError):
        ReplayGuard(path)
    first.close()
    ReplayGuard(path).close()


def test_remembering_twice_writes_once(tmp_path: Path) -> None:
    path = tmp_path / "guard"
    guard = ReplayGuard(path)
    guard.remember(_alerts(1))
    guard.remember(_alerts(1))
    guard.close()
    assert path.read_text().splitlines() == [f"{1:032x}"]
