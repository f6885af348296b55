"""Reading alerts back: filters by time, client (address or CIDR), rule, category, host and
minimum severity, newest ``limit`` alerts returned in time order."""

from __future__ import annotations

import ipaddress
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lwsyslog.errors import StoreError
from lwsyslog.severity import Severity
from lwsyslog.store.rows import READ_COLUMNS, StoredAlert, canonical_client, client_key
from lwsyslog.store.schema import TAG_CATEGORY, TAG_RULE

__all__ = ["AlertFilter", "client_range", "iter_alerts", "select_alerts"]

_V4_MAPPED = bytes(10) + b"\xff\xff"


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


def select_alerts(conn: sqlite3.Connection, flt: AlertFilter) -> list[StoredAlert]:
    """The alerts ``flt`` selects, oldest first (the newest ``limit`` of them)."""
    alerts = list(iter_alerts(conn, flt))
    alerts.reverse()
    return alerts


def iter_alerts(conn: sqlite3.Connection, flt: AlertFilter) -> Iterator[StoredAlert]:
    """The alerts ``flt`` selects, newest first, read lazily (no limit held in memory)."""
    sql, params = _sql(flt)
    for row in conn.execute(sql, params):
        try:
            yield StoredAlert.from_row(row)
        except ValueError as error:
            raise StoreError(f"alert {row[0]} cannot be read: {error}") from error


def _sql(flt: AlertFilter) -> tuple[str, list[Any]]:
    columns = ", ".join(f"a.{name}" for name in READ_COLUMNS)
    where: list[str] = []
    params: list[Any] = []
    if flt.rule or flt.category:
        # Drive from the tag index: it is ordered by time within one rule or category, so
        # the newest matches come first and LIMIT stops the scan.
        kind, value = (TAG_RULE, flt.rule) if flt.rule else (TAG_CATEGORY, flt.category)
        sql = f"SELECT {columns} FROM alert_tags t JOIN alerts a ON a.id = t.alert_id"
        where += ["t.kind = ?", "t.value = ?"]
        params += [kind, value]
        time_column = "t.time"
        if flt.rule and flt.category:
            where.append(
                "EXISTS (SELECT 1 FROM alert_tags c WHERE c.kind = ? AND c.value = ? "
                "AND c.time = a.time AND c.alert_id = a.id)"
            )
            params += [TAG_CATEGORY, flt.category]
    else:
        sql = f"SELECT {columns} FROM alerts a"
        time_column = "a.time"
    if flt.since is not None:
        where.append(f"{time_column} >= ?")
        params.append(flt.since)
    if flt.until is not None:
        where.append(f"{time_column} < ?")
        params.append(flt.until)
    if flt.client:
        low, high = client_range(flt.client)
        if low == high:
            where.append("a.client_bin = ?")
            params.append(low)
        else:
            where.append("a.client_bin BETWEEN ? AND ?")
            params += [low, high]
    if flt.host is not None:
        where.append("a.host = ?")
        params.append(flt.host)
    if flt.min_severity is not None:
        where.append("a.severity_rank >= ?")
        params.append(flt.min_severity.rank)
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {time_column} DESC, a.id DESC"
    if flt.limit is not None:
        sql += " LIMIT ?"
        params.append(flt.limit)
    return sql, params
