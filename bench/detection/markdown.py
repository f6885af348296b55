"""Markdown output: tables, code spans safe for table cells, and marker-delimited blocks."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from lwsyslog.sanitize import sanitize

__all__ = ["code", "counts", "pct", "replace_block", "table"]


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table; numbers are right-aligned."""
    body = [[str(cell) for cell in row] for row in rows]
    numeric = [all(_is_number(row[i]) for row in body) and bool(body) for i in range(len(header))]
    rule = ["---:" if numeric[i] else "---" for i in range(len(header))]
    lines = [_row(header), _row(rule)]
    lines.extend(_row(row) for row in body)
    return "\n".join(lines)


def code(text: str, max_chars: int = 160, *, cell: bool = False) -> str:
    """``text`` as an inline code span safe for hostile content (``cell``: in a table row)."""
    clean = sanitize(text, max_chars)
    if cell:
        clean = clean.replace("|", "\\|")
    run = max((len(m) for m in re.findall(r"`+", clean)), default=0)
    fence = "`" * (run + 1)
    pad = " " if run or clean.startswith(" ") or clean.endswith(" ") else ""
    return f"{fence}{pad}{clean}{pad}{fence}" if clean else "(empty)"


def pct(part: int, whole: int, digits: int = 1) -> str:
    """``part`` as a percentage of ``whole`` ("-" when ``whole`` is 0)."""
    if whole == 0:
        return "-"
    return f"{100.0 * part / whole:.{digits}f}%"


def counts(counter: Counter[str], limit: int = 12) -> str:
    """``name n, name n, ...`` most frequent first (``-`` when empty)."""
    items = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    text = ", ".join(f"{name} {n}" for name, n in items[:limit])
    if len(items) > limit:
        text += f", … {len(items) - limit} more"
    return text or "-"


def replace_block(document: str, name: str, body: str) -> str:
    """``document`` with the text between ``<!-- measured:NAME:start/end -->`` set to ``body``.

    A missing block is appended at the end, so a new section needs no hand edit of the file.
    """
    start = f"<!-- measured:{name}:start -->"
    end = f"<!-- measured:{name}:end -->"
    block = f"{start}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(document):
        return pattern.sub(lambda _: block, document, count=1)
    return document.rstrip("\n") + "\n\n" + block + "\n"


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cell.replace("\n", " ") for cell in cells) + " |"


def _is_number(cell: str) -> bool:
    return bool(re.fullmatch(r"[\d,.]+%?|-", cell))
