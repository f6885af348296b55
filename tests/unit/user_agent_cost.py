"""What a User-Agent costs through the whole pipeline, against ordinary words of its length."""

from __future__ import annotations

import time
from collections.abc import Callable

from lwsyslog.events import Origin
from lwsyslog.pipeline import Pipeline

__all__ = ["access_line", "cost_ratio", "ordinary_words"]

_WORDS = ("summer", "garden", "orange", "bicycle", "window", "yellow", "planet", "river")
_ACCESS = '203.0.113.5 - - [01/Mar/2026:10:00:00 +0000] "GET /index.html HTTP/1.1" 200 5120 '


def access_line(user_agent: str, serial: int) -> str:
    """An access line with ``user_agent``, made unique by ``serial`` (verdicts are cached per
    field value: a repeated line would be free)."""
    return f'{_ACCESS}"-" "{user_agent} u{serial}"'


def ordinary_words(length: int) -> str:
    """Ordinary words, ``length`` characters of them."""
    return " ".join(_WORDS[i % len(_WORDS)] for i in range(length // 5))[:length]


def cost_ratio(
    pipeline: Pipeline,
    hostile: str,
    budget: float,
    line: Callable[[str, int], str] = access_line,
    baseline_line: Callable[[str, int], str] | None = None,
) -> float:
    """How many times a line with the User-Agent ``hostile`` costs one with ordinary words of
    the same length: the best of 7 alternated runs of each (load on the machine slows both
    alike), tried up to 3 times while over ``budget``, so only a cost that grew by a large
    factor fails a test. ``line`` puts the field in a line (another field than the
    User-Agent); ``baseline_line``, when given, puts the ordinary words in the line compared
    against (another kind of line)."""
    normal = ordinary_words(len(hostile))
    baseline = line if baseline_line is None else baseline_line
    serial = [0]

    def seconds(user_agent: str, make: Callable[[str, int], str] = baseline) -> float:
        serial[0] += 1
        text = make(user_agent, serial[0])
        start = time.perf_counter()
        pipeline.process(text, Origin("cost", serial[0]))
        return time.perf_counter() - start

    for _ in range(3):
        seconds(normal)
    ratio = float("inf")
    for _ in range(3):
        times = [(seconds(hostile, line), seconds(normal)) for _ in range(7)]
        ratio = min(times)[0] / min(t for _, t in times)
        if ratio <= budget:
            break
    return ratio
