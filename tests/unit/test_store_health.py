"""The alert store's health as the program sees it: a store that could not be opened or went
away is opened again, and what pruning deleted (and why) is counted and said."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lwsyslog.errors import SinkError
from lwsyslog.store import AlertStore, StoreSink
from lwsyslog.store.writer import StoreCounters
from tests.unit.store_support import BASE_TIME, fill, make_alert

DAY = 86400.0


def newer(path: Path, version: str = "2") -> None:
    """Make the store at ``path`` look written by a newer lwsyslog."""
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'version'", (version,))
    conn.commit()
    conn.close()


def test_size_pruning_is_counted_by_bound_with_the_alerts_younger_than_the_retention(
    tmp_path: Path,
) -> None:
    """Red team: max_rows pruned 24,150 alerts to 9,900 and nothing said so anywhere."""
    path = tmp_path / "a.db"
    old = [make_alert(at=BASE_TIME - 40 * DAY + i, line=i) for i in range(100)]
    recent = [make_alert(at=BASE_TIME - DAY + i, line=1000 + i) for i in range(1200)]
    fill(path, old + recent)
    reports: list[str] = []
    store = AlertStore(path, retention_days=30, max_rows=1000, clock=lambda: BASE_TIME)
    sink = StoreSink(store, report=reports.append)
    sink.close()
    # 100 by age; then 200 over max_rows plus 1% slack, all within the 30 days kept.
    assert store.counters == StoreCounters(
        pruned_by_age=100, pruned_by_rows=210, pruned_young=210, prune_runs=1
    )
    fields = sink.stats_fields()
    assert fields["store_pruned_age"] == 100 and fields["store_pruned_rows"] == 210
    assert fields["store_pruned_bytes"] == 0 and fields["store_pruned_young"] == 210
    assert len(reports) == 1 and "210 alerts younger than [store] retention_days" in reports[0]


def test_alerts_the_retention_lets_go_are_counted_by_age_and_not_young(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    old = [make_alert(at=BASE_TIME - 40 * DAY + i, line=i) for i in range(1100)]
    fill(path, [*old, make_alert(at=BASE_TIME, line=9999)])
    store = AlertStore(path, retention_days=30, max_rows=1000, clock=lambda: BASE_TIME)
    sink = StoreSink(store)
    sink.close()
    assert store.counters.pruned_by_age == 1100 and store.rows == 1
    assert sink.stats_fields()["store_pruned_young"] == 0


def test_a_store_of_a_newer_version_leaves_the_sink_off_and_it_opens_once_replaced(
    tmp_path: Path,
) -> None:
    """Red team: a store of a newer schema turned the store off for good, and silently."""
    path = tmp_path / "a.db"
    fill(path, [make_alert()])
    newer(path)
    reports: list[str] = []
    sink = StoreSink.retrying(path, report=reports.append)
    assert sink.off and "made by a newer lwsyslog" in sink.off_reason
    assert sink.stats_fields()["store_off"] == 1
    with pytest.raises(SinkError, match=r"alert store off: .*newer lwsyslog"):
        sink.write(make_alert(at=BASE_TIME + 1, line=2))
    newer(path, "1")  # the administrator puts back a store this version reads
    sink.reopen()  # SIGHUP: tried at once
    sink.write(make_alert(at=BASE_TIME + 1, line=2))
    sink.close()
    assert sink.stats_fields()["store_reopened"] == 1
    assert reports[0].startswith("alert store off") and len(reports) == 2
    assert reports[1].startswith(f"alert store {path} open again")
    assert AlertStore(path).rows == 2


def test_a_store_deleted_under_the_sink_is_made_again_before_the_next_commit(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.db"
    sink = StoreSink(AlertStore(path))
    sink.write(make_alert(at=BASE_TIME))
    for file in tmp_path.glob("a.db*"):
        file.unlink()
    sink.write(make_alert(at=BASE_TIME + 1, line=2))
    sink.close()
    store = AlertStore(path)
    assert store.rows == 1 and store.counters.inserted == 0
    store.close()
