"""The digest of a period: what ``lwsyslog report`` prints, charts and mails.

Definitions (the same ones ``lwsyslog alerts --json`` lets anyone recompute):
- an alert is in the period when ``since <= time < until`` (its last event's time);
- by category: an alert counts once under every category it names, under ``""`` when none;
- the timeline stacks each alert once, under its leading (first) category, in buckets of
  local time (a day bucket is a local calendar day, 23 or 25 hours when the clocks change);
- rules: the rule that raised the alert; hosts: the web host ('' for offline scans);
- a new client has alerts in the period and none in the previous period of the same length.
"""

from __future__ import annotations

import bisect
import math
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lwsyslog.severity import Severity
from lwsyslog.store import rollup
from lwsyslog.store.clients import client_activity, client_detail, clients_seen
from lwsyslog.store.rows import client_text, iso_utc

__all__ = ["ClientSummary", "Digest", "Timeline", "bucket_starts", "build_digest", "pick_bucket"]

_SEVERITIES = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)
_BUCKETS = (300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)
MAX_BUCKETS = 48
# The timeline shows this many categories; the rest are stacked together as "other".
TIMELINE_CATEGORIES = 8
OTHER = "other"
# Every UTC offset in use is a whole number of quarter hours.
_SLICE_SECS = 900
_WALL_ZERO = datetime(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class ClientSummary:
    """One client in the period: how much, when, and what it tried."""

    client: str
    alerts: int
    first_seen: float
    last_seen: float
    categories: list[tuple[str, int]] = field(default_factory=list)
    rules: list[tuple[str, int]] = field(default_factory=list)
    hosts: list[tuple[str, int]] = field(default_factory=list)
    new: bool = False

    def record(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "client": self.client,
            "alerts": self.alerts,
            "first_seen": iso_utc(self.first_seen),
            "last_seen": iso_utc(self.last_seen),
            "categories": dict(self.categories),
            "rules": dict(self.rules),
            "hosts": dict(self.hosts),
            "new": self.new,
        }


@dataclass(frozen=True, slots=True)
class Timeline:
    """Alerts per time bucket, stacked by leading category (``series[c][i]`` is the count
    of category ``c`` in the bucket starting at ``starts[i]``). Buckets follow local time:
    see :func:`bucket_starts`."""

    bucket_secs: int
    starts: list[float]
    series: dict[str, list[int]]

    def totals(self) -> list[int]:
        """Alerts per bucket, all categories together."""
        return [sum(column) for column in zip(*self.series.values(), strict=True)] or [
            0 for _ in self.starts
        ]


@dataclass(frozen=True, slots=True)
class Digest:
    """Everything the report shows about ``[since, until)``."""

    since: float
    until: float
    total: int
    previous_total: int
    by_severity: list[tuple[str, int]]
    by_category: list[tuple[str, int]]
    clients: int
    top_clients: list[ClientSummary]
    new_clients: int
    new_client_list: list[ClientSummary]
    hosts: list[tuple[str, int]]
    rules: list[tuple[str, int]]
    timeline: Timeline

    @property
    def seconds(self) -> float:
        """Length of the period."""
        return self.until - self.since

    def record(self) -> dict[str, Any]:
        """The ``lwsyslog report --json`` object (stable keys; add, never rename)."""
        return {
            "kind": "report",
            "since": iso_utc(self.since),
            "until": iso_utc(self.until),
            "alerts": self.total,
            "previous_alerts": self.previous_total,
            "by_severity": dict(self.by_severity),
            "by_category": dict(self.by_category),
            "clients": self.clients,
            "top_clients": [client.record() for client in self.top_clients],
            "new_clients": self.new_clients,
            "new_client_list": [client.record() for client in self.new_client_list],
            "hosts": dict(self.hosts),
            "rules": dict(self.rules),
            "timeline": {
                "bucket_secs": self.timeline.bucket_secs,
                "starts": [iso_utc(start) for start in self.timeline.starts],
                "series": self.timeline.series,
            },
        }


def build_digest(conn: sqlite3.Connection, since: float, until: float, *, top: int = 10) -> Digest:
    """The digest of ``[since, until)`` from an open store (reader or writer)."""
    length = until - since
    counts = rollup.period(conn, since, until)
    severities = counts.total(rollup.DIM_SEVERITY)
    activity = client_activity(conn, since, until)
    before = clients_seen(conn, since - length, since)
    new = [row for row in activity if row[0] not in before]
    top_clients = []
    for key, alerts, first_seen, last_seen in activity[:top]:
        detail = client_detail(conn, key, since, until)
        top_clients.append(
            ClientSummary(
                client_text(key),
                alerts,
                first_seen,
                last_seen,
                detail.categories,
                detail.rules,
                detail.hosts,
                new=key not in before,
            )
        )
    return Digest(
        since=since,
        until=until,
        total=sum(severities.values()),
        previous_total=rollup.alert_count(conn, since - length, since),
        by_severity=[(s.value, severities.get(s.value, 0)) for s in _SEVERITIES],
        by_category=_ranked(counts.total(rollup.DIM_CATEGORY)),
        clients=len(activity),
        top_clients=top_clients,
        new_clients=len(new),
        new_client_list=[
            ClientSummary(client_text(key), alerts, first, last, new=True)
            for key, alerts, first, last in new[: top * 2]
        ],
        hosts=_ranked(counts.total(rollup.DIM_HOST))[:top],
        rules=_ranked(counts.total(rollup.DIM_RULE))[:top],
        timeline=_timeline(conn, since, until, counts.primary_hours),
    )


def pick_bucket(seconds: float) -> int:
    """The shortest bucket that keeps a period of ``seconds`` within MAX_BUCKETS bars."""
    for bucket in _BUCKETS:
        if seconds / bucket <= MAX_BUCKETS - 1:
            return bucket
    # Longer than 47 weeks: whole weeks, as many as keep the bars within MAX_BUCKETS (a
    # --since of 700000d once drew 100,000 weekly bars).
    week = _BUCKETS[-1]
    return week * math.ceil(seconds / week / (MAX_BUCKETS - 1))


def _timeline(
    conn: sqlite3.Connection, since: float, until: float, primary: dict[int, Counter[str]]
) -> Timeline:
    """Alerts per bucket of local time by leading category; ``primary`` holds them per UTC
    hour already."""
    bucket = pick_bucket(until - since)
    starts = bucket_starts(since, until, bucket)
    per_bucket: list[Counter[str]] = [Counter() for _ in starts]
    if bucket % rollup.HOUR == 0 and all(start % rollup.HOUR == 0 for start in starts):
        for hour, counts in primary.items():
            per_bucket[_index(starts, hour)].update(counts)
    else:
        # Buckets start on the local quarter hours a time zone's offset allows, so slices of
        # that size (or of the bucket, when shorter) each fall in one bucket.
        slice_secs = math.gcd(bucket, _SLICE_SECS)
        for piece, category, n in conn.execute(
            "SELECT CAST(time / ? AS INTEGER), category, count(*) FROM alerts "
            "WHERE time >= ? AND time < ? GROUP BY 1, 2",
            (slice_secs, since, until),
        ):
            per_bucket[_index(starts, piece * slice_secs)][category] += n
    overall: Counter[str] = Counter()
    for counts in per_bucket:
        overall.update(counts)
    shown = [name for name, _ in _ranked(overall)[:TIMELINE_CATEGORIES]]
    if len(overall) > TIMELINE_CATEGORIES:
        shown[-1] = OTHER
    series = {name: [0] * len(starts) for name in shown}
    for index, counts in enumerate(per_bucket):
        for category, n in counts.items():
            series[category if category in series else OTHER][index] += n
    return Timeline(bucket, starts, series)


def bucket_starts(since: float, until: float, bucket: int) -> list[float]:
    """When the chart's buckets of ``bucket`` seconds start, from the one holding ``since``
    to the last before ``until``: at multiples of ``bucket`` in local wall-clock time (a day
    bucket starts at local midnight, as the text report's dates do), each at its own UTC
    offset, so a bucket on the day the clocks change is an hour shorter or longer (a wall
    time the clocks skip starts no bucket of its own)."""
    key = _wall(since) // bucket * bucket
    starts: list[float] = []
    while (start := _from_wall(key)) < until:
        if not starts or start > starts[-1]:
            starts.append(start)
        key += bucket
    return starts


def _wall(when: float) -> int:
    """Local wall-clock seconds since 1970-01-01 00:00 (local) at epoch ``when``."""
    return int(when // 1) + time.localtime(when).tm_gmtoff


def _from_wall(wall: int) -> float:
    """The epoch time the local clock shows ``wall`` (the earlier one when the clock shows it
    twice)."""
    return (_WALL_ZERO + timedelta(seconds=wall)).timestamp()


def _index(starts: list[float], when: float) -> int:
    """The bucket holding ``when`` (the first one for a time before it)."""
    return max(0, bisect.bisect_right(starts, when) - 1)


def _ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(((k, v) for k, v in counter.items() if v), key=lambda kv: (-kv[1], kv[0]))
