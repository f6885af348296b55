"""The write side of the alert store: batched inserts, retention and a bounded size."""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from lwsyslog.errors import StoreError
from lwsyslog.store import clients, rollup
from lwsyslog.store.rows import INSERT_COLUMNS, StoreRow, names_of
from lwsyslog.store.schema import BUSY_TIMEOUT_MS, TAG_CATEGORY, TAG_RULE, open_writer

__all__ = ["AlertStore", "StoreCounters"]

_INSERT = (
    f"INSERT OR IGNORE INTO alerts ({', '.join(INSERT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(INSERT_COLUMNS))})"
)
_INSERT_TAG = "INSERT OR IGNORE INTO alert_tags (kind, value, time, alert_id) VALUES (?, ?, ?, ?)"
_DELETE_TAG = "DELETE FROM alert_tags WHERE kind = ? AND value = ? AND time = ? AND alert_id = ?"
_DAY = 86400.0
_T = TypeVar("_T")
# Each delete is its own short transaction, so a writer elsewhere waits milliseconds.
_PRUNE_BATCH = 5000
# One prune call deletes at most this many batches; the rest waits for the next call.
_MAX_BATCHES = 40


@dataclass(slots=True)
class StoreCounters:
    """What the store did since it was opened (for stats and metrics)."""

    inserted: int = 0
    duplicates: int = 0
    pruned_by_age: int = 0
    #: Deleted to stay within ``max_rows``, and within ``max_bytes``.
    pruned_by_rows: int = 0
    pruned_by_bytes: int = 0
    #: Of those deleted for size, how many were younger than ``retention_days`` (all of them
    #: without a retention): alerts the store was meant to keep.
    pruned_young: int = 0
    prune_runs: int = 0

    @property
    def pruned_by_size(self) -> int:
        """Deleted for either size bound."""
        return self.pruned_by_rows + self.pruned_by_bytes


class AlertStore:
    """An alert store open for writing.

    ``retention_days`` drops alerts older than that (by alert time); ``max_rows`` and
    ``max_bytes`` bound the store, oldest alerts deleted first, in batches. ``None`` turns a
    bound off. A write waits ``busy_timeout_ms`` for another writer's lock, then fails with
    StoreError. Not thread-safe: one writer object per thread (several processes may write
    one file; SQLite serialises them).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        retention_days: float | None = None,
        max_rows: int | None = None,
        max_bytes: int | None = None,
        clock: Callable[[], float] = time.time,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        counters: StoreCounters | None = None,
    ) -> None:
        if retention_days is not None and retention_days <= 0:
            raise StoreError(f"{path}: retention_days must be positive, got {retention_days}")
        if max_rows is not None and max_rows < 1:
            raise StoreError(f"{path}: max_rows must be at least 1, got {max_rows}")
        if max_bytes is not None and max_bytes < 1 << 20:
            raise StoreError(f"{path}: max_bytes must be at least 1 MiB, got {max_bytes}")
        self.path = Path(path)
        self.retention_days = retention_days
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.busy_timeout_ms = busy_timeout_ms
        #: Shared with the sink that reopens this store, so its counts run on across opens.
        self.counters = StoreCounters() if counters is None else counters
        self.clock = clock
        self._conn: sqlite3.Connection | None = open_writer(self.path, busy_timeout_ms)
        try:
            # Which file was opened: a store deleted or replaced while open is noticed by
            # comparing (see :meth:`replaced`).
            self.identity = _identity(self.path)
            self._rows = self._count()
        except OSError as error:
            self.close()
            raise StoreError(f"{self.path}: cannot open the alert store: {error}") from error
        except StoreError:
            self.close()
            raise

    @property
    def rows(self) -> int:
        """Alerts in the store (kept up to date by this writer; recounted on each prune)."""
        return self._rows

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection (for queries from the writing process)."""
        if self._conn is None:
            raise StoreError(f"{self.path}: the alert store is closed")
        return self._conn

    def insert(self, rows: Sequence[StoreRow]) -> int:
        """Store ``rows`` in one transaction; returns how many were new (replays are not)."""
        if not rows:
            return 0
        conn = self.connection
        try:
            added = _in_transaction(conn, lambda: self._insert(conn, rows))
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: cannot store alerts: {error}") from error
        self._rows += added
        self.counters.inserted += added
        self.counters.duplicates += len(rows) - added
        return added

    def _insert(self, conn: sqlite3.Connection, rows: Sequence[StoreRow]) -> int:
        execute = conn.execute
        tags: list[tuple[int, str, float, int]] = []
        added: list[StoreRow] = []
        for row in rows:
            cursor = execute(_INSERT, row)
            if cursor.rowcount != 1:
                continue
            alert_id = cursor.lastrowid
            assert alert_id is not None
            added.append(row)
            when = row.time
            tags.extend((TAG_RULE, rule, when, alert_id) for rule in names_of(row.rules))
            tags.extend(
                (TAG_CATEGORY, category, when, alert_id) for category in names_of(row.categories)
            )
        conn.executemany(_INSERT_TAG, tags)
        clients.add_days(conn, ((r.client_bin, r.time) for r in added))
        rollup.apply(
            conn,
            rollup.increments(
                (r.time, r.severity, r.categories, r.category, r.rule, r.host) for r in added
            ),
            1,
        )
        return len(added)

    def prune(self) -> int:
        """Apply retention, then the size bounds; returns the alerts deleted by this call."""
        counters = self.counters
        counters.prune_runs += 1
        deleted = 0
        # Alerts at or after this time are within the retention: deleting them for size
        # loses what the store was meant to keep (reported).
        cutoff = -math.inf
        try:
            if self.retention_days is not None:
                cutoff = self.clock() - self.retention_days * _DAY
                for _ in range(_MAX_BATCHES):
                    gone, _ = self._delete_oldest(_PRUNE_BATCH, before=cutoff)
                    counters.pruned_by_age += gone
                    deleted += gone
                    if gone < _PRUNE_BATCH:
                        break
            if self.max_rows is not None:
                # count(*) reads a whole index (tens of ms at a million rows): this writer's
                # own tally is trusted while well below the bound; near it, and on every
                # tenth prune (another writer may have added rows), the rows are counted.
                if self._rows >= self.max_rows * 0.95 or counters.prune_runs % 10 == 1:
                    self._rows = self._count()
                # Delete 1% beyond the bound so a full store is not pruned on every insert.
                excess = self._rows - self.max_rows
                if excess > 0:
                    excess += self.max_rows // 100
                for _ in range(_MAX_BATCHES):
                    if excess <= 0:
                        break
                    gone, young = self._delete_oldest(min(excess, _PRUNE_BATCH), young=cutoff)
                    counters.pruned_by_rows += gone
                    counters.pruned_young += young
                    deleted += gone
                    excess -= gone
                    if gone == 0:
                        break
            if self.max_bytes is not None:
                for _ in range(_MAX_BATCHES):
                    used = self.used_bytes()
                    if used <= self.max_bytes:
                        break
                    # Rows take about the same room each: delete the share that is over the
                    # bound (plus 1%), not a fixed batch that could empty a small store.
                    share = (used - self.max_bytes) / used
                    wanted = math.ceil(self._rows * share) + max(1, self._rows // 100)
                    gone, young = self._delete_oldest(min(wanted, _PRUNE_BATCH), young=cutoff)
                    counters.pruned_by_bytes += gone
                    counters.pruned_young += young
                    deleted += gone
                    if gone == 0:
                        break
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: cannot prune old alerts: {error}") from error
        return deleted

    def used_bytes(self) -> int:
        """Bytes of the database in use (pages not on the free list)."""
        conn = self.connection
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        size: int = conn.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * size)

    def _delete_oldest(
        self, limit: int, before: float | None = None, young: float = math.inf
    ) -> tuple[int, int]:
        """Delete up to ``limit`` oldest alerts (older than ``before``); how many went, and
        how many of them were at or after ``young``."""
        conn = self.connection
        times = _in_transaction(conn, lambda: _delete_batch(conn, limit, before))
        self._rows = max(0, self._rows - len(times))
        return len(times), sum(1 for when in times if when >= young)

    def replaced(self) -> bool:
        """True when the file at :attr:`path` is no longer the one this writer opened: it
        was deleted, or another file was put in its place (a writer would go on storing into
        the deleted file, which no reader finds)."""
        try:
            return _identity(self.path) != self.identity
        except FileNotFoundError:
            return True
        except OSError:
            return False  # unknown (a permission change): keep writing

    def _count(self) -> int:
        try:
            count: int = self.connection.execute("SELECT count(*) FROM alerts").fetchone()[0]
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: cannot read the alert store: {error}") from error
        return count

    def close(self) -> None:
        """Let SQLite refresh its planner statistics, then close (idempotent)."""
        if self._conn is None:
            return
        try:
            self._conn.execute("PRAGMA optimize")
        except sqlite3.Error:
            pass  # statistics are an optimisation; closing must not fail for them
        finally:
            self._conn.close()
            self._conn = None


def _identity(path: Path) -> tuple[int, int]:
    status = os.stat(path)
    return status.st_dev, status.st_ino


def _delete_batch(conn: sqlite3.Connection, limit: int, before: float | None) -> list[float]:
    """Delete the ``limit`` oldest alerts (older than ``before`` when given) with their tags,
    client days and rollup counts; the times of those that went."""
    where = "WHERE time < ?" if before is not None else ""
    params: tuple[float, ...] = (before,) if before is not None else ()
    doomed = conn.execute(
        f"SELECT id, rules, {rollup.SOURCE_COLUMNS}, client_bin FROM alerts {where} "
        "ORDER BY time LIMIT ?",
        (*params, limit),
    ).fetchall()
    tags: list[tuple[int, str, float, int]] = []
    for alert_id, rules, when, _, categories, *_rest in doomed:
        tags.extend((TAG_RULE, rule, when, alert_id) for rule in names_of(rules))
        tags.extend((TAG_CATEGORY, c, when, alert_id) for c in names_of(categories))
    conn.executemany(_DELETE_TAG, tags)
    conn.executemany("DELETE FROM alerts WHERE id = ?", [(row[0],) for row in doomed])
    clients.remove_days(conn, ((row[8], row[2]) for row in doomed))
    delta: Counter[tuple[int, int, str]] = rollup.increments(row[2:8] for row in doomed)
    rollup.apply(conn, delta, -1)
    return [row[2] for row in doomed]


def _in_transaction(conn: sqlite3.Connection, work: Callable[[], _T]) -> _T:
    """``work()`` in one write transaction: committed, or rolled back raising its error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work()
        conn.execute("COMMIT")
    except BaseException:
        _roll_back(conn)
        raise
    return result


def _roll_back(conn: sqlite3.Connection) -> None:
    """Undo the open transaction, if SQLite has not already: after SQLITE_FULL or SQLITE_IOERR
    it rolls back by itself, and a second ROLLBACK ("no transaction is active") would replace
    the error that says what went wrong."""
    if not conn.in_transaction:
        return
    # A failed ROLLBACK is not raised: the caller raises the error that caused it, which says why.
    with contextlib.suppress(sqlite3.Error):
        conn.execute("ROLLBACK")
