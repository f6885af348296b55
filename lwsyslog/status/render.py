"""``lwsyslog status`` as text: what is wrong first, then the figures behind it."""

from __future__ import annotations

from typing import Any

from lwsyslog.status.check import Report, iso, span

__all__ = ["render_text"]

_SHOWN_STATS = (
    ("received", "received"),
    ("unparsed", "unparsed"),
    ("alerts", "alerts"),
    ("sink_failures", "sink failures"),
    ("sink_dropped", "sink drops"),
    ("pending_alerts", "pending alerts"),
)


def render_text(report: Report) -> str:
    """The report for a terminal or a monitoring check's output (first line: the verdict)."""
    lines: list[str] = []
    if report.ok:
        lines.append(f"lwsyslog status: OK ({report.role})")
    else:
        count = len(report.problems)
        lines.append(f"lwsyslog status: {count} problem{'s' if count != 1 else ''} ({report.role})")
    lines.extend(f"PROBLEM  {problem}" for problem in report.problems)
    lines.extend(f"note     {note}" for note in report.notes)
    lines.append("")
    pids = ", ".join(str(pid) for pid in report.rsyslogd) or "none"
    lines.append(f"rsyslogd  running: {pids}")
    for program in report.programs:
        lines.extend(_program_lines(program))
    if report.queues or report.actions:
        age = report.impstats["age_secs"] if report.impstats else 0.0
        lines.append(f"rsyslog   counters from impstats, {span(age)} old:")
        for queue in report.queues:
            lines.append(
                f"          queue {queue['name']}: {queue['size']:,} lines now, at most "
                f"{queue['max_size']:,}, discarded {queue['discarded']:,}"
            )
        for action in report.actions:
            state = "SUSPENDED" if action["suspended"] else "active"
            lines.append(
                f"          action {action['name']}: {state}, {action['processed']:,} "
                f"processed, {action['failed']:,} failed"
            )
    if report.hosts:
        lines.append("web hosts:")
        width = max(len(host["host"]) for host in report.hosts)
        for host in report.hosts:
            limit = host["silent_after_secs"]
            verdict = "SILENT" if host["silent"] else "ok"
            lines.append(
                f"  {host['host']:<{width}}  last line {iso(host['last_line'])} "
                f"({span(host['quiet_secs'])} ago; silent after "
                f"{span(limit) if limit else 'never'})  {verdict}"
            )
    return "\n".join(lines)


def _program_lines(program: dict[str, Any]) -> list[str]:
    parent = program["parent_pid"]
    if program["running"]:
        head = (
            f"program   instance {program['instance']}: running, pid {program['pid']} under "
            f"rsyslogd {parent}, since {iso(program['started'])}"
        )
    else:
        head = (
            f"program   instance {program['instance']}: NOT running (pid {program['pid']}, "
            f"last status {iso(program['status_written'])})"
        )
    stats = program["stats"]
    figures = ", ".join(f"{label} {stats.get(key, 0):,}" for key, label in _SHOWN_STATS)
    lag = program["lag_secs"]
    if lag is not None:
        figures += f", lag {lag:.1f}s"
    lines = [head, f"          {figures} (status {span(program['status_age_secs'])} old)"]
    for channel, figures in sorted((program.get("notify_channels") or {}).items()):
        kind = f" ({figures['kind']})" if figures["kind"] else ""
        state = f"FAILING for {span(figures['failing_secs'])}" if figures["failing_since"] else "ok"
        lines.append(
            f"          notify {channel}{kind}: {figures['delivered']:,} delivered, "
            f"{figures['failures']:,} failed attempts, {state}"
        )
    metrics = (program.get("metrics") or {}) if program["running"] else {}
    for kind in ("listen", "textfile"):
        if metrics.get(kind):
            lines.append(f"          metrics {kind}: {metrics[kind]}")
    return lines
