"""A progress bar on stderr, drawn only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from lwsyslog.sanitize import sanitize

__all__ = ["ProgressBar"]

_REDRAW_SECS = 0.2
_LABEL_CHARS = 30


class ProgressBar:
    """Shows bytes read of the total, lines and lines/s; redraws at most 5 times a second."""

    def __init__(self, total_bytes: int | None, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self.enabled = self._stream.isatty()
        self._total = total_bytes
        self._start = time.monotonic()
        self._next_draw = self._start

    def update(self, done_bytes: int, lines: int, label: str) -> None:
        """Redraw if enough time has passed."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now < self._next_draw:
            return
        self._next_draw = now + _REDRAW_SECS
        rate = lines / max(now - self._start, 1e-9)
        shown = _escaped_tail(label, _LABEL_CHARS)
        if self._total:
            fraction = min(done_bytes / self._total, 1.0)
            filled = int(fraction * 30)
            bar = "#" * filled + "-" * (30 - filled)
            text = f"\r{shown} [{bar}] {fraction:6.1%} {lines:,} lines {rate:,.0f}/s"
        else:
            text = f"\r{shown} {lines:,} lines {rate:,.0f}/s"
        self._stream.write(text + "\x1b[K")
        self._stream.flush()

    def finish(self) -> None:
        """Clear the bar's line."""
        if self.enabled:
            self._stream.write("\r\x1b[K")
            self._stream.flush()


def _escaped_tail(text: str, width: int) -> str:
    """The longest end of ``text`` whose escaped form fits in ``width`` characters, escaped:
    cut between two characters' escapes, never inside one (half an escape reads as text)."""
    pieces: list[str] = []
    used = 0
    for char in reversed(text):
        piece = sanitize(char)
        used += len(piece)
        if used > width:
            break
        pieces.append(piece)
    return "".join(reversed(pieces))
