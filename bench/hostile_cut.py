"""bench_hostile's section on lines no format reads whole: a line longer than the configured
maximum (read as far as it goes, as a cut line) and a line of the same length that fits no
format (a status that is not a number), each against an ordinary line just under the maximum,
which is read whole. The padding is the seed's, so a seed that is hard for the salvage's reading
of Apache's escapes (``\\"``, ``\\\\``) shows here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hostile_report import Report, md_code
from hostile_seeds import FIELDS, seed_fill

__all__ = ["cut_lines"]

# Seeds for the salvage's text reading: ordinary words, escaped quotes and backslashes (one
# regex step each), and characters Apache writes as \xHH.
SEEDS = ("lorem ipsum ", '\\"', "\\\\", "\x1b", "%41")
# The main table's lines of these fields (status 200), reused here.
_FIELDS = tuple(f for f in FIELDS if f.name in ("query", "user_agent"))


def _no_status(line: str) -> str:
    """``line`` with its status written as a word: no format reads it."""
    return line.replace('" 200 5120 ', '" x 5120 ', 1)


def cut_lines(report: Report, best: Callable[[Callable[[int], str]], float], max_chars: int,
              us: Callable[[float], str], seeds: Sequence[str] = SEEDS) -> list[float]:  # fmt: skip
    """Add the section; ``best(build)`` is the fastest seconds of a line ``build(n)`` makes.
    The ratios of the rows come back (the cut and the unparseable line over the ordinary one)."""
    rows: list[list[Any]] = []
    ratios: list[float] = []
    for field in _FIELDS:
        build = field.build
        room = max_chars - len(build("", 10**9)) - 16
        words = seed_fill("lorem ipsum ", room, logged=True)
        ordinary = best(lambda n, b=build, f=words: b(f, n))
        for seed in seeds:
            over = seed_fill(seed, room + 4096, logged=True)
            same = seed_fill(seed, room, logged=True)
            whole = best(lambda n, b=build, f=same: b(f, n))
            cut = best(lambda n, b=build, f=over: b(f, n))
            unparsed = best(lambda n, b=build, f=same: _no_status(b(f, n)))
            ratios += [cut / ordinary, unparsed / ordinary]
            rows.append([
                md_code(seed), field.name, us(ordinary), us(whole), us(cut),
                f"{cut / ordinary:.1f}x", f"{cut / whole:.1f}x", us(unparsed),
                f"{unparsed / ordinary:.1f}x",
            ])  # fmt: skip
    report.line(
        f"\nLines no format reads whole, against an ordinary line just under the maximum "
        f"({max_chars:,} chars), which is read whole, and against the seed's own line of that "
        "length: a cut line (the seed's padding 4 KiB past the maximum) and a line of the "
        "same length whose status is not a number.\n"
    )
    report.table(
        ["seed", "field", "ordinary us", "seed whole us", "cut us", "cut / ordinary",
         "cut / seed whole", "no format us", "no format / ordinary"],
        rows, "llrrrrrrr",
    )  # fmt: skip
    return ratios
