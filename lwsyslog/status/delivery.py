"""What a program's status says about where its alerts went: the alert store, the sinks'
dropped alerts, the notifications.

Each function takes the figures of one status record (the stats line's counters, the sinks'
dropped alerts and last errors, the notification channels' figures) and returns the problems
and notes they make, in plain words. Figures are counted since the program started (the
notifier's delivery figures since its outbox file was made).

A notification channel whose attempts have failed for :data:`CHANNEL_FAILING_SECS` or more is
a problem even while the other channels deliver (a dead mail server next to a working
webhook); one failing for less is a note, as a short outage passes by itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lwsyslog.sanitize import sanitize

__all__ = ["CHANNEL_FAILING_SECS", "Findings", "delivery"]

CHANNEL_FAILING_SECS = 300.0
"""How long a channel's attempts must have failed, without one delivered, to be a problem."""


@dataclass(slots=True)
class Findings:
    """Problems (the command exits 1) and notes."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def delivery(
    name: str,
    stats: Mapping[str, Any],
    dropped: Mapping[str, Any],
    errors: Mapping[str, Any],
    *,
    channels: Mapping[str, Any] | None = None,
    written: float = 0.0,
) -> Findings:
    """Findings about the program called ``name`` from its ``stats`` counters, its sinks'
    ``dropped`` alerts and their last ``errors``, and its notification ``channels`` (the
    status record's ``notify_channels``), whose failures are timed up to ``written``, when
    the record was written."""
    found = Findings()
    _store(found, name, stats, errors)
    _dropped(found, name, dropped)
    by_channel = Findings()
    failing = _channels(by_channel, name, channels or {}, written)
    _notify(found, name, stats, failing)
    found.problems.extend(by_channel.problems)  # after the summary they detail
    found.notes.extend(by_channel.notes)
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


def _channels(found: Findings, name: str, channels: Mapping[str, Any], written: float) -> int:
    """One finding per channel whose last attempt failed; how many."""
    failing = 0
    for channel, figures in sorted(channels.items(), key=lambda item: str(item[0])):
        since = _float(figures.get("failing_since")) if isinstance(figures, Mapping) else 0.0
        if since <= 0:
            continue
        failing += 1
        lasted = written - since
        lasted = lasted if math.isfinite(lasted) and lasted > 0 else 0.0  # JSON allows NaN
        kind = sanitize(str(figures.get("kind") or ""), 20)
        error = sanitize(str(figures.get("last_error") or "not recorded"), 300)
        text = (
            f"{name}: notification channel {sanitize(str(channel), 64)}"
            + (f" ({kind})" if kind else "")
            + f" has failed for {_how_long(lasted)} "
            f"({_count(_int(figures.get('failures')), 'failed attempt')} in all; last error: "
            f"{error}): its notifications wait in the outbox and are retried"
        )
        if lasted >= CHANNEL_FAILING_SECS:
            found.problems.append(text)
        else:
            found.notes.append(
                f"{text} (a problem once it has failed for {_how_long(CHANNEL_FAILING_SECS)})"
            )
    return failing


def _notify(found: Findings, name: str, stats: Mapping[str, Any], failing_channels: int) -> None:
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
            "delivered): no channel reaches anyone "
            + (
                "(each failing channel is named with its error)"
                if failing_channels
                else "(the program's log names the error)"
            )
        )


def _how_long(secs: float) -> str:
    """A duration in words: ``40 seconds``, ``6 minutes``, ``2 hours 5 minutes``, ``3 days``."""
    whole = int(secs)
    if whole < 60:
        return _count(whole, "second")
    minutes = whole // 60
    if minutes < 60:
        return _count(minutes, "minute")
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _count(hours, "hour") + (f" {_count(minutes, 'minute')}" if minutes else "")
    days, hours = divmod(hours, 24)
    return _count(days, "day") + (f" {_count(hours, 'hour')}" if hours else "")


def _count(number: int, unit: str) -> str:
    return f"{number:,} {unit}{'' if number == 1 else 's'}"


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _float(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return 0.0
