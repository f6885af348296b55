"""What a program's status says about where its alerts went: the alert store, the sinks'
dropped alerts, the notifications.

Each function takes the figures of one status record (the stats line's counters, the sinks'
dropped alerts and last errors) and returns the problems and notes they make, in plain words.
Figures are counted since the program started (the notifier's delivery figures since its
outbox file was made).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lwsyslog.sanitize import sanitize

__all__ = ["Findings", "delivery"]


@dataclass(slots=True)
class Findings:
    """Problems (the command exits 1) and notes."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def delivery(
    name: str, stats: Mapping[str, Any], dropped: Mapping[str, Any], errors: Mapping[str, Any]
) -> Findings:
    """Findings about the program called ``name`` from its ``stats`` counters, its sinks'
    ``dropped`` alerts and their last ``errors``."""
    found = Findings()
    _store(found, name, stats, errors)
    _dropped(found, name, dropped)
    _notify(found, name, stats)
    return found


def _store(found: Findings, name: str, stats: Mapping[str, Any], errors: Mapping[str, Any]) -> None:
    if _int(stats.get("store_off")):
        why = errors.get("store")
        reason = sanitize(str(why), 300) if why else "the program's log says why"
        found.problems.append(
            f"{name}: the alert store is off ({reason}): alerts are not stored, so `lwsyslog "
            "alerts` and `lwsyslog report` miss them (the messages file has them); the "
            "program opens it again when it can, and at SIGHUP"
        )
    uncommitted = _int(stats.get("store_dropped"))
    if uncommitted:
        found.problems.append(
            f"{name}: {uncommitted:,} alerts the alert store took were dropped before they "
            "were committed (it refused them too long; the messages file has them)"
        )
    age, rows, size = (_int(stats.get(f"store_pruned_{why}")) for why in ("age", "rows", "bytes"))
    if age + rows + size:
        found.notes.append(
            f"{name}: the alert store deleted {age + rows + size:,} alerts since the program "
            f"started: {age:,} older than [store] retention_days, {rows:,} over max_rows, "
            f"{size:,} over max_bytes"
        )
    young = _int(stats.get("store_pruned_young"))
    if young:
        found.problems.append(
            f"{name}: the alert store deleted {young:,} alerts younger than [store] "
            "retention_days to stay within max_rows / max_bytes: it keeps less than its "
            "retention (raise the bound, or lower retention_days to what fits)"
        )


def _dropped(found: Findings, name: str, dropped: Mapping[str, Any]) -> None:
    for sink, count in sorted(dropped.items()):
        if _int(count):
            found.problems.append(
                f"{name}: {_int(count):,} alerts never reached sink {sanitize(str(sink), 40)} "
                "(dropped when its backlog was full)"
            )


def _notify(found: Findings, name: str, stats: Mapping[str, Any]) -> None:
    dropped = _int(stats.get("notify_dropped"))
    if dropped:
        full = _int(stats.get("notify_dropped_full"))
        expired = _int(stats.get("notify_dropped_expired"))
        found.problems.append(
            f"{name}: {dropped:,} notifications dropped ({full:,} at the queue's bound, "
            f"{expired:,} undelivered past [notify] max_age_secs): those alerts were never "
            "notified"
        )
    failures = _int(stats.get("notify_failures"))
    if failures and not _int(stats.get("notify_delivered")):
        found.problems.append(
            f"{name}: every notification attempt failed ({failures:,} failures, none "
            "delivered): no channel reaches anyone (the program's log names the error)"
        )


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
