"""A digest written for people: a title, a plain-text body and an HTML body.

Every value that came from a log line goes through :mod:`lwsyslog.notify.escape`; only the
fixed words of these templates and the advice lines are ours. The bodies end with the
delivery id, so a person (or a receiver) can tell a retried duplicate from a new message.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime

from lwsyslog.notify.advice import advice_for
from lwsyslog.notify.digest import Digest, detail
from lwsyslog.notify.escape import for_html, for_people
from lwsyslog.notify.record import AlertRecord

__all__ = ["body_html", "body_text", "title", "when"]

_SHORT = 120
_MESSAGE = 500
_LINE = 2000


def when(epoch: float) -> str:
    """``2026-11-23 18:39:32 UTC``."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _minutes(secs: float) -> str:
    minutes = max(round(secs / 60), 1)
    return "minute" if minutes == 1 else f"{minutes} minutes"


def title(digest: Digest, safe: Callable[[str, int], str] = for_people) -> str:
    """One line saying what happened, with log content passed through ``safe``."""
    total = digest["total_alerts"]
    severity = digest["severity"]
    if digest["kind"] == "storm":
        rule = safe(digest["key"], _SHORT)
        return (
            f"storm: {rule} from {digest['distinct_clients']:,} clients in the last "
            f"{_minutes(digest['window_secs'])} ({total:,} alerts)"
        )
    if digest["kind"] == "overflow":
        return (
            f"{total:,} alerts in {digest['groups']:,} groups (rate limit reached; "
            f"highest {severity})"
        )
    if total == 1:
        alert = detail(digest)[0]
        host = f" on {safe(alert.host, _SHORT)}" if alert.host else ""
        return f"{severity} {safe(alert.rule, _SHORT)}: {safe(alert.client, _SHORT)}{host}"
    rules = ", ".join(safe(rule, _SHORT) for rule, _ in digest["rules"][:3])
    if digest["group_by"] == "rule":
        return f"{total:,} alerts of {rules} from {digest['distinct_clients']:,} clients"
    return f"{total:,} alerts from {safe(digest['key'], _SHORT)} ({severity}: {rules})"


def _summary_lines(digest: Digest) -> list[str]:
    lines: list[str] = []
    if digest["kind"] == "storm":
        lines.append(
            f"{for_people(digest['key'], _SHORT)}: {digest['distinct_clients']:,} clients in the "
            f"last {_minutes(digest['window_secs'])}, top {len(digest['clients'])}:"
        )
    elif digest["kind"] == "overflow":
        messages, secs = digest["rate_limit"]
        lines.append(
            f"The channel's rate limit ({messages} messages per {_minutes(secs)}) was reached: "
            f"{digest['groups']:,} groups are folded into this message. Top clients:"
        )
    if digest["kind"] != "group" or digest["total_alerts"] > 1:
        if digest["kind"] == "group":
            lines.append(f"{digest['total_alerts']:,} alerts, by client:")
        lines.extend(f"  {for_people(c, _SHORT)}  {n:,} alerts" for c, n in digest["clients"])
        lines.append(
            "rules: " + ", ".join(f"{for_people(r, _SHORT)} ({n:,})" for r, n in digest["rules"])
        )
        if digest["hosts"]:
            hosts = ", ".join(f"{for_people(h, _SHORT)} ({n:,})" for h, n in digest["hosts"])
            lines.append(f"web hosts: {hosts}")
        lines.append(f"between {when(digest['first_time'])} and {when(digest['last_time'])}")
        lines.append("")
    return lines


def _alert_lines(alert: AlertRecord) -> list[str]:
    host = for_people(alert.host, _SHORT) or "-"
    lines = [
        f"{alert.severity} {for_people(alert.rule, _SHORT)} at {when(alert.time)}",
        f"  web host: {host}   client: {for_people(alert.client, _SHORT)}   count: {alert.count}",
        f"  what: {for_people(alert.message, _MESSAGE)}",
        f"  line: {for_people(alert.sample, _LINE)}",
        f"  source: {for_people(alert.source, _SHORT)}",
    ]
    if alert.cves:
        lines.insert(3, f"  CVE: {for_people(', '.join(alert.cves), _SHORT)}")
    return lines


def body_text(digest: Digest) -> str:
    """The plain-text body."""
    lines = [f"lwsyslog: {title(digest)}", "", *_summary_lines(digest)]
    shown = detail(digest)
    for alert in shown:
        lines.extend(_alert_lines(alert))
        lines.append("")
    hidden = digest["total_alerts"] - len(shown)
    if hidden > 0:
        lines.extend([f"({hidden:,} more alerts not shown)", ""])
    lines.append("What to do:")
    lines.extend(
        f"  {category + ': ' if category else ''}{text}"
        for category, text in advice_for(digest["categories"])
    )
    lines.extend(["", f"delivery id: {digest['delivery_id']}"])
    return "\n".join(lines) + "\n"


def body_html(digest: Digest) -> str:
    """The HTML body: the same content, every log value HTML-escaped."""
    parts = [
        '<!DOCTYPE html><html><body style="font-family:sans-serif">',
        f"<h2>lwsyslog: {html.escape(title(digest))}</h2>",
    ]
    summary = _summary_lines(digest)
    if summary:
        parts.append("<pre>" + html.escape("\n".join(summary)) + "</pre>")
    for alert in detail(digest):
        parts.append(
            '<table style="border-collapse:collapse;margin-bottom:1em" border="1" cellpadding="4">'
        )
        rows = [
            ("severity", html.escape(alert.severity)),
            ("rule", for_html(alert.rule, _SHORT)),
            ("time", html.escape(when(alert.time))),
            ("web host", for_html(alert.host, _SHORT) or "-"),
            ("client", for_html(alert.client, _SHORT)),
            ("count", str(alert.count)),
            *([("CVE", for_html(", ".join(alert.cves), _SHORT))] if alert.cves else []),
            ("what", for_html(alert.message, _MESSAGE)),
            ("line", f"<code>{for_html(alert.sample, _LINE)}</code>"),
            ("source", for_html(alert.source, _SHORT)),
        ]
        parts.extend(f'<tr><th align="left">{k}</th><td>{v}</td></tr>' for k, v in rows)
        parts.append("</table>")
    hidden = digest["total_alerts"] - len(digest["alerts"])
    if hidden > 0:
        parts.append(f"<p>({hidden:,} more alerts not shown)</p>")
    parts.append("<h3>What to do</h3><ul>")
    parts.extend(
        f"<li>{html.escape(category + ': ' if category else '')}{html.escape(text)}</li>"
        for category, text in advice_for(digest["categories"])
    )
    parts.append(f"</ul><p><small>delivery id: {html.escape(digest['delivery_id'])}</small></p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
