"""A sink's backlog spool read back in part is not given to the sink again after a restart.

While journald (or the store, or the notifier) is down, its alerts spill to a spool file. A
program killed while that sink is taking them back must not make the next program give it
every alert of the spool again (thousands of duplicate journal entries after a long outage).
"""

from __future__ import annotations

from pathlib import Path

from lwsyslog.sinks.backlog import Backlog
from tests.unit.store_support import make_alert

_ALERTS = 600


def _numbers(backlog: Backlog, limit: int) -> list[int]:
    """Deliver up to ``limit`` alerts from ``backlog``; their line numbers."""
    taken = []
    while len(taken) < limit and (alert := backlog.first()) is not None:
        taken.append(alert.last.line)
        backlog.pop_first()
    return taken


def _spooled(spool: Path) -> Backlog:
    backlog = Backlog(spool, max_memory=1)
    backlog.extend(make_alert(line=number) for number in range(_ALERTS))
    return backlog


def test_restart_goes_on_where_the_spool_was_read_to(tmp_path: Path) -> None:
    spool = tmp_path / "backlog-journald.jsonl"
    delivered = _numbers(_spooled(spool), 300)  # killed here: no close, no clean up

    after_restart = Backlog(spool, max_memory=1)
    again = _numbers(after_restart, _ALERTS)
    assert not set(again) & set(delivered)
    assert again == sorted(again) and again[-1] == _ALERTS - 1
    # What the killed program had read into memory and not delivered is all that is lost.
    assert 0 <= again[0] - delivered[-1] - 1 < 200


def test_a_spool_read_out_leaves_nothing_for_the_next_program(tmp_path: Path) -> None:
    spool = tmp_path / "backlog-journald.jsonl"
    backlog = _spooled(spool)
    assert len(_numbers(backlog, _ALERTS)) == _ALERTS
    assert len(Backlog(spool, max_memory=1)) == 0


def test_a_damaged_or_stale_read_record_gives_everything_again(tmp_path: Path) -> None:
    """A duplicate beats a loss: an offset that is not the start of a line is not trusted."""
    spool = tmp_path / "backlog-journald.jsonl"
    _spooled(spool)
    record = spool.with_name(spool.name + ".read")
    for text in (b"7\n", b"junk", b"%d\n" % (spool.stat().st_size + 10)):
        record.write_bytes(text)
        assert len(Backlog(spool, max_memory=1)) == _ALERTS - 1  # the first went to memory
