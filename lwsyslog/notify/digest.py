"""A digest: the content of one notification, before it is written for a medium.

A digest is plain data (a JSON object in the outbox's ``messages`` table): the alerts it
covers, counted by client, rule and host, and up to :data:`MAX_DETAIL` of them in full.
Rendering (:mod:`lwsyslog.notify.render`) happens at each delivery attempt, so a digest stays
small and the escaping rules live in one place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal

from lwsyslog.notify.record import AlertRecord

__all__ = ["MAX_DETAIL", "Digest", "Kind", "build_digest", "detail"]

MAX_DETAIL = 10
"""Alerts shown in full in one message; the rest are only counted."""

_TOP = 10
Kind = Literal["group", "storm", "overflow"]
Digest = dict[str, Any]


def build_digest(
    kind: Kind,
    records: Sequence[AlertRecord],
    *,
    delivery_id: str,
    channel: str,
    created: float,
    group_by: str = "",
    key: str = "",
    distinct_clients: int | None = None,
    window_secs: float = 0.0,
    groups: int = 0,
    rate_limit: tuple[int, float] | None = None,
) -> Digest:
    """The digest of ``records`` (at least one).

    ``group``: the alerts of one client or rule (``group_by``, ``key``). ``storm``: one rule's
    alerts from ``distinct_clients`` clients within ``window_secs``. ``overflow``: ``groups``
    groups folded into one message because the channel's ``rate_limit`` (messages, seconds)
    was reached.
    """
    clients = Counter(r.client for r in records)
    rules = Counter(r.rule for r in records)
    hosts = Counter(r.host for r in records if r.host)
    shown = sorted(records, key=lambda r: (-r.rank, r.time))[:MAX_DETAIL]
    shown.sort(key=lambda r: r.time)
    top = max(records, key=lambda r: r.rank)
    return {
        "v": 1,
        "delivery_id": delivery_id,
        "kind": kind,
        "channel": channel,
        "created": created,
        "severity": top.severity,
        "group_by": group_by,
        "key": key,
        "total_alerts": len(records),
        "distinct_clients": distinct_clients if distinct_clients is not None else len(clients),
        "window_secs": window_secs,
        "groups": groups,
        "rate_limit": list(rate_limit) if rate_limit else None,
        "first_time": min(r.time for r in records),
        "last_time": max(r.time for r in records),
        "clients": clients.most_common(_TOP),
        "rules": rules.most_common(_TOP),
        "hosts": hosts.most_common(_TOP),
        "categories": list(dict.fromkeys(c for r in records for c in r.categories)),
        "alerts": [r.to_dict() for r in shown],
    }


def detail(digest: Digest) -> list[AlertRecord]:
    """The alerts a digest shows in full."""
    return [AlertRecord.from_dict(raw) for raw in digest["alerts"]]
