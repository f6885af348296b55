"""Reading alerts back: filters by time, client (address or CIDR), rule, category, host and
minimum severity, newest ``limit`` alerts returned in time order. Which index answers a
query, and why it stays fast whatever the filters combine, is :mod:`lwsyslog.store.plan`'s
business; this module turns the ids it finds into alerts."""

from __future__ import annotations

import ipaddress
import itertools
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from lwsyslog.errors import StoreError
from lwsyslog.severity import Severity
from lwsyslog.store.plan import Conditions, make_plan
from lwsyslog.store.rows import READ_COLUMNS, StoredAlert, canonical_client, client_key

__all__ = [
    "AlertFilter",
    "AlertQuery",
    "client_range",
    "conditions",
    "iter_alerts",
    "select_alerts",
]

_V4_MAPPED = bytes(10) + b"\xff\xff"
_COLUMNS = ", ".join(f"a.{name}" for name in READ_COLUMNS)
_FETCH = 256
"""Alerts read from their rows at a time, by id."""


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """Which alerts to read. Times are epoch seconds, ``since <= time < until``; ``client``
    is an address, a CIDR network (``203.0.113.0/24``) or another client text; ``rule``
    matches any rule an alert names, ``category`` any of its categories; ``limit`` keeps the
    newest alerts (None: all)."""

    since: float | None = None
    until: float | None = None
    client: str | None = None
    rule: str | None = None
    category: str | None = None
    host: str | None = None
    min_severity: Severity | None = None
    limit: int | None = 100


def client_range(client: str) -> tuple[bytes, bytes]:
    """The lowest and highest client keys ``client`` matches: one key for an address or a
    name, the whole network for a CIDR (``/`` in the text). ValueError for a bad network."""
    if "/" in client:
        network = ipaddress.ip_network(client.strip(), strict=False)
        low, high = network.network_address.packed, network.broadcast_address.packed
        if network.version == 4:
            return _V4_MAPPED + low, _V4_MAPPED + high
        return low, high
    key = client_key(canonical_client(client.strip()))
    assert key is not None
    return key, key


def conditions(flt: AlertFilter) -> Conditions:
    """``flt`` in the store's terms (a client as a key range). ValueError for a bad network."""
    return Conditions(
        since=flt.since,
        until=flt.until,
        client=client_range(flt.client) if flt.client else None,
        rule=flt.rule,
        category=flt.category,
        host=flt.host,
        min_rank=flt.min_severity.rank if flt.min_severity is not None else None,
    )


class AlertQuery:
    """One query, planned once (:mod:`lwsyslog.store.plan`): its alerts, and how many there
    are. ValueError for a bad network in the filter."""

    def __init__(self, conn: sqlite3.Connection, flt: AlertFilter) -> None:
        self.conn = conn
        self.filter = flt
        self.plan = make_plan(conn, conditions(flt))

    def alerts(
        self, *, newest_first: bool = True, limit: int | None = None
    ) -> Iterator[StoredAlert]:
        """The alerts in time order (newest first unless told otherwise), at most ``limit``,
        read lazily: the first come at once, and memory stays bounded."""
        conn = self.conn
        ids = self.plan.ids(conn, newest_first=newest_first, limit=limit)
        while chunk := list(itertools.islice(ids, _FETCH)):
            marks = ", ".join("?" * len(chunk))
            rows = {
                row[0]: row
                for row in conn.execute(
                    f"SELECT {_COLUMNS} FROM alerts a WHERE a.id IN ({marks})", chunk
                )
            }
            for alert_id in chunk:
                row = rows.get(alert_id)
                if row is None:
                    continue  # deleted by retention between the two reads
                try:
                    yield StoredAlert.from_row(row)
                except ValueError as error:
                    raise StoreError(f"alert {row[0]} cannot be read: {error}") from error

    def count(self, cap: int) -> int:
        """How many alerts the filter selects (its limit aside), counted no further than
        ``cap``."""
        return self.plan.count(self.conn, cap)


def select_alerts(conn: sqlite3.Connection, flt: AlertFilter) -> list[StoredAlert]:
    """The alerts ``flt`` selects, oldest first (the newest ``limit`` of them)."""
    alerts = list(iter_alerts(conn, flt))
    alerts.reverse()
    return alerts


def iter_alerts(conn: sqlite3.Connection, flt: AlertFilter) -> Iterator[StoredAlert]:
    """The alerts ``flt`` selects, newest first, at most its ``limit``, read lazily."""
    return AlertQuery(conn, flt).alerts(limit=flt.limit)
