"""The durable outbox: the sender's SQLite file in WAL mode under the state directory.

Only the sender process (and, in tests, a notifier driven by hand) opens it: the omprog
program appends alerts to its own inbox files (:mod:`lwsyslog.notify.inbox`) and never waits
on this database. Three tables, one per stage, so every stage survives a restart:

- ``inbox``: alerts the sender took from the inbox files (one row each; the fingerprint is
  unique, so an alert raised again by a line rsyslog replays is stored once), committed with
  the inbox position after them (``meta``). Routed rows keep only their fingerprint for a day,
  for that check.
- ``pending``: an alert a channel took, waiting for its group to be sent (grouping interval,
  quiet hours, rate limit).
- ``messages``: a rendered-to-be notification for one delivery target, with its stable
  delivery id, attempts and the time of its next attempt. A row is deleted only after the
  target accepted it; a sender working on a row leases it so no other sender sends it too.

Each thread of the sender uses its own :class:`Outbox` (its own connection); SQLite's WAL lets
readers run beside the one writer, and every write transaction is short.
``synchronous=NORMAL`` survives a crash of the sender (the WAL is in the page cache);
``fsync = true`` in ``[notify]`` makes it ``FULL`` to survive a power cut too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lwsyslog.errors import LwsyslogError
from lwsyslog.notify.inbox_reader import InboxRecord, Position

__all__ = [
    "BUSY_TIMEOUT_SECS",
    "MessageRow",
    "Outbox",
    "OutboxError",
    "OutboxLock",
    "PendingMeta",
    "outbox_path",
]

ROW_OVERHEAD_BYTES = 96
"""Bytes counted per row on top of its body, for the outbox bound."""

BUSY_TIMEOUT_SECS = 10.0
"""How long an operation waits for another connection's write lock before it fails with
"database is locked"; the sender's threads then try again (see
:func:`lwsyslog.notify.workers.open_retrying`)."""

_SCHEMA_VERSION = "1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    routed INTEGER NOT NULL DEFAULT 0,
    at REAL NOT NULL,
    critical INTEGER NOT NULL,
    size INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS inbox_unrouted ON inbox (id) WHERE routed = 0;
CREATE TABLE IF NOT EXISTS pending (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    group_key TEXT NOT NULL,
    rule TEXT NOT NULL,
    client TEXT NOT NULL,
    critical INTEGER NOT NULL,
    at REAL NOT NULL,
    size INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS pending_channel ON pending (channel, at);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    delivery_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    target INTEGER NOT NULL,
    critical INTEGER NOT NULL,
    created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until REAL NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    size INTEGER NOT NULL,
    body BLOB NOT NULL,
    UNIQUE (delivery_id, target)
);
CREATE INDEX IF NOT EXISTS messages_due ON messages (channel, next_attempt);
"""
_MAX_PARAMS = 500


class OutboxError(LwsyslogError):
    """The outbox file cannot be opened, locked or written (names the file)."""


def outbox_path(state_dir: Path, instance: str = "default") -> Path:
    """Where the program called ``instance`` keeps its outbox."""
    return state_dir / f"notify-outbox-{instance}.db"


class OutboxLock:
    """An exclusive ``flock`` on ``<outbox>.lock``: one program per outbox.

    Two programs sending from one outbox would each send every message. The lock is released
    when the holder exits, however it exits.
    """

    def __init__(self, path: Path, wait_secs: float = 5.0) -> None:
        self.path = path.with_name(path.name + ".lock")
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        deadline = time.monotonic() + wait_secs
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                # A predecessor still shutting down may hold it a moment longer.
                if time.monotonic() >= deadline:
                    os.close(self._fd)
                    raise OutboxError(
                        f"{path} is in use by another program (lock {self.path}); give each "
                        "omprog instance its own --instance or --state-dir"
                    ) from None
                time.sleep(0.05)

    def release(self) -> None:
        """Give the lock back (idempotent)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


@dataclass(frozen=True, slots=True)
class PendingMeta:
    """A pending row without its body: what grouping decides on."""

    id: int
    channel: str
    group_key: str
    rule: str
    client: str
    critical: bool
    at: float
    size: int


@dataclass(frozen=True, slots=True)
class MessageRow:
    """A message leased for one delivery attempt."""

    id: int
    delivery_id: str
    channel: str
    target: int
    critical: bool
    created: float
    attempts: int
    size: int
    body: bytes


NewMessage = tuple[str, str, int, bool, float, float, bytes]
"""(delivery_id, channel, target, critical, created, next_attempt, body)."""


class Outbox:
    """One connection to the outbox file, with the few operations the notifier needs."""

    def __init__(
        self,
        path: Path,
        *,
        fsync: bool = False,
        busy_timeout_secs: float = BUSY_TIMEOUT_SECS,
    ):
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                path, timeout=busy_timeout_secs, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as error:
            raise OutboxError(f"cannot open the outbox {path}: {error}") from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
            self._db.executescript(_SCHEMA)
            self._db.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)", (_SCHEMA_VERSION,)
            )
        except sqlite3.Error as error:
            # Closed here: a caller that tries again must not pile up open connections.
            self._db.close()
            raise OutboxError(f"cannot open the outbox {path}: {error}") from None
        with contextlib.suppress(OSError):
            os.chmod(path, 0o600)  # alert content and message bodies: not for every user

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    # --- what the sender takes from the program's inbox ----------------------------------

    def ingest(self, records: Sequence[InboxRecord], position: Position, torn: int) -> int:
        """Store inbox records and the inbox position after them, in one transaction.

        A record whose fingerprint is stored already (a line rsyslog replayed, or records read
        again after a sender was killed before this commit) is skipped. ``torn`` is added to
        the count of torn inbox records kept here, so it is counted exactly once too. Returns
        how many records were new.
        """
        sql = (
            "INSERT OR IGNORE INTO inbox (fingerprint, at, critical, size, body) VALUES (?,?,?,?,?)"
        )
        with self._write() as db:
            before = db.total_changes
            db.executemany(
                sql,
                [
                    (r.fingerprint, r.at, r.critical, len(r.body) + ROW_OVERHEAD_BYTES, r.body)
                    for r in records
                ],
            )
            inserted = db.total_changes - before
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('inbox_position', ?)",
                (f"{position[0]}:{position[1]}",),
            )
            if torn:
                db.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('inbox_torn', ?)",
                    (str(self._meta_int(db, "inbox_torn") + torn),),
                )
        return inserted

    def inbox_position(self) -> Position:
        """The committed inbox position ((0, 0): nothing read yet)."""
        seq, _, offset = self.get_meta("inbox_position").partition(":")
        try:
            return int(seq), int(offset)
        except ValueError:
            return 0, 0

    def inbox_torn(self) -> int:
        """Torn inbox records skipped over the life of this outbox."""
        return self._meta_int(self._db, "inbox_torn")

    @staticmethod
    def _meta_int(db: sqlite3.Connection, key: str) -> int:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        try:
            return int(row[0]) if row else 0
        except ValueError:
            return 0

    # --- routing and grouping -------------------------------------------------------------

    def unrouted(self, limit: int) -> list[tuple[int, float, bytes]]:
        """Up to ``limit`` (id, stored at, body) inbox rows not routed yet, oldest first."""
        return self._db.execute(
            "SELECT id, at, body FROM inbox WHERE routed = 0 ORDER BY id LIMIT ?", (limit,)
        ).fetchall()

    def route(
        self,
        inbox_ids: Sequence[int],
        pending: Sequence[tuple[str, str, str, str, bool, float, bytes]],
    ) -> list[int]:
        """Mark inbox rows routed and add (channel, group_key, rule, client, critical, at,
        body) pending rows, in one transaction; the new pending ids in order."""
        with self._write() as db:
            db.executemany(
                "UPDATE inbox SET routed = 1, body = x'', size = 0 WHERE id = ?",
                [(i,) for i in inbox_ids],
            )
            ids = []
            for channel, key, rule, client, critical, at, body in pending:
                cursor = db.execute(
                    "INSERT INTO pending (channel, group_key, rule, client, critical, at, size,"
                    " body) VALUES (?,?,?,?,?,?,?,?)",
                    (
                        channel,
                        key,
                        rule,
                        client,
                        critical,
                        at,
                        len(body) + ROW_OVERHEAD_BYTES,
                        body,
                    ),
                )
                ids.append(int(cursor.lastrowid or 0))
            return ids

    def pending_meta(self) -> list[PendingMeta]:
        """Every pending row without its body (to rebuild the groups at start)."""
        rows = self._db.execute(
            "SELECT id, channel, group_key, rule, client, critical, at, size FROM pending"
            " ORDER BY id"
        ).fetchall()
        return [PendingMeta(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7]) for r in rows]

    def pending_bodies(self, ids: Sequence[int]) -> list[bytes]:
        """The bodies of pending rows ``ids`` (those still there), in id order."""
        bodies: list[bytes] = []
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            bodies.extend(
                row[0]
                for row in self._db.execute(
                    f"SELECT body FROM pending WHERE id IN ({marks}) ORDER BY id", chunk
                )
            )
        return bodies

    def flush(self, pending_ids: Sequence[int], messages: Sequence[NewMessage]) -> None:
        """Replace pending rows by messages, atomically: a crash leaves one or the other."""
        with self._write() as db:
            for chunk in _chunks(pending_ids):
                db.execute(f"DELETE FROM pending WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            db.executemany(
                "INSERT OR IGNORE INTO messages (delivery_id, channel, target, critical, created,"
                " next_attempt, size, body) VALUES (?,?,?,?,?,?,?,?)",
                [
                    (d, ch, t, c, cr, na, len(body) + ROW_OVERHEAD_BYTES, body)
                    for d, ch, t, c, cr, na, body in messages
                ],
            )

    # --- delivery ----------------------------------------------------------------------------

    def lease_next(self, channel: str, now: float, owner: str, until: float) -> MessageRow | None:
        """Lease the next due message of ``channel`` (critical first, then oldest), or None."""
        with self._write() as db:
            row = db.execute(
                "SELECT id, delivery_id, channel, target, critical, created, attempts, size, body"
                " FROM messages WHERE channel = ? AND next_attempt <= ? AND lease_until < ?"
                " ORDER BY critical DESC, id LIMIT 1",
                (channel, now, now),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE messages SET lease_owner = ?, lease_until = ? WHERE id = ?",
                (owner, until, row[0]),
            )
        return MessageRow(row[0], row[1], row[2], row[3], bool(row[4]), *row[5:])

    def delivered(self, message_id: int) -> int:
        """Delete a message its target accepted; the bytes freed (0 when already gone)."""
        with self._write() as db:
            row = db.execute("SELECT size FROM messages WHERE id = ?", (message_id,)).fetchone()
            db.execute("DELETE FROM messages WHERE id = ?", (message_id,))
        return int(row[0]) if row else 0

    def failed(self, message_id: int, next_attempt: float, error: str) -> None:
        """Count a failed attempt and schedule the next one; releases the lease."""
        with self._write() as db:
            db.execute(
                "UPDATE messages SET attempts = attempts + 1, next_attempt = ?, last_error = ?,"
                " lease_owner = '', lease_until = 0 WHERE id = ?",
                (next_attempt, error[:500], message_id),
            )

    def next_due(self, channel: str) -> float | None:
        """When the next message of ``channel`` is due (None: none waiting)."""
        row = self._db.execute(
            "SELECT min(max(next_attempt, lease_until)) FROM messages WHERE channel = ?",
            (channel,),
        ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def release_leases(self, keep_owner_prefix: str) -> int:
        """Clear leases of owners not starting with ``keep_owner_prefix`` (dead programs)."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE messages SET lease_owner = '', lease_until = 0"
                " WHERE lease_until > 0 AND substr(lease_owner, 1, ?) != ?",
                (len(keep_owner_prefix), keep_owner_prefix),
            )
            return cursor.rowcount

    # --- bounds and housekeeping ----------------------------------------------------------

    def totals(self) -> tuple[int, int, int, int]:
        """(bytes, unrouted alerts, pending alerts, messages) now in the outbox."""
        row = self._db.execute(
            "SELECT (SELECT total(size) FROM inbox WHERE routed = 0)"
            " + (SELECT total(size) FROM pending) + (SELECT total(size) FROM messages),"
            " (SELECT count(*) FROM inbox WHERE routed = 0),"
            " (SELECT count(*) FROM pending), (SELECT count(*) FROM messages)"
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2]), int(row[3])

    def oldest_droppable(self, critical: bool, limit: int) -> list[tuple[float, str, int, int]]:
        """Up to ``limit`` (time, table, id, size) of the oldest pending rows and unleased
        messages with the given criticality, oldest first."""
        rows = self._db.execute(
            "SELECT at, 'pending', id, size FROM pending WHERE critical = ?1"
            " UNION ALL SELECT created, 'messages', id, size FROM messages"
            " WHERE critical = ?1 AND lease_until = 0 ORDER BY 1 LIMIT ?2",
            (critical, limit),
        ).fetchall()
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def delete_rows(self, rows: Iterable[tuple[str, int]]) -> None:
        """Delete (table, id) rows of ``pending`` or ``messages``."""
        with self._write() as db:
            for table, row_id in rows:
                if table in ("pending", "messages"):
                    db.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))

    def expired(self, before: float) -> list[tuple[int, str, int]]:
        """(id, channel, size) of messages created before ``before`` and not leased."""
        return self._db.execute(
            "SELECT id, channel, size FROM messages WHERE created < ? AND lease_until = 0",
            (before,),
        ).fetchall()

    def orphans(self, channels: Sequence[str]) -> list[tuple[str, int, int]]:
        """(table, id, size) of pending rows and messages of channels not in ``channels``."""
        marks = ",".join("?" * len(channels)) or "''"
        params = list(channels)
        return self._db.execute(
            f"SELECT 'pending', id, size FROM pending WHERE channel NOT IN ({marks})"
            f" UNION ALL SELECT 'messages', id, size FROM messages WHERE channel NOT IN ({marks})"
            " AND lease_until = 0",
            params + params,
        ).fetchall()

    def prune_fingerprints(self, older_than: float, keep: int) -> None:
        """Forget routed fingerprints older than ``older_than`` or beyond the newest ``keep``."""
        with self._write() as db:
            db.execute("DELETE FROM inbox WHERE routed = 1 AND at < ?", (older_than,))
            db.execute(
                "DELETE FROM inbox WHERE routed = 1 AND id < (SELECT id FROM inbox"
                " WHERE routed = 1 ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (keep,),
            )

    def get_meta(self, key: str) -> str:
        """The value stored under ``key`` in the ``meta`` table ('' when none)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else ""

    def set_meta(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``."""
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def checkpoint(self) -> None:
        """Copy what the WAL holds into the database file, without waiting for readers."""
        self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _write(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error).

    IMMEDIATE takes the write lock at the start, so the busy timeout applies there instead of
    failing at once when a deferred read transaction tries to become a writer.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> sqlite3.Connection:
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _MAX_PARAMS):
        yield list(ids[start : start + _MAX_PARAMS])
