"""The alert store's SQLite schema, and opening a store for writing or for reading.

One row per alert in ``alerts``. Filters on rules and categories (an alert names several) go
through ``alert_tags``; hourly counts per severity, category, rule and host live in
``rollup`` and alerts per client and UTC day in ``client_days``, so a report over a week
reads a few thousand rollup rows and one row per client and day instead of every alert.

Indexes were chosen by measurement (bench/bench_store.py): every index keyed on something
that grows with time (time, host, severity) costs almost nothing per insert, while an index
keyed on a random value (a client address) dirties one page per row. Identity is therefore
``UNIQUE(event_time, fingerprint)`` rather than ``UNIQUE(fingerprint)``: a replayed alert has
the same time and fingerprint, and the index grows at its end.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from lwsyslog.errors import StoreError

__all__ = [
    "BUSY_TIMEOUT_MS",
    "DEFAULT_STORE_PATH",
    "KEYS_INDEX",
    "SCHEMA_VERSION",
    "TAG_CATEGORY",
    "TAG_RULE",
    "open_reader",
    "open_writer",
]

DEFAULT_STORE_PATH = "/var/lib/lwsyslog/alerts.db"
SCHEMA_NAME = "lwsyslog-alerts"
SCHEMA_VERSION = 1
TAG_RULE = 1
TAG_CATEGORY = 2
KEYS_INDEX = "alerts_keys"
# What a query checks on an alert it meets, by id, without reading the alert's row (about
# 1 KB with its line): see lwsyslog.store.plan. Ids grow, so the index grows at its end.
# Stores made before it get it when a writer opens them (about 1 s per million alerts).
_KEYS_DDL = (
    f"CREATE INDEX IF NOT EXISTS {KEYS_INDEX} ON alerts(id, severity_rank, host, client_bin)"
)

# The writer's page cache: enough for the hot end of every index at a million rows; the
# default (2 MB) makes each insert into the client index a page read.
_WRITER_CACHE_KIB = 32 * 1024
_READER_CACHE_KIB = 64 * 1024
# A second writer (another omprog shard, a scan) holds the lock for milliseconds.
BUSY_TIMEOUT_MS = 2000

_DDL = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta VALUES ('schema', '{SCHEMA_NAME}'), ('version', '{SCHEMA_VERSION}');
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,           -- the alert's last_time; the storing time when it has none
    event_time REAL NOT NULL,     -- last_time, 0 when unknown: part of the identity
    first_time REAL,
    stored_at REAL NOT NULL,
    rule TEXT NOT NULL,           -- the rule that raised the alert
    rules TEXT NOT NULL,          -- JSON array: every rule the alert names
    category TEXT NOT NULL,       -- the first (leading) category, '' when none
    categories TEXT NOT NULL,     -- JSON array
    cves TEXT NOT NULL,           -- JSON array
    severity TEXT NOT NULL,
    severity_rank INTEGER NOT NULL,
    client_ip TEXT NOT NULL,
    client_bin BLOB,              -- 16-byte address (IPv4 mapped) for CIDR ranges
    key TEXT NOT NULL,
    host TEXT NOT NULL,
    log TEXT NOT NULL,
    count INTEGER NOT NULL,
    window_secs REAL NOT NULL,
    message TEXT NOT NULL,
    sample TEXT NOT NULL,
    source TEXT NOT NULL,
    last_source TEXT NOT NULL,
    message_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS alerts_identity ON alerts(event_time, fingerprint);
CREATE INDEX IF NOT EXISTS alerts_time ON alerts(time, client_bin);
-- Covers what the report asks of one client (what it tried, where), not just the filter.
CREATE INDEX IF NOT EXISTS alerts_client ON alerts(client_bin, time, rule, host, categories);
CREATE INDEX IF NOT EXISTS alerts_host ON alerts(host, time);
CREATE INDEX IF NOT EXISTS alerts_severity ON alerts(severity_rank, time);
{_KEYS_DDL};
CREATE TABLE IF NOT EXISTS alert_tags (
    kind INTEGER NOT NULL,
    value TEXT NOT NULL,
    time REAL NOT NULL,
    alert_id INTEGER NOT NULL,
    PRIMARY KEY (kind, value, time, alert_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS client_days (
    day INTEGER NOT NULL,         -- epoch seconds of the UTC day
    client_bin BLOB NOT NULL,
    n INTEGER NOT NULL,
    first REAL NOT NULL,
    last REAL NOT NULL,
    PRIMARY KEY (day, client_bin)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup (
    hour INTEGER NOT NULL,        -- epoch seconds of the UTC hour
    dim INTEGER NOT NULL,
    value TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (hour, dim, value)
) WITHOUT ROWID;
"""


def open_writer(
    path: str | os.PathLike[str], busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> sqlite3.Connection:
    """Open (creating when absent) the store at ``path`` for writing: WAL, synchronous=NORMAL.
    A write waits up to ``busy_timeout_ms`` for another writer's lock.

    Raises :class:`StoreError` naming the file when it cannot be created or is some other
    SQLite database.
    """
    target = Path(path)
    if target.is_dir():
        raise StoreError(f"{target}: is a directory, not an alert store")
    try:
        # Attacker-written text and client addresses: readable by administrators only.
        target.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
        if not target.exists():
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o640))
        conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as error:
        raise StoreError(f"{target}: cannot open the alert store: {_reason(error)}") from error
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(f"PRAGMA cache_size = -{_WRITER_CACHE_KIB}")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if not tables:
            # Idempotent: two writers creating the store at once both succeed.
            conn.executescript("BEGIN IMMEDIATE;" + _DDL + "COMMIT;")
        else:
            _check(conn, target, tables)
            conn.execute(_KEYS_DDL)
    except sqlite3.Error as error:
        conn.close()
        raise StoreError(f"{target}: cannot use as an alert store: {_reason(error)}") from error
    except StoreError:
        conn.close()
        raise
    return conn


def open_reader(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open an existing store read-only; :class:`StoreError` names the file when it is
    missing, unreadable or not an lwsyslog alert store. Never creates anything, except the
    ``-shm`` index SQLite needs beside a store in WAL mode, when the directory allows.

    In a directory no one may write to (a read-only mount, a backup), a store closed cleanly
    is read as immutable; one whose write-ahead log still holds alerts cannot be read there,
    and the error says so."""
    target = Path(path)
    if not target.exists():
        raise StoreError(f"{target}: no alert store there (no such file)")
    if target.is_dir():
        raise StoreError(f"{target}: is a directory, not an alert store")
    if not os.access(target, os.R_OK):
        raise StoreError(f"{target}: cannot read the alert store (permission denied)")
    try:
        return _connect_reader(target, immutable=False)
    except _CannotOpenError as error:
        if os.access(target.parent, os.W_OK):
            raise StoreError(f"{target}: cannot open the alert store ({error})") from None
    # SQLite reads a store in WAL mode through the -shm file beside it, which it could not
    # create here: without a write-ahead log to read, the file alone is the whole store.
    wal = target.with_name(target.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise StoreError(
            f"{target}: cannot read the alert store in a read-only directory: {wal.name} "
            f"holds alerts not yet in the file, and SQLite needs to create {target.name}-shm "
            "to read them (copy the store and its -wal file to a writable directory)"
        )
    try:
        return _connect_reader(target, immutable=True)
    except _CannotOpenError as error:
        raise StoreError(f"{target}: cannot open the alert store ({error})") from None


class _CannotOpenError(Exception):
    """SQLite could not open the file (or its -shm beside it): SQLITE_CANTOPEN."""


def _connect_reader(target: Path, *, immutable: bool) -> sqlite3.Connection:
    uri = f"file:{quote(str(target.resolve()))}?mode=ro" + ("&immutable=1" if immutable else "")
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as error:
        raise StoreError(f"{target}: cannot open the alert store: {_reason(error)}") from error
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute(f"PRAGMA cache_size = -{_READER_CACHE_KIB}")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        _check(conn, target, tables)
    except sqlite3.DatabaseError as error:
        conn.close()
        if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_CANTOPEN:
            raise _CannotOpenError(_reason(error)) from error
        raise StoreError(f"{target}: not an lwsyslog alert store ({_reason(error)})") from error
    except StoreError:
        conn.close()
        raise
    return conn


def _check(conn: sqlite3.Connection, target: Path, tables: set[str]) -> None:
    if "meta" not in tables or "alerts" not in tables:
        raise StoreError(
            f"{target}: not an lwsyslog alert store (an SQLite file without its tables)"
        )
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    if meta.get("schema") != SCHEMA_NAME:
        raise StoreError(f"{target}: not an lwsyslog alert store (schema {meta.get('schema')!r})")
    version = meta.get("version", "")
    if not version.isdigit() or int(version) > SCHEMA_VERSION:
        raise StoreError(
            f"{target}: made by a newer lwsyslog (store version {version}, this one reads "
            f"{SCHEMA_VERSION})"
        )


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error)
