"""What is wrong with the chain, in plain words, from what ``lwsyslog status`` gathered.

:func:`evaluate` is pure: it takes the status files, the processes, rsyslog's impstats
counters and rsyslogd's recognised messages as read at one moment, and returns a
:class:`Report` of problems (something is wrong: the command exits 1), notes, and the
figures to show. Everything shown that came from outside (host names, rsyslog's text) is
sanitized here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from lwsyslog.sanitize import sanitize
from lwsyslog.status.delivery import delivery
from lwsyslog.status.impstats import Impstats
from lwsyslog.status.procs import Process
from lwsyslog.status.rsyslog_log import RsyslogIssue

__all__ = ["Inputs", "Limits", "Report", "Role", "evaluate", "iso", "span"]

Role = Literal["server", "webhost", "both"]
Lookup = Callable[[int], Process | None]

_HOST_CHARS = 255
# A status file older than this many export intervals (plus a margin) is not being written.
_STALE_INTERVALS = 3
_STALE_MARGIN_SECS = 15.0


@dataclass(frozen=True, slots=True)
class Limits:
    """When figures count as wrong."""

    max_lag_secs: float = 300.0
    max_queue: int = 10_000
    impstats_max_age_secs: float = 300.0
    window_secs: float = 900.0


@dataclass(frozen=True, slots=True)
class Inputs:
    """Everything read for one report."""

    now: float
    role: Role
    state_dir: Path
    statuses: Sequence[tuple[Path, Mapping[str, Any] | None]]
    processes: Sequence[Process]
    lookup: Lookup
    impstats_path: Path
    impstats: Impstats | None
    issues: Sequence[RsyslogIssue]
    unread_logs: Sequence[str] = ()
    limits: Limits = field(default_factory=Limits)
    #: Why the state directory cannot be read, in words; None when it can (or is absent).
    state_unreadable: str | None = None
    #: A drop-in loads impstats with ``impstats_path`` as its file (it may not have written yet).
    impstats_configured: bool = False


@dataclass(slots=True)
class Report:
    """Problems, notes and the figures behind them (``as_json`` is ``status --json``)."""

    role: Role
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    programs: list[dict[str, Any]] = field(default_factory=list)
    hosts: list[dict[str, Any]] = field(default_factory=list)
    rsyslogd: list[int] = field(default_factory=list)
    queues: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    impstats: dict[str, Any] | None = None
    rsyslog_messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        """The ``--json`` object (stable keys; add, never rename)."""
        return {
            "ok": self.ok,
            "role": self.role,
            "problems": self.problems,
            "notes": self.notes,
            "programs": self.programs,
            "hosts": self.hosts,
            "rsyslogd": self.rsyslogd,
            "queues": self.queues,
            "actions": self.actions,
            "impstats": self.impstats,
            "rsyslog_messages": self.rsyslog_messages,
        }


def evaluate(inputs: Inputs) -> Report:
    """The report for ``inputs`` (see the module docstring)."""
    report = Report(inputs.role)
    report.rsyslogd = [p.pid for p in inputs.processes if p.is_rsyslogd]
    if not report.rsyslogd:
        report.problems.append("no rsyslogd is running on this machine")
    if inputs.role in ("server", "both"):
        _programs(inputs, report)
        _hosts(inputs, report)
    _impstats(inputs, report)
    _messages(inputs, report)
    return report


def _programs(inputs: Inputs, report: Report) -> None:
    if inputs.state_unreadable is not None:
        report.problems.append(inputs.state_unreadable)
        return
    if not inputs.statuses:
        report.problems.append(
            f"no status file of the lwsyslog program in {inputs.state_dir}: rsyslog has not "
            "run it here yet (it starts it with the first line a web host sends), or "
            "--state-dir is not the program's --state-dir"
        )
        return
    for path, record in inputs.statuses:
        if record is None:
            report.problems.append(f"{path} is not a status file of the lwsyslog program")
            continue
        _program(inputs, report, record)


def _program(inputs: Inputs, report: Report, record: Mapping[str, Any]) -> None:
    now, lookup = inputs.now, inputs.lookup
    instance = sanitize(str(record.get("instance", "?")), 64)
    pid, parent = _int(record.get("pid")), _int(record.get("parent_pid"))
    written, interval = _float(record.get("written")), _float(record.get("interval_secs"))
    stats = dict(_dict(record, "stats"))
    me = lookup(pid)
    alive = me is not None and me.is_omprog
    parent_process = lookup(parent)
    parent_alive = parent_process is not None and parent_process.is_rsyslogd
    age = now - written
    name = f"the lwsyslog program (instance {instance}, pid {pid})"
    if record.get("state") == "stopped":
        if parent_alive:
            report.notes.append(
                f"{name} stopped at {iso(written)}; rsyslogd (pid {parent}) still runs and "
                "starts it again with the next line"
            )
        else:
            others = [p for p in report.rsyslogd if p != parent]
            now_running = f" (rsyslogd pid {others[0]} runs now" if others else ""
            report.problems.append(
                f"rsyslogd (pid {parent}), which ran {name}, is not running: both stopped at "
                f"{iso(written)}"
                + (f"{now_running}, but no line has started the program since)" if others else "")
            )
    elif not alive:
        report.problems.append(
            f"{name} is gone without stopping cleanly (killed or crashed); its last status is "
            f"from {iso(written)}. rsyslog starts it again with the next line"
        )
    elif age > _STALE_INTERVALS * interval + _STALE_MARGIN_SECS:
        report.problems.append(
            f"{name} runs but has not written its status for {span(age)} (every "
            f"{span(interval)} when well): it may hang"
        )
    lag = record.get("lag_secs")
    if alive and isinstance(lag, int | float) and lag > inputs.limits.max_lag_secs:
        report.problems.append(
            f"{name} processes lines {span(lag)} after their time: it falls behind (or a web "
            "host's clock is off); a server with idle cores can run more programs in parallel "
            "(lwsyslog setup server --shards N, docs/deploy.md)"
        )
    errors = dict(_dict(record, "sink_errors"))
    pending = _int(stats.get("pending_alerts"))
    if pending and errors:
        for sink, error in errors.items():
            report.problems.append(
                f"{pending} alerts wait for sink {sanitize(str(sink), 40)}: "
                f"{sanitize(str(error), 300)}"
            )
    channels = dict(_dict(record, "notify_channels"))
    dropped = dict(_dict(record, "sink_dropped"))
    found = delivery(name, stats, dropped, dict(errors), channels=channels, written=written)
    report.problems.extend(found.problems)
    report.notes.extend(found.notes)
    report.programs.append(
        {
            "instance": instance,
            "pid": pid,
            "running": alive,
            "state": "running" if alive else "stopped",
            "parent_pid": parent,
            "parent_running": parent_alive,
            "started": _float(record.get("started")),
            "status_written": written,
            "status_age_secs": round(age, 1),
            "lag_secs": lag if isinstance(lag, int | float) else None,
            "stats": {str(k): v for k, v in stats.items() if isinstance(v, int)},
            "sink_errors": {sanitize(str(k), 40): sanitize(str(v), 300) for k, v in errors.items()},
            "metrics": {
                sanitize(str(k), 20): sanitize(str(v), 300) for k, v in _dict(record, "metrics")
            },
            "notify_channels": _channel_figures(channels, written),
        }
    )


def _channel_figures(channels: Mapping[str, Any], written: float) -> dict[str, dict[str, Any]]:
    """Each notification channel's figures as ``--json`` shows them (text made visible)."""
    shown: dict[str, dict[str, Any]] = {}
    for channel, figures in channels.items():
        if not isinstance(figures, dict):
            continue
        since = _float(figures.get("failing_since"))
        since = since if 0 < since < math.inf else 0.0  # JSON allows NaN and Infinity
        shown[sanitize(str(channel), 64)] = {
            "kind": sanitize(str(figures.get("kind") or ""), 20),
            "attempts": _int(figures.get("attempts")),
            "delivered": _int(figures.get("delivered")),
            "failures": _int(figures.get("failures")),
            "failing_since": since,
            "failing_secs": round(max(written - since, 0.0), 1) if since > 0 else 0.0,
            "last_error": sanitize(str(figures.get("last_error") or ""), 300),
        }
    return shown


def _hosts(inputs: Inputs, report: Report) -> None:
    merged: dict[str, tuple[float, float]] = {}
    for _, record in inputs.statuses:
        hosts = record.get("hosts") if record else None
        if not isinstance(hosts, dict):
            continue
        for host, entry in hosts.items():
            if not isinstance(entry, dict):
                continue
            last, limit = _float(entry.get("last_line")), _float(entry.get("silent_after_secs"))
            if host not in merged or last > merged[host][0]:
                merged[host] = (last, limit)
    for host, (last, limit) in sorted(merged.items()):
        shown = sanitize(host, _HOST_CHARS)
        quiet = max(inputs.now - last, 0.0)
        silent = limit > 0 and quiet >= limit
        if silent:
            report.problems.append(
                f"web host {shown} sent nothing for {span(quiet)} (last line at {iso(last)}; "
                f"limit {span(limit)})"
            )
        report.hosts.append(
            {
                "host": shown,
                "last_line": last,
                "quiet_secs": round(quiet, 1),
                "silent_after_secs": limit,
                "silent": silent,
            }
        )
    if not merged and inputs.statuses:
        report.notes.append("no web host has sent a line since the program's state began")


def _impstats(inputs: Inputs, report: Report) -> None:
    stats = inputs.impstats
    if stats is None and inputs.impstats_configured:
        report.notes.append(
            f"impstats is configured but has not written {inputs.impstats_path} yet (it writes "
            "once per interval after rsyslogd starts): rsyslog's queue sizes are unknown for now"
        )
        return
    if stats is None:
        report.notes.append(
            f"no impstats file at {inputs.impstats_path}: rsyslog's queue sizes are unknown "
            "(docs/operations.md shows the impstats lines to add)"
        )
        return
    age = max(inputs.now - stats.modified, 0.0)
    report.impstats = {"path": str(stats.path), "age_secs": round(age, 1)}
    if stats.size and not stats.records:
        report.problems.append(
            f"{stats.path} holds no impstats records: it is not the file rsyslog's impstats "
            'module writes (format="json", log.file=), so rsyslog\'s queue sizes are unknown'
        )
        return
    if not stats.size:
        report.notes.append(
            f"rsyslog's impstats file {stats.path} is empty: impstats has not written to it "
            "since it was emptied, so rsyslog's queue sizes are unknown for now"
        )
    if age > inputs.limits.impstats_max_age_secs:
        report.problems.append(
            f"rsyslog's impstats file {stats.path} was last written {span(age)} ago: rsyslogd "
            "is not running, or does not load impstats any more"
        )
    for queue in stats.queues.values():
        if not (queue.name.startswith("lwsyslog") or queue.name == "main Q"):
            continue
        name = sanitize(queue.name, 80)
        if queue.size > inputs.limits.max_queue:
            report.problems.append(
                f"{queue.size:,} lines wait in rsyslog's queue '{name}' (they are not getting "
                "through; see the problems above)"
            )
        if queue.discarded:
            report.problems.append(
                f"rsyslog's queue '{name}' discarded {queue.discarded:,} lines (it was full)"
            )
        report.queues.append(
            {
                "name": name,
                "size": queue.size,
                "max_size": queue.max_size,
                "enqueued": queue.enqueued,
                "discarded": queue.discarded,
            }
        )
    for action in stats.actions.values():
        if not action.name.startswith("lwsyslog"):
            continue
        name = sanitize(action.name, 80)
        if action.suspended_now:
            report.problems.append(
                f"rsyslog's action '{name}' is suspended: what it writes to (the program, or "
                "the central server) is failing; rsyslog retries it"
            )
        report.actions.append(
            {
                "name": name,
                "processed": action.processed,
                "failed": action.failed,
                "suspended": action.suspended_now,
            }
        )


def _messages(inputs: Inputs, report: Report) -> None:
    window = span(inputs.limits.window_secs)
    for source in inputs.unread_logs:
        report.notes.append(f"rsyslogd's messages not read: {source}")
    for issue in inputs.issues:
        times = "once" if issue.count == 1 else f"{issue.count} times"
        text = f"rsyslogd: {issue.words} ({times} in the last {window}; it said: {issue.detail})"
        (report.problems if issue.serious else report.notes).append(text)
        report.rsyslog_messages.append(
            {
                "kind": issue.kind,
                "what": issue.words,
                "count": issue.count,
                "latest": issue.detail,
                "serious": issue.serious,
            }
        )


def iso(when: float) -> str:
    """A time as ``2026-12-05T17:20:04Z``."""
    if when <= 0:
        return "never"
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def span(seconds: float) -> str:
    """A duration as people say it: ``45s``, ``15 min``, ``2.5 h``, ``3.0 days``."""
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _dict(record: Mapping[str, Any], key: str) -> list[tuple[Any, Any]]:
    value = record.get(key)
    return list(value.items()) if isinstance(value, dict) else []


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _float(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return 0.0
