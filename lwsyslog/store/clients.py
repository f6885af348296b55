"""Alerts per client: the ``client_days`` rollup kept with the alerts, and what the report
asks of it (each client's count, first and last seen, what it tried, who is new).

A period's whole UTC days are read from ``client_days`` (one row per client and day); the
partial days at either end from the ``(time, client)`` index. Both give exact numbers.
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from lwsyslog.store.rows import names_of

__all__ = [
    "ClientActivity",
    "ClientDetail",
    "add_days",
    "client_activity",
    "client_detail",
    "clients_seen",
    "remove_days",
]

DAY = 86400
_ADD = (
    "INSERT INTO client_days (day, client_bin, n, first, last) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (day, client_bin) DO UPDATE SET n = n + excluded.n, "
    "first = min(first, excluded.first), last = max(last, excluded.last)"
)


def add_days(conn: sqlite3.Connection, rows: Iterable[tuple[bytes | None, float]]) -> None:
    """Count new alerts, given as (client key, time), into ``client_days``."""
    days: dict[tuple[int, bytes], list[float]] = {}
    for key, when in rows:
        if key is None:
            continue
        slot = (int(when // DAY) * DAY, key)
        entry = days.get(slot)
        if entry is None:
            days[slot] = [1, when, when]
        else:
            entry[0] += 1
            entry[1] = min(entry[1], when)
            entry[2] = max(entry[2], when)
    conn.executemany(_ADD, [(d, k, int(n), f, last) for (d, k), (n, f, last) in days.items()])


def remove_days(conn: sqlite3.Connection, rows: Iterable[tuple[bytes | None, float]]) -> None:
    """Take deleted alerts, given as (client key, time), out of ``client_days``; call after
    they are gone from ``alerts`` (first and last seen are read again from what is left)."""
    gone: Counter[tuple[int, bytes]] = Counter()
    for key, when in rows:
        if key is not None:
            gone[int(when // DAY) * DAY, key] += 1
    conn.executemany(
        "UPDATE client_days SET n = n - ? WHERE day = ? AND client_bin = ?",
        [(n, day, key) for (day, key), n in gone.items()],
    )
    conn.executemany(
        "DELETE FROM client_days WHERE day = ? AND client_bin = ? AND n <= 0", list(gone)
    )
    for day, key in gone:
        first, last = conn.execute(
            "SELECT min(time), max(time) FROM alerts WHERE client_bin = ? AND time >= ? "
            "AND time < ?",
            (key, day, day + DAY),
        ).fetchone()
        if first is not None:
            conn.execute(
                "UPDATE client_days SET first = ?, last = ? WHERE day = ? AND client_bin = ?",
                (first, last, day, key),
            )


# (client key, alerts, first seen, last seen): a plain tuple, a week has tens of thousands.
ClientActivity = tuple[bytes, int, float, float]


def client_activity(conn: sqlite3.Connection, since: float, until: float) -> list[ClientActivity]:
    """Every client with alerts in ``[since, until)``, most alerts first (then by address);
    :func:`lwsyslog.store.rows.client_text` turns a key into the client it stands for."""
    pieces, params = _pieces(since, until)
    if not pieces:
        return []
    rows: list[ClientActivity] = conn.execute(
        f"SELECT client_bin, sum(n) AS total, min(first), max(last) FROM ({pieces}) "
        "GROUP BY client_bin ORDER BY total DESC, client_bin",
        params,
    ).fetchall()
    return rows


def clients_seen(conn: sqlite3.Connection, since: float, until: float) -> set[bytes]:
    """Keys of the clients with alerts in ``[since, until)``."""
    pieces, params = _pieces(since, until, keys_only=True)
    if not pieces:
        return set()
    return {row[0] for row in conn.execute(pieces, params)}


def _pieces(since: float, until: float, *, keys_only: bool = False) -> tuple[str, list[float]]:
    """A query of (client_bin, n, first, last) rows whose sums per client are exact for the
    period: whole UTC days from ``client_days``, the partial days from the alerts. With
    ``keys_only``, the distinct client keys alone (UNION drops the repeats)."""
    if until <= since:
        return "", []
    first_day = math.ceil(since / DAY) * DAY
    end_day = int(until // DAY) * DAY
    columns = "client_bin" if keys_only else "client_bin, 1 AS n, time AS first, time AS last"
    raw = f"SELECT {columns} FROM alerts WHERE time >= ? AND time < ? AND client_bin IS NOT NULL"
    if first_day >= end_day:
        return (f"{raw} GROUP BY client_bin" if keys_only else raw), [since, until]
    days = "SELECT " + ("client_bin" if keys_only else "client_bin, n, first, last")
    days += " FROM client_days WHERE day >= ? AND day < ?"
    union = "UNION" if keys_only else "UNION ALL"
    return (
        f"{days} {union} {raw} {union} {raw}",
        [first_day, end_day, since, first_day, end_day, until],
    )


@dataclass(frozen=True, slots=True)
class ClientDetail:
    """What one client tried in a period: categories, rules and hosts with their counts."""

    categories: list[tuple[str, int]]
    rules: list[tuple[str, int]]
    hosts: list[tuple[str, int]]


def client_detail(conn: sqlite3.Connection, key: bytes, since: float, until: float) -> ClientDetail:
    """Categories (every one an alert names), rules (the raising rule) and hosts of one
    client's alerts in ``[since, until)``, most frequent first."""
    categories: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    hosts: Counter[str] = Counter()
    # Counted here over the covering client index: cheaper than a GROUP BY's sort for a
    # busy client (tens of thousands of alerts, few distinct kinds).
    kinds = Counter(
        conn.execute(
            "SELECT categories, rule, host FROM alerts "
            "WHERE client_bin = ? AND time >= ? AND time < ?",
            (key, since, until),
        )
    )
    for (names, rule, host), n in kinds.items():
        for name in names_of(names) or ("",):
            categories[name] += n
        rules[rule] += n
        hosts[host] += n
    return ClientDetail(_ranked(categories), _ranked(rules), _ranked(hosts))


def _ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))
