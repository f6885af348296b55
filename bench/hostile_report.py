"""Shared by the hostile-input benchmarks: the report header, tables and the report file.

Each benchmark prints its Markdown report and writes the same text to
``bench/out/<name>-<UTC time>.md`` (git-ignored).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "OUT_DIR",
    "ROOT",
    "Report",
    "apache_escape",
    "git_commit",
    "load_average",
    "machine",
    "md_code",
]

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT_DIR = BENCH / "out"

# How Apache's ap_escape_logitem() writes a byte into a log field.
_NAMED = {0x08: "\\b", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x0B: "\\v"}


def apache_escape(text: str) -> str:
    """``text`` as Apache logs a request field: ``"`` and ``\\`` backslash-escaped, control
    characters and every byte of a non-ASCII character as ``\\xhh`` (``\\t``, ``\\n`` named)."""
    out: list[str] = []
    for byte in text.encode("utf-8"):
        if byte in (0x22, 0x5C):
            out.append("\\" + chr(byte))
        elif byte in _NAMED:
            out.append(_NAMED[byte])
        elif byte < 0x20 or byte >= 0x7F:
            out.append(f"\\x{byte:02x}")
        else:
            out.append(chr(byte))
    return "".join(out)


def load_average() -> str:
    """The 1/5/15-minute load averages, e.g. ``0.52 0.40 0.31``."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def git_commit() -> str:
    """The short commit of the checkout being measured (``+dirty`` when it has changes)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def machine() -> str:
    """CPU model, core count and Python version, one line."""
    model = platform.processor() or "unknown CPU"
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                model = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


class Report:
    """Markdown text that is printed as it is built and saved at the end."""

    def __init__(self, name: str, title: str, argv: Sequence[str] | None = None) -> None:
        self.name = name
        self.parts: list[str] = []
        stamp = dt.datetime.now(dt.UTC)
        self.stamp = stamp.strftime("%Y-%m-%dT%H%M%S")
        command = " ".join(["bench/" + Path(sys.argv[0]).name, *(argv or sys.argv[1:])])
        self.line(f"# {title}\n")
        self.line(f"- date: {stamp.strftime('%Y-%m-%d %H:%M:%S')} UTC; commit {git_commit()}")
        self.line(f"- machine: {machine()}")
        self.line(f"- command: `{command}`")
        self.line(f"- load average at start: {load_average()}")

    def line(self, text: str = "") -> None:
        """Add a line (printed at once, so a long run shows progress)."""
        self.parts.append(text)
        print(text, flush=True)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]], align: str) -> None:
        """A Markdown table; ``align`` holds one ``l`` or ``r`` per column."""
        self.line("| " + " | ".join(header) + " |")
        self.line("|" + "|".join("---:" if a == "r" else "---" for a in align) + "|")
        for row in rows:
            self.line("| " + " | ".join(str(cell) for cell in row) + " |")
        self.line()

    def save(self) -> Path:
        """Write the report to ``bench/out/<name>-<time>.md`` and return the path."""
        self.line(f"- load average at end: {load_average()}")
        OUT_DIR.mkdir(exist_ok=True)
        path = OUT_DIR / f"{self.name}-{self.stamp}.md"
        # A seed given on the command line as a byte that is no UTF-8 arrives as a surrogate.
        path.write_text("\n".join(self.parts) + "\n", encoding="utf-8", errors="backslashreplace")
        print(f"\nwritten: {path.relative_to(ROOT)}", file=sys.stderr)
        return path


def md_code(text: str, limit: int = 24) -> str:
    """A seed shown in a table cell: ``repr`` (no raw control characters), cut, pipes escaped."""
    shown = repr(text)
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    shown = shown.replace("|", "\\|")
    return f"`` {shown} ``" if "`" in shown else f"`{shown}`"
