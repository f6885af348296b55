"""Aligned text tables that fit a terminal: widths counted in screen columns, not characters.

Wide characters (CJK) take two columns and combining marks none; control characters never get
here (values are sanitized first). ``unicodedata`` answers this well enough for table cells,
so no terminal-width library is needed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

__all__ = ["Column", "cell_width", "clip", "render_table"]

_ELLIPSIS = "…"


def cell_width(text: str) -> int:
    """Screen columns ``text`` takes in a terminal."""
    if text.isascii():
        return len(text)
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def clip(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` columns, the cut marked with an ellipsis."""
    if cell_width(text) <= width:
        return text
    if width <= 0:
        return ""
    out: list[str] = []
    used = 0
    for char in text:
        w = cell_width(char)
        if used + w > width - 1:
            break
        out.append(char)
        used += w
    return "".join(out) + _ELLIPSIS


class Column:
    """A column: its heading, its widest allowed width, and whether it is right-aligned."""

    __slots__ = ("heading", "max_width", "right")

    def __init__(self, heading: str, max_width: int = 1000, *, right: bool = False) -> None:
        self.heading = heading
        self.max_width = max_width
        self.right = right


def render_table(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], total_width: int | None
) -> list[str]:
    """Lines of an aligned table. Each column is as wide as its widest cell (up to its
    ``max_width``); when ``total_width`` is given, the last column gets what is left (at
    least 12 columns) and longer cells are clipped with an ellipsis."""
    widths = [
        min(
            column.max_width,
            max([cell_width(column.heading), *(cell_width(row[i]) for row in rows)]),
        )
        for i, column in enumerate(columns)
    ]
    if total_width is not None:
        fixed = sum(widths[:-1]) + 2 * (len(columns) - 1)
        widths[-1] = max(12, min(widths[-1], total_width - fixed))
    lines = [_line(columns, widths, [c.heading for c in columns])]
    lines += [_line(columns, widths, row) for row in rows]
    return lines


def _line(columns: Sequence[Column], widths: Sequence[int], cells: Sequence[str]) -> str:
    parts = []
    last = len(columns) - 1
    for index, (column, width, cell) in enumerate(zip(columns, widths, cells, strict=True)):
        text = clip(cell, width)
        pad = " " * (width - cell_width(text))
        if column.right:
            parts.append(pad + text)
        elif index == last:
            parts.append(text)
        else:
            parts.append(text + pad)
    return "  ".join(parts)
