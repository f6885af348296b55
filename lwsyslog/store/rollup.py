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

from lwsyslog.store.rows import names_of

__all__ = [
    "DIM_CATEGORY",
    "DIM_HOST",
    "DIM_PRIMARY",
    "DIM_RULE",
    "DIM_SEVERITY",
    "HOUR",
    "Hourly",
    "RollupSource",
    "apply",
    "counts",
    "hourly",
    "increments",
    "totals",
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


# Per dim: per UTC hour: per value: alerts.
Hourly = dict[int, dict[int, Counter[str]]]


def hourly(conn: sqlite3.Connection, since: float, until: float, dim: int | None = None) -> Hourly:
    """Alerts per dim (every dim, or only ``dim``), UTC hour and value with ``since <= time <
    until``: one read of the rollup for the whole hours, one of the alerts for the partial
    hours at the ends."""
    out: Hourly = {}
    if until <= since:
        return out
    first_full = _ceil_hour(since)
    end_full = int(until // HOUR) * HOUR
    if first_full < end_full:
        only = "" if dim is None else f" AND dim = {int(dim)}"
        for hour, row_dim, value, n in conn.execute(
            f"SELECT hour, dim, value, n FROM rollup WHERE hour >= ? AND hour < ?{only}",
            (first_full, end_full),
        ):
            out.setdefault(row_dim, {}).setdefault(hour, Counter())[value] += n
        edges = [(since, float(first_full)), (float(end_full), until)]
    else:
        edges = [(since, until)]
    for start, stop in edges:
        if start >= stop:
            continue
        rows = conn.execute(
            f"SELECT {SOURCE_COLUMNS} FROM alerts WHERE time >= ? AND time < ?", (start, stop)
        )
        for (hour, row_dim, value), n in increments(rows).items():
            if dim is None or row_dim == dim:
                out.setdefault(row_dim, {}).setdefault(hour, Counter())[value] += n
    return out


def totals(per_hour: Hourly, dim: int) -> Counter[str]:
    """Alerts per value of ``dim`` over all the hours of ``per_hour``."""
    total: Counter[str] = Counter()
    for per_value in per_hour.get(dim, {}).values():
        total.update(per_value)
    return total


def counts(conn: sqlite3.Connection, dim: int, since: float, until: float) -> Counter[str]:
    """Alerts per value of ``dim`` with ``since <= time < until``."""
    return totals(hourly(conn, since, until, dim), dim)


def _ceil_hour(when: float) -> int:
    hour = int(when // HOUR) * HOUR
    return hour if hour == when else hour + HOUR
