"""The human summary printed at the end of ``lwsyslog scan``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from lwsyslog.alerts import Alert
from lwsyslog.pipeline import Pipeline
from lwsyslog.sanitize import sanitize

__all__ = ["SHOWN_ALERTS", "print_summary"]

SHOWN_ALERTS = 20
_SHOWN_CLIENTS = 10


def print_summary(
    pipeline: Pipeline,
    alerts: Sequence[Alert],
    elapsed_secs: float,
    out: TextIO,
    *,
    json_mode: bool = False,
) -> None:
    """Lines, unparsed, findings by category, top clients, alerts (the first few shown)."""
    stats = pipeline.stats
    rate = stats.lines / elapsed_secs if elapsed_secs > 0 else 0.0
    write = out.write
    write(
        f"lines        {stats.lines:,} ({stats.access:,} access, {stats.error:,} error) "
        f"in {elapsed_secs:.2f}s, {rate:,.0f} lines/s\n"
    )
    unparsed = ", ".join(f"{reason} {count:,}" for reason, count in stats.unparsed.most_common())
    write(f"unparsed     {stats.unparsed_total:,}" + (f" ({unparsed})" if unparsed else "") + "\n")
    if stats.invalid_utf8:
        write(f"invalid utf8 {stats.invalid_utf8:,} (replaced, still scanned)\n")
    write(f"urgent       {stats.urgent:,}; with findings {stats.lines_with_findings:,}\n")
    if stats.findings_by_category:
        write("findings by category:\n")
        for category, count in stats.findings_by_category.most_common():
            write(f"  {category:<18} {count:,}\n")
    if stats.clients:
        write("top clients (urgent lines):\n")
        for client, count in stats.clients.most_common(_SHOWN_CLIENTS):
            write(f"  {sanitize(client, 45):<40} {count:,}\n")
    total = stats.alerts
    write(f"alerts       {total:,}\n")
    for alert in alerts[:SHOWN_ALERTS]:
        write(
            f"  [{alert.severity}] {alert.rule} {sanitize(alert.message, 160)} "
            f"({sanitize(alert.last.describe(), 120)})\n"
        )
    if total > SHOWN_ALERTS:
        more = "all are in the JSON output" if json_mode else "use --json for all"
        write(f"  ... {total - SHOWN_ALERTS:,} more ({more})\n")
    evictions = pipeline.thresholds.evictions + pipeline.alert_maker.evictions
    if evictions:
        write(f"state        {evictions:,} keys evicted to bound memory\n")
