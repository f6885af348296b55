"""The scan progress bar: drawn on a terminal, silent otherwise."""

from __future__ import annotations

import io

from lwsyslog.cli.progress import ProgressBar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bar_shows_percent_lines_and_rate_on_a_terminal() -> None:
    screen = _Terminal()
    bar = ProgressBar(1000, stream=screen)
    bar.update(500, 4096, "access.log")
    bar.finish()
    text = screen.getvalue()
    assert "access.log" in text and " 50.0%" in text and "4,096 lines" in text
    assert text.endswith("\r\x1b[K")


def test_nothing_is_drawn_when_output_is_not_a_terminal() -> None:
    piped = io.StringIO()
    bar = ProgressBar(1000, stream=piped)
    bar.update(500, 4096, "access.log")
    bar.finish()
    assert piped.getvalue() == ""
