"""Hourly counts per severity, category, leading category, rule and host.

Kept in step with ``alerts`` inside the same transactions (added on insert, taken away when
rows are pruned), so a report over days sums a few thousand rollup rows. Counts over a period
that does not start or end on the hour are exact: whole hours come from the rollup, the
partial hours at either end are counted from the alerts themselves by the same function.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from lwsyslog.store.rows import names_of

__all__ = [
    "DIM_CATEGORY",
    "DIM_HOST",
    "DIM_PRIMARY",
    "DIM_RULE",
    "DIM_SEVERITY",
    "HOUR",
    "Period",
    "RollupSource",
    "alert_count",
    "apply",
    "counts",
    "increments",
    "period",
]

HOUR = 3600
DIM_SEVERITY = 1
DIM_CATEGORY = 2  # every category an alert names ('' when it names none)
DIM_PRIMARY = 3  # the leading category only: one per alert, for stacked charts
DIM_RULE = 4  # the rule that raised the alert
DIM_HOST = 5

# (time, severity, categories as JSON, leading category, rule, host): what a row adds.
RollupSource = tuple[float, str, str, str, str, str]
SOURCE_COLUMNS = "time, severity, categories, category, rule, host"

_UPSERT = (
    "INSERT INTO rollup (hour, dim, value, n) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (hour, dim, value) DO UPDATE SET n = n + excluded.n"
)


def increments(rows: Iterable[RollupSource]) -> Counter[tuple[int, int, str]]:
    """What ``rows`` add to the rollup, keyed by (hour, dim, value)."""
    out: Counter[tuple[int, int, str]] = Counter()
    for when, severity, categories, primary, rule, host in rows:
        hour = int(when // HOUR) * HOUR
        out[hour, DIM_SEVERITY, severity] += 1
        out[hour, DIM_PRIMARY, primary] += 1
        out[hour, DIM_RULE, rule] += 1
        out[hour, DIM_HOST, host] += 1
        for category in names_of(categories) or ("",):
            out[hour, DIM_CATEGORY, category] += 1
    return out


def apply(conn: sqlite3.Connection, delta: Counter[tuple[int, int, str]], sign: int) -> None:
    """Add (sign 1) or take away (sign -1) ``delta``; rows that reach zero are removed."""
    conn.executemany(_UPSERT, [(h, d, v, sign * n) for (h, d, v), n in delta.items()])
    if sign < 0:
        conn.executemany(
            "DELETE FROM rollup WHERE hour = ? AND dim = ? AND value = ? AND n <= 0",
            list(delta),
        )


@dataclass(frozen=True, slots=True)
class Period:
    """A period's counts: per dim and value, and the leading categories per UTC hour (the
    only dim a chart needs hour by hour)."""

    totals: dict[int, Counter[str]]
    primary_hours: dict[int, Counter[str]]

    def total(self, dim: int) -> Counter[str]:
        """Alerts per value of ``dim`` (empty when there is none)."""
        return self.totals.get(dim, Counter())


def period(conn: sqlite3.Connection, since: float, until: float) -> Period:
    """Counts of ``since <= time < until``: the whole hours summed in SQL from the rollup,
    the partial hours at the ends counted from the alerts by :func:`increments`."""
    totals: dict[int, Counter[str]] = {}
    hours: dict[int, Counter[str]] = {}
    if until <= since:
        return Period(totals, hours)
    first_full = _ceil_hour(since)
    end_full = int(until // HOUR) * HOUR
    edges = [(since, until)]
    if first_full < end_full:
        for dim, value, n in conn.execute(
            "SELECT dim, value, sum(n) FROM rollup WHERE hour >= ? AND hour < ? "
            "GROUP BY dim, value",
            (first_full, end_full),
        ):
            totals.setdefault(dim, Counter())[value] += n
        for hour, value, n in conn.execute(
            "SELECT hour, value, n FROM rollup WHERE hour >= ? AND hour < ? AND dim = ?",
            (first_full, end_full, DIM_PRIMARY),
        ):
            hours.setdefault(hour, Counter())[value] += n
        edges = [(since, float(first_full)), (float(end_full), until)]
    for start, stop in edges:
        if start >= stop:
            continue
        rows = conn.execute(
            f"SELECT {SOURCE_COLUMNS} FROM alerts WHERE time >= ? AND time < ?", (start, stop)
        )
        for (hour, dim, value), n in increments(rows).items():
            totals.setdefault(dim, Counter())[value] += n
            if dim == DIM_PRIMARY:
                hours.setdefault(hour, Counter())[value] += n
    return Period(totals, hours)


def alert_count(conn: sqlite3.Connection, since: float, until: float) -> int:
    """Alerts with ``since <= time < until``: whole hours summed from the rollup (each
    alert counts once under its severity), the partial hours counted in the time index."""
    if until <= since:
        return 0
    first_full = _ceil_hour(since)
    end_full = int(until // HOUR) * HOUR
    if first_full >= end_full:
        edges = [(since, until)]
        total = 0
    else:
        edges = [(since, float(first_full)), (float(end_full), until)]
        total = conn.execute(
            "SELECT coalesce(sum(n), 0) FROM rollup WHERE dim = ? AND hour >= ? AND hour < ?",
            (DIM_SEVERITY, first_full, end_full),
        ).fetchone()[0]
    for start, stop in edges:
        if start < stop:
            total += conn.execute(
                "SELECT count(*) FROM alerts WHERE time >= ? AND time < ?", (start, stop)
            ).fetchone()[0]
    return int(total)


def counts(conn: sqlite3.Connection, dim: int, since: float, until: float) -> Counter[str]:
    """Alerts per value of ``dim`` with ``since <= time < until``."""
    return period(conn, since, until).total(dim)


def _ceil_hour(when: float) -> int:
    hour = int(when // HOUR) * HOUR
    return hour if hour == when else hour + HOUR
