"""Per-client activity over a period, for the report: counts, first and last seen, what each
client tried, and which clients were not seen in the period before."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass

from lwsyslog.store.rows import client_text

__all__ = ["ClientActivity", "ClientDetail", "client_activity", "client_detail", "clients_seen"]


@dataclass(frozen=True, slots=True)
class ClientActivity:
    """One client's alerts in a period."""

    client: str
    key: bytes
    alerts: int
    first_seen: float
    last_seen: float


def client_activity(conn: sqlite3.Connection, since: float, until: float) -> list[ClientActivity]:
    """Every client with alerts in ``[since, until)``, most alerts first."""
    rows = conn.execute(
        "SELECT client_bin, count(*), min(time), max(time) FROM alerts "
        "WHERE time >= ? AND time < ? AND client_bin IS NOT NULL GROUP BY client_bin",
        (since, until),
    ).fetchall()
    rows.sort(key=lambda row: (-row[1], row[0]))
    return [ClientActivity(client_text(key), key, n, first, last) for key, n, first, last in rows]


def clients_seen(conn: sqlite3.Connection, since: float, until: float) -> set[bytes]:
    """Keys of the clients with alerts in ``[since, until)``."""
    return {
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT client_bin FROM alerts "
            "WHERE time >= ? AND time < ? AND client_bin IS NOT NULL",
            (since, until),
        )
    }


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
    # Grouped in SQL: a busy client has tens of thousands of alerts but few distinct kinds.
    for names, rule, host, n in conn.execute(
        "SELECT categories, rule, host, count(*) FROM alerts "
        "WHERE client_bin = ? AND time >= ? AND time < ? GROUP BY categories, rule, host",
        (key, since, until),
    ):
        for name in json.loads(names):
            categories[name] += n
        rules[rule] += n
        hosts[host] += n
    return ClientDetail(categories=_ranked(categories), rules=_ranked(rules), hosts=_ranked(hosts))


def _ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))
