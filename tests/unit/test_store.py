"""The alert store: round trip, replay, retention and size bounds, batching, failures."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from lwsyslog.cli.main import main
from lwsyslog.errors import SinkError, StoreError
from lwsyslog.severity import Severity
from lwsyslog.sinks import Dispatcher, MemorySink
from lwsyslog.store import AlertFilter, AlertStore, StoreSink, open_reader, select_alerts
from lwsyslog.store.rollup import DIM_SEVERITY, counts
from lwsyslog.store.rows import alert_row
from tests.unit.store_support import (
    BASE_TIME,
    fill,
    fill_until_refused,
    make_alert,
    mounted_tmpfs,
)

DAY = 86400.0


def read_all(path: Path) -> list[dict[str, object]]:
    conn = open_reader(path)
    try:
        return [a.record() for a in select_alerts(conn, AlertFilter(limit=None))]
    finally:
        conn.close()


def test_round_trip_keeps_every_journald_field_and_the_named_rules_and_cves(
    tmp_path: Path,
) -> None:
    alert = make_alert(
        rules=("sqli-union-select", "sqli-tautology"),
        cves=("CVE-2021-44228",),
        categories=("sqli", "xss"),
        count=7,
    )
    fill(tmp_path / "a.db", [alert])
    (record,) = read_all(tmp_path / "a.db")
    assert record["time"] == "2026-11-23T16:00:00Z" and record["epoch"] == BASE_TIME
    assert record["first_time"] == "2026-11-23T15:59:55Z"
    assert record["rule"] == "sqli-union-select"
    assert record["rules"] == ["sqli-union-select", "sqli-tautology"]
    assert record["cves"] == ["CVE-2021-44228"]
    assert record["categories"] == ["sqli", "xss"] and record["severity"] == "high"
    assert record["client_ip"] == "203.0.113.9" and record["key"] == "203.0.113.9"
    assert record["host"] == "web1" and record["log"] == "access"
    assert record["count"] == 7 and record["window_secs"] == 60.0
    assert record["message"] == alert.message and record["sample"] == alert.sample
    assert record["source"] == "web1/apache-access:1"
    assert record["message_id"] == alert.message_id
    assert record["fingerprint"] == alert.fingerprint


def test_an_alert_without_rules_attribute_names_its_own_rule(tmp_path: Path) -> None:
    fill(tmp_path / "a.db", [make_alert(rule="attack-repeat")])
    (record,) = read_all(tmp_path / "a.db")
    assert record["rules"] == ["attack-repeat"] and record["cves"] == []


def test_hostile_text_is_stored_escaped_on_one_line_and_bounded(tmp_path: Path) -> None:
    hostile = "GET /\x1b[2J\nFAKE ALERT\u202e\x00 " + "A" * 10_000
    fill(tmp_path / "a.db", [make_alert(sample=hostile, message="m\x1b]0;owned\x07", host="w\n1")])
    (record,) = read_all(tmp_path / "a.db")
    for field in ("sample", "message", "host"):
        text = str(record[field])
        assert text.isprintable(), field
    assert "\\x1b[2J\\x0aFAKE ALERT\\u202e\\x00" in str(record["sample"])
    assert len(str(record["sample"])) <= 2000 and str(record["sample"]).endswith("…")
    assert record["host"] == "w\\x0a1"


def test_stored_backslashes_are_not_doubled_when_read_back(tmp_path: Path) -> None:
    fill(tmp_path / "a.db", [make_alert(sample="GET /a\\b\x1b")])
    (record,) = read_all(tmp_path / "a.db")
    assert record["sample"] == "GET /a\\\\b\\x1b"


def test_a_replayed_alert_is_stored_once(tmp_path: Path) -> None:
    alerts = [make_alert(at=BASE_TIME + i, line=i) for i in range(5)]
    first = fill(tmp_path / "a.db", alerts)
    again = fill(tmp_path / "a.db", alerts)  # a restart replaying the same lines
    assert first.counters.inserted == 5
    assert again.counters.inserted == 0 and again.counters.duplicates == 5
    assert len(read_all(tmp_path / "a.db")) == 5


def test_the_same_alert_at_another_time_is_another_alert(tmp_path: Path) -> None:
    fill(tmp_path / "a.db", [make_alert(at=BASE_TIME), make_alert(at=BASE_TIME + 60)])
    assert len(read_all(tmp_path / "a.db")) == 2


def test_retention_deletes_alerts_older_than_the_days_and_counts_them(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    old = [make_alert(at=BASE_TIME - 10 * DAY + i, line=i) for i in range(30)]
    recent = [make_alert(at=BASE_TIME - DAY + i, line=100 + i) for i in range(20)]
    fill(path, old + recent)
    store = AlertStore(path, retention_days=5, clock=lambda: BASE_TIME)
    assert store.prune() == 30
    assert store.counters.pruned_by_age == 30 and store.rows == 20
    # The hourly rollup forgot the deleted alerts too: the report counts what is there.
    assert sum(counts(store.connection, DIM_SEVERITY, 0, BASE_TIME + DAY).values()) == 20
    store.close()
    assert {r["epoch"] for r in read_all(path)} == {a.last_time for a in recent}


def test_max_rows_keeps_the_newest_alerts(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    alerts = [make_alert(at=BASE_TIME + i, line=i) for i in range(1200)]
    fill(path, alerts)
    store = AlertStore(path, max_rows=1000)
    deleted = store.prune()
    store.close()
    # 200 over the bound, plus 1% slack so a full store is not pruned on every batch.
    assert deleted == 210 and store.counters.pruned_by_size == 210
    kept = read_all(path)
    assert len(kept) == 990
    assert min(r["epoch"] for r in kept) == BASE_TIME + 210


def test_max_bytes_bounds_the_pages_in_use(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    big = [
        make_alert(at=BASE_TIME + i, line=i, sample=f"GET /{i} " + "x" * 1900) for i in range(3000)
    ]
    fill(path, big)
    store = AlertStore(path, max_bytes=2 << 20)
    assert store.used_bytes() > 2 << 20
    store.prune()
    assert store.used_bytes() <= 2 << 20
    assert 0 < store.rows < 3000 and store.counters.pruned_by_size == 3000 - store.rows
    newest = max(r["epoch"] for r in read_all(path))
    store.close()
    assert newest == BASE_TIME + 2999


def test_bad_bounds_are_refused_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"a\.db: retention_days must be positive"):
        AlertStore(tmp_path / "a.db", retention_days=0)


def test_sink_commits_at_once_after_a_quiet_spell_and_batches_a_storm(tmp_path: Path) -> None:
    now = [100.0]
    sink = StoreSink(AlertStore(tmp_path / "a.db"), max_delay_secs=0.5, monotonic=lambda: now[0])
    sink.write(make_alert(at=BASE_TIME))
    assert sink.pending == 0  # quiet before: committed at once
    for i in range(1, 50):
        sink.write(make_alert(at=BASE_TIME + i, line=i))
    assert sink.pending == 49  # a storm: gathered
    assert len(read_all(tmp_path / "a.db")) == 1
    now[0] += 0.6
    sink.write(make_alert(at=BASE_TIME + 50, line=50))
    assert sink.pending == 0 and len(read_all(tmp_path / "a.db")) == 51
    sink.write(make_alert(at=BASE_TIME + 51, line=51))
    assert sink.pending == 1
    sink.flush()  # what the omprog program calls when its input goes idle
    assert sink.pending == 0 and len(read_all(tmp_path / "a.db")) == 52
    sink.close()


def test_a_full_batch_is_committed_without_waiting(tmp_path: Path) -> None:
    sink = StoreSink(AlertStore(tmp_path / "a.db"), batch_size=10, monotonic=lambda: 5.0)
    for i in range(25):
        sink.write(make_alert(at=BASE_TIME + i, line=i))
    assert sink.pending == 4  # the first went alone (quiet), then two batches of ten
    sink.close()
    assert len(read_all(tmp_path / "a.db")) == 25


def test_a_locked_store_fails_the_write_keeps_the_alerts_and_stores_them_once_later(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.db"
    sink = StoreSink(AlertStore(path, busy_timeout_ms=50))
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    with pytest.raises(SinkError, match="database is locked"):
        sink.write(make_alert(at=BASE_TIME))
    with pytest.raises(SinkError):
        sink.write(make_alert(at=BASE_TIME))  # the dispatcher offering it again
    assert sink.pending == 1 and sink.failures == 2
    blocker.execute("ROLLBACK")
    blocker.close()
    sink.write(make_alert(at=BASE_TIME + 1, line=2))
    sink.close()
    assert len(read_all(path)) == 2


def test_a_failing_store_never_holds_back_the_required_sinks(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    store_sink = StoreSink(AlertStore(path, busy_timeout_ms=20))
    memory = MemorySink()
    diagnostics = io.StringIO()
    dispatcher = Dispatcher([memory, store_sink], diagnostics=diagnostics)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    assert dispatcher.dispatch([make_alert()]) is True  # settled: the store is best effort
    assert dispatcher.failures["store"] == 1 and len(memory.alerts) == 1
    blocker.execute("ROLLBACK")
    blocker.close()
    assert dispatcher.retry() is True
    dispatcher.close()
    assert len(read_all(path)) == 1
    assert "sink store failed" in diagnostics.getvalue()


def test_close_reports_alerts_it_could_not_commit(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    sink = StoreSink(AlertStore(path, busy_timeout_ms=20), monotonic=lambda: 1.0)
    sink.write(make_alert(at=BASE_TIME))
    sink.write(make_alert(at=BASE_TIME + 1, line=2))  # pending (no time passed)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    with pytest.raises(SinkError):
        sink.close()
    blocker.execute("ROLLBACK")
    blocker.close()


def test_pending_alerts_are_bounded_and_the_dropped_counted(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    sink = StoreSink(AlertStore(path, busy_timeout_ms=1), max_pending=3, monotonic=lambda: 1.0)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    for i in range(5):
        with pytest.raises(SinkError):
            sink.write(make_alert(at=BASE_TIME + i, line=i))
            sink.flush()
    assert sink.pending == 3 and sink.dropped == 2
    blocker.execute("ROLLBACK")
    blocker.close()
    sink.close()
    assert [r["epoch"] for r in read_all(path)] == [BASE_TIME + 2, BASE_TIME + 3, BASE_TIME + 4]


def test_the_store_is_in_wal_mode_with_synchronous_normal(tmp_path: Path) -> None:
    store = AlertStore(tmp_path / "a.db")
    conn = store.connection
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    store.close()


def test_reader_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"nothere\.db: no alert store there"):
        open_reader(tmp_path / "nothere.db")
    with pytest.raises(StoreError, match="is a directory"):
        open_reader(tmp_path)
    text = tmp_path / "notes.txt"
    text.write_text("hello, I am not a database\n" * 100)
    with pytest.raises(StoreError, match=r"notes\.txt: not an lwsyslog alert store"):
        open_reader(text)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match=r"other\.db: not an lwsyslog alert store"):
        open_reader(other)


def test_writer_refuses_another_sqlite_database(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match=r"other\.db: not an lwsyslog alert store"):
        AlertStore(other)


def test_reader_refuses_a_store_from_a_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    AlertStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'version'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer lwsyslog"):
        open_reader(path)


def test_a_foreign_row_with_control_characters_is_escaped_on_reading(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    fill(path, [make_alert()])
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alerts SET message = 'x\x1b[31mred', rules = ?", (json.dumps(["r\x07"]),))
    conn.commit()
    conn.close()
    (record,) = read_all(path)
    assert record["message"] == "x\\x1b[31mred" and record["rules"] == ["r\\x07"]


def test_min_severity_uses_the_severity_order(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    fill(
        path,
        [make_alert(at=BASE_TIME + i, line=i, severity=s) for i, s in enumerate(Severity)],
    )
    conn = open_reader(path)
    found = select_alerts(conn, AlertFilter(min_severity=Severity.HIGH, limit=None))
    conn.close()
    assert [a.severity for a in found] == [Severity.HIGH, Severity.CRITICAL]


def test_a_new_store_is_readable_by_its_owner_and_group_only(tmp_path: Path) -> None:
    AlertStore(tmp_path / "state" / "alerts.db").close()
    assert (tmp_path / "state" / "alerts.db").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "state").stat().st_mode & 0o007 == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 300 KiB file system of its own, to fill up."""
    with mounted_tmpfs(tmp_path / "small") as disk:
        yield disk


def test_a_full_disk_is_reported_as_full_when_storing_and_pruning(small_disk: Path) -> None:
    store = AlertStore(small_disk / "a.db")
    with pytest.raises(StoreError) as refused:
        fill_until_refused(store)
    assert "cannot store alerts: database or disk is full" in str(refused.value)
    assert "rollback" not in str(refused.value)
    store.max_rows = 10  # deleting needs room in the write-ahead log too
    with pytest.raises(StoreError, match="cannot prune old alerts: database or disk is full"):
        store.prune()
    assert store.connection.execute("SELECT count(*) FROM alerts").fetchone()[0] == store.rows
    store.close()


def open_files(path: Path) -> int:
    """Descriptors of this process open on ``path`` (or its -wal / -shm)."""
    fds = Path("/proc/self/fd")
    names = {str(path), f"{path}-wal", f"{path}-shm"}
    count = 0
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):
            count += os.readlink(fd) in names
    return count


def test_a_store_locked_at_start_is_a_store_error_and_leaves_nothing_open(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.db"
    fill(path, [make_alert()])
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    store = AlertStore(path, retention_days=1, busy_timeout_ms=20)
    with pytest.raises(StoreError, match=r"a\.db: cannot prune old alerts: database is locked"):
        StoreSink(store)
    with pytest.raises(StoreError, match="closed"):
        store.connection  # noqa: B018
    blocker.execute("ROLLBACK")
    blocker.close()
    # SQLite holds a closed connection's descriptors while this process has a lock there.
    assert open_files(path) == 0


class _Refusing:
    """A best-effort sink that takes nothing."""

    name = "store"
    required = False

    def write(self, alert: object) -> None:
        raise SinkError("database or disk is full")

    def reopen(self) -> None:
        """Nothing to reopen."""

    def close(self) -> None:
        """Nothing to close."""


class _NamedMemory(MemorySink):
    name = "messages-file"


@pytest.mark.parametrize(("required", "note"), [(MemorySink, False), (_NamedMemory, True)])
def test_dropped_alerts_are_reported_a_few_times_naming_the_messages_file_only_when_there(
    required: type[MemorySink], note: bool
) -> None:
    now = [0.0]
    diagnostics = io.StringIO()
    dispatcher = Dispatcher(
        [required(), _Refusing()], diagnostics=diagnostics, clock=lambda: now[0]
    )
    for i in range(1500):
        now[0] = i / 100  # 15 seconds in all
        dispatcher.dispatch([make_alert(at=BASE_TIME + i, line=i)])
    dispatcher.close()
    drops = [line for line in diagnostics.getvalue().splitlines() if "dropped" in line]
    end = "; the messages file has them)" if note else ")"
    assert drops == [
        f"lwsyslog: sink store: backlog full, 1 alerts dropped (1 in all{end}",
        f"lwsyslog: sink store: backlog full, 499 alerts dropped (500 in all{end}",
    ]
    assert dispatcher.not_taken("store") == 1500


@pytest.fixture
def read_only_stores(tmp_path: Path) -> Iterator[Path]:
    """A read-only file system holding ``closed.db`` (closed cleanly: no -wal, no -shm)
    and ``crashed.db`` (its writer died: alerts still in ``crashed.db-wal``)."""
    with mounted_tmpfs(tmp_path / "ro", "size=4m") as disk:
        fill(disk / "closed.db", [make_alert()])
        live = AlertStore(disk / "live.db")
        live.insert([alert_row(make_alert(), BASE_TIME)])
        for suffix in ("", "-wal"):
            shutil.copyfile(disk / f"live.db{suffix}", disk / f"crashed.db{suffix}")
        live.close()
        remount = subprocess.run(
            ["mount", "-o", "remount,ro", str(disk)], capture_output=True, check=False
        )
        if remount.returncode != 0:
            pytest.skip(f"cannot remount read-only here: {remount.stderr!r}")
        yield disk


@pytest.mark.parametrize(
    ("command", "key", "value"), [("alerts", "client_ip", "203.0.113.9"), ("report", "alerts", 1)]
)
def test_a_store_on_a_read_only_file_system_is_read(
    read_only_stores: Path,
    command: str,
    key: str,
    value: object,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = read_only_stores / "closed.db"
    status = main([command, "--db", str(db), "--since", "3000d", "--json"])
    out, err = capsys.readouterr()
    assert status == 0 and err == ""
    assert json.loads(out.splitlines()[0])[key] == value
    assert sorted(p.name for p in read_only_stores.iterdir()) == [
        "closed.db", "crashed.db", "crashed.db-wal", "live.db",
    ]  # fmt: skip


def test_a_store_with_alerts_in_its_log_on_a_read_only_file_system_says_why_it_is_unread(
    read_only_stores: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["alerts", "--db", str(read_only_stores / "crashed.db")])
    err = capsys.readouterr().err
    assert status == 2 and "not an lwsyslog alert store" not in err
    assert "crashed.db: cannot read the alert store in a read-only directory" in err
    assert "crashed.db-wal holds alerts not yet in the file" in err
