"""Alerts per client: the ``client_days`` rollup kept with the alerts, and what the report
asks of it (each client's count, first and last seen, what it tried, who is new).

A period's whole UTC days are read from ``client_days`` (one row per client and day); the
partial days at either end from the ``(time, client)`` index. Both give exact numbers.
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lwsyslog.store.rows import client_text, names_of

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


@dataclass(frozen=True, slots=True)
class ClientActivity:
    """One client's alerts in a period."""

    key: bytes
    alerts: int
    first_seen: float
    last_seen: float

    @property
    def client(self) -> str:
        """The client as text (made only for the clients a report shows)."""
        return client_text(self.key)


def client_activity(conn: sqlite3.Connection, since: float, until: float) -> list[ClientActivity]:
    """Every client with alerts in ``[since, until)``, most alerts first."""
    totals: dict[bytes, list[float]] = {}
    for key, n, first, last in _client_rows(conn, since, until):
        entry = totals.get(key)
        if entry is None:
            totals[key] = [n, first, last]
        else:
            entry[0] += n
            entry[1] = min(entry[1], first)
            entry[2] = max(entry[2], last)
    ranked = sorted(totals.items(), key=lambda item: (-item[1][0], item[0]))
    return [ClientActivity(key, int(n), first, last) for key, (n, first, last) in ranked]


def clients_seen(conn: sqlite3.Connection, since: float, until: float) -> set[bytes]:
    """Keys of the clients with alerts in ``[since, until)``."""
    return {row[0] for row in _client_rows(conn, since, until)}


def _client_rows(
    conn: sqlite3.Connection, since: float, until: float
) -> Iterator[tuple[bytes, int, float, float]]:
    """(key, alerts, first, last) pieces whose sums per key are exact for the period."""
    if until <= since:
        return
    first_day = math.ceil(since / DAY) * DAY
    end_day = int(until // DAY) * DAY
    edges = [(since, until)]
    if first_day < end_day:
        yield from conn.execute(
            "SELECT client_bin, n, first, last FROM client_days WHERE day >= ? AND day < ?",
            (first_day, end_day),
        )
        edges = [(since, float(first_day)), (float(end_day), until)]
    for start, stop in edges:
        if start < stop:
            for key, when in conn.execute(
                "SELECT client_bin, time FROM alerts "
                "WHERE time >= ? AND time < ? AND client_bin IS NOT NULL",
                (start, stop),
            ):
                yield key, 1, when, when


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
    # Grouped in SQL over the covering client index: a busy client has tens of thousands
    # of alerts but few distinct kinds.
    for names, rule, host, n in conn.execute(
        "SELECT categories, rule, host, count(*) FROM alerts "
        "WHERE client_bin = ? AND time >= ? AND time < ? GROUP BY categories, rule, host",
        (key, since, until),
    ):
        for name in names_of(names) or ("",):
            categories[name] += n
        rules[rule] += n
        hosts[host] += n
    return ClientDetail(_ranked(categories), _ranked(rules), _ranked(hosts))


def _ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))
