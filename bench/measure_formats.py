#!/usr/bin/env python3
"""Format measurement: how many lines of real logs in the new formats lwsyslog reads, and how fast.

Reads, with one :class:`~lwsyslog.formats.LineParser` per file in ``--log auto`` mode and every
access format on (the default list: Apache's, ``json``, ``iis``):

- the public IIS W3C logs under ``DATA/public/iis_w3c`` (real production logs of two sites and
  Elastic's IIS test shapes; see ``DATA/public/SOURCES.md``), skipped with a note when absent;
- the samples committed under ``tests/fixtures/formats`` (a real nginx 1.22 and apache2 2.4 run,
  the IIS fixture).

For each file: lines, access / error events, W3C directives, unparsed lines by reason, and the
parse rate in lines/s next to a baseline measured in the same run on the same lines (splitting
each line on spaces, the least any reader does); at the end the process's peak RSS. Elastic's
``test-x-forward-for.log`` has no ``#Fields:`` line: it is read once with the defaults (its
16-field lines are unparsed) and once with the field list its lines were written with
(``iis_fields``), as a user would configure it.

Usage: ``.venv/bin/python bench/measure_formats.py [--data DIR] [--repeat N]``. A few seconds.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from lwsyslog.events import Origin  # noqa: E402
from lwsyslog.formats import LineParser  # noqa: E402
from lwsyslog.formats.iis import DEFAULT_IIS_FIELDS  # noqa: E402

__all__ = ["Measured", "main", "measure"]

DEFAULT_DATA = ROOT.parent / "shared" / "data"
FIXTURES = ROOT / "tests" / "fixtures" / "formats"
XFF_FIELDS = (*DEFAULT_IIS_FIELDS, "X-Forwarded-For")


@dataclass
class Measured:
    """What one file gave."""

    name: str
    lines: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    parse_secs: float = 0.0
    baseline_secs: float = 0.0

    @property
    def unparsed(self) -> int:
        """Lines that are neither events nor W3C directives."""
        return sum(n for k, n in self.kinds.items() if k.startswith("unparsed:"))


def _read(path: Path) -> list[str]:
    text = path.read_bytes().decode("utf-8", "replace")
    pieces = text.split("\n")
    return pieces[:-1] if pieces and pieces[-1] == "" else pieces


def _best(seconds: Sequence[float]) -> float:
    return min(seconds) if seconds else 0.0


def measure(path: Path, name: str, repeat: int, iis_fields: Sequence[str] | None) -> Measured:
    """Parse ``path`` ``repeat`` times (fresh parser each time); keep the fastest run."""
    lines = _read(path)
    result = Measured(name, len(lines))
    parse_runs, base_runs = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        for text in lines:
            text.split(" ")
        base_runs.append(time.perf_counter() - start)
        parse = LineParser(iis_fields=iis_fields).parse
        start = time.perf_counter()
        for n, text in enumerate(lines, 1):
            parse(text, Origin(name, n))
        parse_runs.append(time.perf_counter() - start)
    parse = LineParser(iis_fields=iis_fields).parse  # untimed: what each line became
    for n, text in enumerate(lines, 1):
        event = parse(text, Origin(name, n))
        reason = getattr(event, "reason", None)
        result.kinds[event.log if reason is None else f"unparsed:{reason.value}"] += 1
    result.parse_secs, result.baseline_secs = _best(parse_runs), _best(base_runs)
    return result


def _files(data: Path) -> list[tuple[Path, str, Sequence[str] | None]]:
    out: list[tuple[Path, str, Sequence[str] | None]] = []
    public = data / "public" / "iis_w3c"
    for path in sorted(public.glob("*.log")) + sorted(public.glob("beats_iis_test/*.log")):
        out.append((path, str(path.relative_to(data)), None))
        if path.name == "test-x-forward-for.log":
            out.append(
                (path, f"{path.relative_to(data)} (iis_fields + X-Forwarded-For)", XFF_FIELDS)
            )
    for path in sorted(FIXTURES.glob("*/*.log")):
        out.append((path, str(path.relative_to(ROOT)), None))
    return out


def _rate(lines: int, secs: float) -> str:
    return f"{lines / secs:,.0f}" if secs > 0 else "n/a"


def main(argv: list[str] | None = None) -> int:
    """Measure every file and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if not (args.data / "public" / "iis_w3c").is_dir():
        print(f"note: {args.data}/public/iis_w3c is missing: only the committed fixtures are read")
    rows = [measure(path, name, args.repeat, fields) for path, name, fields in _files(args.data)]
    print("| file | lines | access | error | directive | unparsed | parse lines/s | "
          "baseline lines/s (split) |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    total = Measured("total")
    for row in rows:
        reasons = ", ".join(
            f"{k.removeprefix('unparsed:')} {n}"
            for k, n in row.kinds.items()
            if k.startswith("unparsed:") and k != "unparsed:directive"
        )
        unparsed = row.unparsed - row.kinds["unparsed:directive"]
        why = f" ({reasons})" if reasons else ""
        print(
            f"| {row.name} | {row.lines:,} | {row.kinds['access']:,} | {row.kinds['error']:,} | "
            f"{row.kinds['unparsed:directive']:,} | {unparsed:,}{why}"
            f" | {_rate(row.lines, row.parse_secs)} | {_rate(row.lines, row.baseline_secs)} |"
        )
        total.lines += row.lines
        total.kinds.update(row.kinds)
        total.parse_secs += row.parse_secs
        total.baseline_secs += row.baseline_secs
    unparsed = total.unparsed - total.kinds["unparsed:directive"]
    print(
        f"| **total** | {total.lines:,} | {total.kinds['access']:,} | {total.kinds['error']:,} | "
        f"{total.kinds['unparsed:directive']:,} | {unparsed:,} | "
        f"{_rate(total.lines, total.parse_secs)} | {_rate(total.lines, total.baseline_secs)} |"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {peak:.1f} MiB; fastest of {args.repeat} runs per file; Python "
          f"{sys.version.split()[0]}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
