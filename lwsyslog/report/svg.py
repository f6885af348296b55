"""Charts as inline SVG, made here: no script, no external file, every label escaped.

Two shapes are all the report needs (stacked columns over time, horizontal bars for a
ranking); a chart library would bring JavaScript or a rendering stack for less control over
escaping than these few functions give.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

__all__ = ["PALETTE", "horizontal_bars", "nice_ceiling", "stacked_columns"]

# Okabe-Ito (readable with colour blindness), then two neutrals for "other" and spare.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#999999",
    "#555555",
)
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def nice_ceiling(value: int, ticks: int = 5) -> tuple[int, int]:
    """(top, step): a round axis top at or above ``value`` and its tick step (1, 2, 5 x 10^k)."""
    if value <= 0:
        return ticks, 1
    raw = value / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    return step * math.ceil(value / step), step


def stacked_columns(
    title: str,
    labels: Sequence[str],
    tooltips: Sequence[str],
    series: dict[str, list[int]],
    *,
    chart_id: str,
    width: int = 900,
    height: int = 320,
) -> str:
    """Columns over time, one stacked segment per series. ``labels`` are the x labels (some
    are skipped when crowded), ``tooltips`` name each column's period in its hover text."""
    left, right, top, bottom = 56, 12, 12, 52
    legend_height = 22 * math.ceil(len(series) / 4) if series else 0
    plot_w = width - left - right
    plot_h = height - top - bottom
    total_h = height + legend_height
    columns = len(labels)
    totals = [sum(values[i] for values in series.values()) for i in range(columns)]
    axis_top, step = nice_ceiling(max(totals, default=0))
    parts = [_open(chart_id, title, width, total_h)]
    parts += _y_axis((left, top, plot_w, plot_h), axis_top, step)
    slot = plot_w / max(columns, 1)
    bar_w = max(1.0, slot * 0.8)
    every = max(1, math.ceil(columns / 12))
    for index in range(columns):
        x = left + index * slot + (slot - bar_w) / 2
        base = float(top + plot_h)
        for number, (name, values) in enumerate(series.items()):
            count = values[index]
            if not count:
                continue
            h = plot_h * count / axis_top
            base -= h
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[number % len(PALETTE)]}" '
                f'data-series="{escape(name)}" data-column="{index}" data-count="{count}">'
                f"<title>{escape(tooltips[index])}: {escape(name)} {count:,}</title></rect>"
            )
        if index % every == 0:
            parts.append(
                f'<text x="{left + index * slot + slot / 2:.1f}" y="{top + plot_h + 16}" '
                f'text-anchor="middle" {_FONT}>{escape(labels[index])}</text>'
            )
    for number, name in enumerate(series):
        lx = left + (number % 4) * (plot_w / 4)
        ly = height + 22 * (number // 4)
        parts.append(
            f'<rect x="{lx:.1f}" y="{ly - 10}" width="12" height="12" '
            f'fill="{PALETTE[number % len(PALETTE)]}"/>'
            f'<text class="legend" x="{lx + 18:.1f}" y="{ly}" {_FONT}>{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(
    title: str, items: Sequence[tuple[str, int]], *, chart_id: str, width: int = 900
) -> str:
    """One bar per (label, count), longest first as given; the count is written at its end."""
    row_h = 24
    label_w = 260
    right = 70
    height = max(row_h * len(items), row_h) + 8
    plot_w = width - label_w - right
    largest = max((count for _, count in items), default=0) or 1
    parts = [_open(chart_id, title, width, height)]
    for index, (name, count) in enumerate(items):
        y = 4 + index * row_h
        bar = max(1.0, plot_w * count / largest)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" {_FONT}>'
            f"{escape(_clip(name, 40))}</text>"
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{bar:.1f}" '
            f'height="{row_h - 6}" fill="{PALETTE[0]}" data-label="{escape(name)}" '
            f'data-count="{count}"><title>{escape(name)}: {count:,}</title></rect>'
            f'<text x="{label_w + bar + 6:.1f}" y="{y + 16}" {_FONT}>{count:,}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _open(chart_id: str, title: str, width: int, height: int) -> str:
    return (
        f'<svg id="{escape(chart_id)}" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{escape(chart_id)}-title">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
    )


def _y_axis(plot: tuple[int, int, int, int], axis_top: int, step: int) -> list[str]:
    left, top, plot_w, plot_h = plot
    parts = []
    for value in range(0, axis_top + 1, step):
        y = top + plot_h - plot_h * value / axis_top
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#ddd" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {_FONT}>{value:,}</text>'
        )
    return parts


def _clip(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"
