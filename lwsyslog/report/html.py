"""The digest as one self-contained HTML page: inline CSS and SVG, no script, no request.

Every value that came from a log (clients, hosts, rules, categories) is HTML-escaped where it
is written, and the page's Content-Security-Policy allows no script and no fetch at all, so
even a value that slipped past escaping could not run or call out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape

from lwsyslog.report.digest import ClientSummary, Digest
from lwsyslog.report.svg import horizontal_bars, stacked_columns
from lwsyslog.report.text import describe_span, label, local_format, local_time, title
from lwsyslog.store.rows import iso_utc

__all__ = ["render_html"]

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 960px; color: #222;
       padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: .2em; }
h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
.cards { display: flex; gap: 1em; flex-wrap: wrap; margin: 1em 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: .6em 1em; min-width: 9em; }
.card .n { font-size: 1.6em; font-weight: 600; display: block; }
table { border-collapse: collapse; width: 100%; font-size: .92em; }
th, td { text-align: left; padding: .3em .6em; border-bottom: 1px solid #eee;
         vertical-align: top; overflow-wrap: anywhere; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.muted { color: #666; }
td.nowrap { white-space: nowrap; overflow-wrap: normal; }
td.list { min-width: 7em; }
.sev-critical { color: #b00020; font-weight: 600; }
.sev-high { color: #d55e00; font-weight: 600; }
svg { max-width: 100%; height: auto; }
"""


def render_html(digest: Digest) -> str:
    """The report page for ``digest``."""
    span = describe_span(digest.seconds)
    page_title = title(digest)
    body = [
        f"<h1>{escape(page_title)}</h1>",
        f'<p class="muted">From <time datetime="{iso_utc(digest.since)}">'
        f"{escape(local_time(digest.since))}</time> to "
        f'<time datetime="{iso_utc(digest.until)}">{escape(local_time(digest.until))}</time> '
        f"(local time, {escape(datetime.now().astimezone().strftime('%Z'))}).</p>",
        '<div class="cards">',
        _card("total-alerts", "alerts", digest.total),
        _card("previous-alerts", f"previous {span}", digest.previous_total),
        _card("clients", "clients", digest.clients),
        _card("new-clients", "new clients", digest.new_clients),
        "</div>",
        "<h2>Alerts over time, by category</h2>",
        _timeline_chart(digest),
        "<h2>By severity</h2>",
        _table(
            "by-severity",
            ("severity", "alerts"),
            (
                [f'<span class="sev-{escape(s)}">{escape(s)}</span>', n]
                for s, n in digest.by_severity
            ),
            keys=[s for s, _ in digest.by_severity],
        ),
        "<h2>By category</h2>",
        '<p class="muted">An alert counts under every category it names.</p>',
        _table(
            "by-category",
            ("category", "alerts"),
            ([escape(label(c, "category")), n] for c, n in digest.by_category),
            keys=[c for c, _ in digest.by_category],
        ),
        "<h2>Top clients</h2>",
        horizontal_bars(
            "Alerts per client",
            [(label(c.client, "client", 60), c.alerts) for c in digest.top_clients],
            chart_id="chart-clients",
        )
        if digest.top_clients
        else '<p class="muted">No client.</p>',
        _clients_table(digest.top_clients),
        "<h2>Hosts most targeted</h2>",
        '<p class="muted">(no host): alerts from offline scans (lwsyslog scan --store).</p>',
        _table(
            "hosts",
            ("web host", "alerts"),
            ([escape(label(h, "host")), n] for h, n in digest.hosts),
            keys=[h for h, _ in digest.hosts],
        ),
        f"<h2>New clients (no alert in the previous {escape(span)})</h2>",
        _table(
            "new-clients-table",
            ("client", "alerts", "first seen"),
            (
                [escape(label(c.client, "client", 60)), c.alerts, _when(c.first_seen)]
                for c in digest.new_client_list
            ),
            keys=[c.client for c in digest.new_client_list],
        ),
        _more(digest.new_clients - len(digest.new_client_list)),
        "<h2>Noisiest rules</h2>",
        _table(
            "rules",
            ("rule", "alerts"),
            ([escape(label(r, "rule")), n] for r, n in digest.rules),
            keys=[r for r, _ in digest.rules],
        ),
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{escape(page_title)}</title><style>{_STYLE}</style></head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + "\n</body></html>\n"
    )


def _severity(name: str) -> str:
    return f'<span class="sev-{escape(name)}">{escape(name)}</span>'


def _card(element_id: str, caption: str, value: int) -> str:
    return (
        f'<div class="card"><span class="n" id="{element_id}" data-count="{value}">'
        f"{value:,}</span>{escape(caption)}</div>"
    )


def _timeline_chart(digest: Digest) -> str:
    timeline = digest.timeline
    if not digest.total:
        return '<p class="muted">No alert in this period.</p>'
    day_format = "%H:%M" if timeline.bucket_secs < 86400 else "%m-%d"
    labels = [local_format(start, day_format) for start in timeline.starts]
    tooltips = [local_time(s) for s in timeline.starts]
    series = {label(name, "category"): values for name, values in timeline.series.items()}
    return stacked_columns(
        f"Alerts per {describe_span(timeline.bucket_secs)}, stacked by leading category",
        labels,
        tooltips,
        series,
        chart_id="chart-timeline",
    )


def _table(
    table_id: str, headings: Sequence[str], rows: Iterable[list[object]], *, keys: Sequence[str]
) -> str:
    """A table; cells that are ints are right-aligned counts (so is the "alerts" heading),
    str cells are already HTML."""
    head = "".join(
        f'<th class="n">{escape(h)}</th>' if h == "alerts" else f"<th>{escape(h)}</th>"
        for h in headings
    )
    out = [f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>']
    for key, row in zip(keys, rows, strict=False):
        cells = "".join(
            f'<td class="n">{cell:,}</td>' if isinstance(cell, int) else f"<td>{cell}</td>"
            for cell in row
        )
        out.append(f'<tr data-key="{escape(key)}">{cells}</tr>')
    if not keys:
        out.append(f'<tr><td colspan="{len(headings)}" class="muted">none</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


def _clients_table(clients: Sequence[ClientSummary]) -> str:
    if not clients:
        return ""
    out = [
        '<table id="top-clients"><thead><tr><th>client</th><th class="n">alerts</th>'
        "<th>first seen</th><th>last seen</th><th>what it tried</th><th>rules</th>"
        "<th>hosts</th></tr></thead><tbody>"
    ]
    for client in clients:
        new = ' <span class="muted">(new)</span>' if client.new else ""
        out.append(
            f'<tr data-key="{escape(client.client)}">'
            f'<td class="nowrap">{escape(label(client.client, "client", 60))}{new}</td>'
            f'<td class="n">{client.alerts:,}</td>'
            f'<td class="nowrap">{_when(client.first_seen)}</td>'
            f'<td class="nowrap">{_when(client.last_seen)}</td>'
            f'<td class="list">{_counted(client.categories, "category")}</td>'
            f'<td class="list">{_counted(client.rules, "rule")}</td>'
            f'<td class="list">{_counted(client.hosts, "host")}</td></tr>'
        )
    out.append("</tbody></table>")
    return "".join(out)


def _counted(items: Sequence[tuple[str, int]], kind: str) -> str:
    return ", ".join(f"{escape(label(name, kind, 60))}&nbsp;{n:,}" for name, n in items[:8])


def _when(when: float) -> str:
    return f'<time datetime="{iso_utc(when)}">{escape(local_time(when, seconds=True))}</time>'


def _more(count: int) -> str:
    return f'<p class="muted">... and {count:,} more.</p>' if count > 0 else ""
