"""The digest as plain text: for a terminal, a cron mail, or the text part of an e-mail."""

from __future__ import annotations

from datetime import datetime

from lwsyslog.report.digest import ClientSummary, Digest
from lwsyslog.store.rows import safe_text

__all__ = [
    "describe_span",
    "epoch_text",
    "label",
    "local_format",
    "local_time",
    "render_text",
    "title",
]

_NONE_LABELS = {
    "category": "(none)",
    "rule": "(none)",
    "host": "(no host)",
    "client": "(none)",
}


def local_time(when: float, seconds: bool = False) -> str:
    """``2026-11-23 16:01`` in local time (``:05`` seconds when asked). A time no date can
    show (before year 1 or after 9999: a store may hold one from a bad log line) is shown
    as its epoch seconds, ``epoch 253402387139``, never an error."""
    return local_format(when, "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def local_format(when: float, fmt: str) -> str:
    """Epoch ``when`` in local time, formatted by ``strftime(fmt)``; :func:`epoch_text` for a
    time no date can show."""
    try:
        return datetime.fromtimestamp(when).astimezone().strftime(fmt)
    except (ValueError, OverflowError, OSError):
        return epoch_text(when)


def epoch_text(when: float) -> str:
    """``epoch 253402387139``: a time shown as the number it is stored as."""
    return f"epoch {when:.0f}"


def describe_span(seconds: float) -> str:
    """``24h``, ``7d``, ``1d 6h``, ``30m``: a period length people read at a glance."""
    total = round(seconds)
    if total < 2 * 86400 and total % 3600 == 0 and total:
        return f"{total // 3600}h"
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = (
        [f"{days}d"] * bool(days) + [f"{hours}h"] * bool(hours) + [f"{minutes}m"] * bool(minutes)
    )
    return " ".join(parts) or f"{total}s"


def label(value: str, kind: str, max_chars: int = 80) -> str:
    """A stored value ready to show: sanitized again (a store file may come from anywhere),
    with a readable stand-in for the empty value."""
    return safe_text(value, max_chars) if value else _NONE_LABELS[kind]


def title(digest: Digest) -> str:
    """``lwsyslog report 2026-11-22 16:00 - 2026-11-23 16:00 (24h)``."""
    return (
        f"lwsyslog report {local_time(digest.since)} - {local_time(digest.until)} "
        f"({describe_span(digest.seconds)})"
    )


def render_text(digest: Digest) -> str:
    """The whole digest, aligned for a fixed-width font, every log-derived value sanitized."""
    span = describe_span(digest.seconds)
    lines = [title(digest), ""]
    change = ""
    if digest.previous_total:
        percent = (digest.total - digest.previous_total) * 100 / digest.previous_total
        change = f", {percent:+.0f}%"
    lines.append(
        f"alerts       {digest.total:,} (previous {span}: {digest.previous_total:,}{change})"
    )
    severities = "  ".join(f"{name} {n:,}" for name, n in digest.by_severity)
    lines.append(f"by severity  {severities}")
    lines.append(
        f"clients      {digest.clients:,} ({digest.new_clients:,} not seen in the previous {span})"
    )
    _section(lines, "by category", [(label(k, "category"), n) for k, n in digest.by_category])
    if digest.top_clients:
        lines += ["", "top clients:"]
        width = max(len(label(c.client, "client", 45)) for c in digest.top_clients)
        for client in digest.top_clients:
            lines += _client_lines(client, width)
    _section(lines, "hosts most targeted", [(label(k, "host"), n) for k, n in digest.hosts])
    if digest.new_clients:
        lines += ["", f"new clients (none of their alerts in the previous {span}):"]
        width = max(len(label(c.client, "client", 45)) for c in digest.new_client_list)
        for client in digest.new_client_list:
            lines.append(
                f"  {label(client.client, 'client', 45):<{width}}  {_alerts(client.alerts)}, "
                f"first {local_time(client.first_seen, seconds=True)}"
            )
        if digest.new_clients > len(digest.new_client_list):
            lines.append(f"  ... {digest.new_clients - len(digest.new_client_list):,} more")
    _section(lines, "noisiest rules", [(label(k, "rule"), n) for k, n in digest.rules])
    return "\n".join(lines) + "\n"


def _alerts(count: int) -> str:
    return "1 alert" if count == 1 else f"{count:,} alerts"


def _section(lines: list[str], heading: str, rows: list[tuple[str, int]]) -> None:
    if not rows:
        return
    width = max(len(name) for name, _ in rows)
    count_width = max(len(f"{n:,}") for _, n in rows)
    lines += ["", f"{heading}:"]
    lines += [f"  {name:<{width}}  {n:>{count_width},}" for name, n in rows]


def _client_lines(client: ClientSummary, width: int) -> list[str]:
    name = label(client.client, "client", 45)
    new = "  (new)" if client.new else ""
    tried = ", ".join(f"{label(c, 'category', 40)} {n:,}" for c, n in client.categories[:6])
    rules = ", ".join(f"{label(r, 'rule', 60)} {n:,}" for r, n in client.rules[:6])
    hosts = ", ".join(f"{label(h, 'host', 60)} {n:,}" for h, n in client.hosts[:4])
    return [
        f"  {name:<{width}}  {_alerts(client.alerts)}, {local_time(client.first_seen, True)} "
        f"- {local_time(client.last_seen, True)}{new}",
        f"  {'':<{width}}  tried: {tried}",
        f"  {'':<{width}}  rules: {rules}",
        f"  {'':<{width}}  hosts: {hosts}",
    ]
