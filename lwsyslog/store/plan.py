"""How a query on the store is answered in bounded time, whatever filters it combines.

Each filter has an index that lists its alerts in time order: the client index, the tag table
(rules and categories), the host index, the severity index, and the time index for the period
alone. A query walks one of them, the **driver**, newest (or oldest) first, and checks the
other filters on each entry it meets. The work is at most one check per entry of the driver,
so the driver is the filter with the fewest alerts in the period: each candidate is counted on
its own index (covering, about 0.04 us an entry), every count stopped at the smallest count
so far.

The checks never read an alert's row (about 1 KB with its line and message, 1 us to fetch):
host, severity and client come from ``alerts_keys``, an index of only those columns by alert
id (about 0.3 us), and a second tag from the tag table's primary key. At 1,000,000 alerts the
worst case, a driver of 270,000 alerts none of which passes the checks, costs about 100 ms;
the full rows are read for the alerts returned only.

A CIDR network (``client_bin BETWEEN``) is a driver only while it holds few alerts (its
entries are in address order, so they must be sorted by time); a wide one is checked instead.
A store written before ``alerts_keys`` existed is still read correctly, checking on the rows.
"""

from __future__ import annotations

import heapq
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from lwsyslog.store.schema import KEYS_INDEX, TAG_CATEGORY, TAG_RULE

__all__ = ["Conditions", "Plan", "make_plan"]

SORT_MAX = 20_000
"""A CIDR network drives a query only while it holds at most this many alerts."""
_FIRST_CAP = 2048
_CLIENT = frozenset({"client"})
_HOST = frozenset({"host"})
_TOP_RANK = 3


@dataclass(frozen=True, slots=True)
class Conditions:
    """A filter in the store's terms: times, client key range, tags, host, severity rank."""

    since: float | None = None
    until: float | None = None
    client: tuple[bytes, bytes] | None = None
    rule: str | None = None
    category: str | None = None
    host: str | None = None
    min_rank: int | None = None

    def time_sql(self, column: str) -> tuple[list[str], list[Any]]:
        """The period as conditions on ``column``."""
        where: list[str] = []
        params: list[Any] = []
        if self.since is not None:
            where.append(f"{column} >= ?")
            params.append(self.since)
        if self.until is not None:
            where.append(f"{column} < ?")
            params.append(self.until)
        return where, params


@dataclass(frozen=True, slots=True)
class _Source:
    """One index walk: ``SELECT time, id FROM ... WHERE ...`` (the filter's own part)."""

    table: str
    time: str
    id: str
    where: list[str]
    params: list[Any]


class _Driver(Protocol):
    @property
    def name(self) -> str: ...

    def sources(self, cond: Conditions) -> list[_Source]: ...

    def handles(self) -> frozenset[str]: ...


@dataclass(frozen=True, slots=True)
class _Alerts:
    """A walk of one index of ``alerts``, narrowed by ``where`` (the time part is added)."""

    name: str
    index: str
    where: tuple[str, ...] = ()
    params: tuple[Any, ...] = ()
    covered: frozenset[str] = frozenset()

    def sources(self, cond: Conditions) -> list[_Source]:
        time_where, time_params = cond.time_sql("a.time")
        return [
            _Source(
                f"alerts a INDEXED BY {self.index}",
                "a.time",
                "a.id",
                [*self.where, *time_where],
                [*self.params, *time_params],
            )
        ]

    def handles(self) -> frozenset[str]:
        return self.covered


@dataclass(frozen=True, slots=True)
class _Tag:
    """The alerts naming one rule or category, from the tag table."""

    name: str
    kind: int
    value: str

    def sources(self, cond: Conditions) -> list[_Source]:
        time_where, time_params = cond.time_sql("t.time")
        return [
            _Source(
                "alert_tags t",
                "t.time",
                "t.alert_id",
                ["t.kind = ?", "t.value = ?", *time_where],
                [self.kind, self.value, *time_params],
            )
        ]

    def handles(self) -> frozenset[str]:
        return frozenset({"rule" if self.kind == TAG_RULE else "category"})


@dataclass(frozen=True, slots=True)
class _Severity:
    """The alerts of a rank or worse: one time-ordered walk per rank, merged."""

    name: str
    min_rank: int

    def sources(self, cond: Conditions) -> list[_Source]:
        time_where, time_params = cond.time_sql("a.time")
        out = []
        for rank in range(self.min_rank, _TOP_RANK + 1):
            # One rank per walk: within a rank the index is in time order.
            out.append(
                _Source(
                    "alerts a INDEXED BY alerts_severity",
                    "a.time",
                    "a.id",
                    ["a.severity_rank = ?", *time_where],
                    [rank, *time_params],
                )
            )
        return out

    def handles(self) -> frozenset[str]:
        return frozenset({"severity"})


@dataclass(slots=True)
class Plan:
    """A driver and the checks of every other filter: runs the query, counts its alerts."""

    driver: str
    estimate: int
    sources: list[_Source]
    checks: list[str] = field(default_factory=list)
    check_params: list[Any] = field(default_factory=list)

    def _select(self, source: _Source, what: str) -> tuple[str, list[Any]]:
        where = [*source.where, *(c.format(time=source.time, id=source.id) for c in self.checks)]
        sql = f"SELECT {what} FROM {source.table}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return sql, [*source.params, *self.check_params]

    def ids(
        self, conn: sqlite3.Connection, *, newest_first: bool, limit: int | None
    ) -> Iterator[int]:
        """Alert ids in time order (ties by id), at most ``limit``; read lazily."""
        order = "DESC" if newest_first else "ASC"
        cursors = []
        for source in self.sources:
            sql, params = self._select(source, f"{source.time}, {source.id}")
            sql += f" ORDER BY {source.time} {order}, {source.id} {order}"
            if limit is not None:
                sql += " LIMIT ?"
                params.append(limit)
            cursors.append(conn.execute(sql, params))
        rows: Iterator[tuple[float, int]] = (
            cursors[0]
            if len(cursors) == 1
            else heapq.merge(*cursors, key=lambda row: (row[0], row[1]), reverse=newest_first)
        )
        for count, (_, alert_id) in enumerate(rows):
            if limit is not None and count >= limit:
                return
            yield alert_id

    def count(self, conn: sqlite3.Connection, cap: int) -> int:
        """How many alerts the query selects, counting no further than ``cap``."""
        total = 0
        for source in self.sources:
            sql, params = self._select(source, "1")
            total += conn.execute(
                f"SELECT count(*) FROM ({sql} LIMIT ?)", [*params, cap - total]
            ).fetchone()[0]
            if total >= cap:
                break
        return total


def make_plan(conn: sqlite3.Connection, cond: Conditions) -> Plan:
    """The cheapest way to answer ``cond`` on this store."""
    candidates = _candidates(cond)
    driver, size = _smallest(conn, cond, candidates)
    plan = Plan(driver.name, size, driver.sources(cond))
    _add_checks(plan, cond, driver.handles(), _has_keys(conn))
    return plan


def _smallest(
    conn: sqlite3.Connection, cond: Conditions, candidates: list[_Driver]
) -> tuple[_Driver, int]:
    """The candidate with the fewest entries, and that number (-1: not counted, there was no
    choice).

    Candidates are counted together with a cap that grows eightfold until one falls under
    it, so the counting costs about as much as walking the smallest candidate once, not the
    largest. A CIDR range is dropped once it holds more than SORT_MAX alerts; the time index
    is the last resort, counted only when something else competes with it.
    """
    fallback = candidates[-1]
    # Every other candidate is a subset of the period's alerts: the time index competes
    # only when nothing else can drive (a CIDR range too wide to sort).
    rivals = candidates[:-1]
    if not rivals or (len(rivals) == 1 and rivals[0].name != "cidr"):
        return (rivals or candidates)[0], -1
    cap = _FIRST_CAP
    while True:
        best: tuple[int, _Driver] | None = None
        kept = []
        for driver in rivals:
            # Within a round, nothing larger than the smallest so far needs counting.
            limit = best[0] if best is not None else cap
            if driver.name == "cidr":
                limit = min(limit, SORT_MAX + 1)
            size = _estimate(conn, driver.sources(cond), limit)
            if driver.name == "cidr" and size > SORT_MAX:
                continue  # too wide to sort: checked instead
            kept.append(driver)
            if size < limit:
                best = (size, driver)
        if best is not None:
            return best[1], best[0]
        rivals = kept
        if not rivals:
            return fallback, -1
        cap *= 8


def _candidates(cond: Conditions) -> list[_Driver]:
    """The indexes that could drive, most often selective first (ties go to the first)."""
    out: list[_Driver] = []
    if cond.client is not None:
        low, high = cond.client
        if low == high:
            out.append(_Alerts("client", "alerts_client", ("a.client_bin = ?",), (low,), _CLIENT))
    if cond.rule is not None:
        out.append(_Tag("rule", TAG_RULE, cond.rule))
    if cond.category is not None:
        out.append(_Tag("category", TAG_CATEGORY, cond.category))
    if cond.host is not None:
        out.append(_Alerts("host", "alerts_host", ("a.host = ?",), (cond.host,), _HOST))
    if cond.client is not None and cond.client[0] != cond.client[1]:
        out.append(
            _Alerts(
                "cidr",
                "alerts_client",
                ("a.client_bin BETWEEN ? AND ?",),
                cond.client,
                _CLIENT,
            )
        )
    if cond.min_rank is not None and cond.min_rank > 0:
        out.append(_Severity("severity", cond.min_rank))
    out.append(_Alerts("time", "alerts_time"))
    return out


def _estimate(conn: sqlite3.Connection, sources: list[_Source], cap: int) -> int:
    """Entries of the driver's walk (without checks), counted up to ``cap``."""
    total = 0
    for source in sources:
        sql = f"SELECT 1 FROM {source.table}"
        if source.where:
            sql += " WHERE " + " AND ".join(source.where)
        total += conn.execute(
            f"SELECT count(*) FROM ({sql} LIMIT ?)", [*source.params, cap - total]
        ).fetchone()[0]
        if total >= cap:
            break
    return total


def _add_checks(plan: Plan, cond: Conditions, handled: frozenset[str], keys: bool) -> None:
    """Checks for every filter the driver does not apply itself."""
    key_where: list[str] = []
    key_params: list[Any] = []
    if cond.client is not None and "client" not in handled:
        low, high = cond.client
        if low == high:
            key_where.append("k.client_bin = ?")
            key_params.append(low)
        else:
            key_where.append("k.client_bin BETWEEN ? AND ?")
            key_params += [low, high]
    if cond.host is not None and "host" not in handled:
        key_where.append("k.host = ?")
        key_params.append(cond.host)
    if cond.min_rank is not None and cond.min_rank > 0 and "severity" not in handled:
        key_where.append("k.severity_rank >= ?")
        key_params.append(cond.min_rank)
    if key_where:
        index = f" INDEXED BY {KEYS_INDEX}" if keys else ""
        plan.checks.append(
            f"EXISTS (SELECT 1 FROM alerts k{index} WHERE k.id = {{id}} AND "
            + " AND ".join(key_where)
            + ")"
        )
        plan.check_params += key_params
    tags = ((TAG_RULE, cond.rule, "rule"), (TAG_CATEGORY, cond.category, "category"))
    for kind, value, name in tags:
        if value is not None and name not in handled:
            plan.checks.append(
                "EXISTS (SELECT 1 FROM alert_tags c WHERE c.kind = ? AND c.value = ? "
                "AND c.time = {time} AND c.alert_id = {id})"
            )
            plan.check_params += [kind, value]


def _has_keys(conn: sqlite3.Connection) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (KEYS_INDEX,)
    ).fetchone()
    return row is not None
