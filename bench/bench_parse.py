#!/usr/bin/env python3
"""Parse-stage benchmark: ``LineParser.parse`` alone over a log, against a regex baseline.

``bench_scan.py`` times the whole pipeline; this times only the parse stage, which is what a
change to ``lwsyslog/formats`` touches, and compares checkouts in one run: each ``--root`` (a
directory holding a ``lwsyslog`` package, e.g. an exported older commit) is measured in its own
child process, in turn, ``--rounds`` times, each child parsing the file ``--repeat`` times and
reporting its fastest pass in CPU time. The baseline (``baseline_regex.COMBINED``, one anchored
combined-format regex per line) runs in every child too, so a busy machine shows in it. Printed:
lines per CPU-second of the parser and of the baseline, their ratio, and each child's peak RSS.

Usage: ``.venv/bin/python bench/bench_parse.py FILE [--root DIR ...] [--repeat R] [--rounds N]
[--trusted-proxy CIDR ...]``
(no ``--root``: this checkout); ``--trusted-proxy CIDR`` times the parser with trusted proxies
configured (X-Forwarded-For checked on every access line). Example, before/after a change::

    git archive BASE | tar -x -C /tmp/base
    .venv/bin/python bench/bench_parse.py /tmp/lwb/access-200000-s1.log --root /tmp/base --root .
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["main"]

_CHILD = r"""
import json, re, resource, sys, time
root, path, repeat, bench = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
options = json.loads(sys.argv[5])
sys.path.insert(0, bench)
from baseline_regex import COMBINED
sys.path.insert(0, root)
from lwsyslog.events import Origin
from lwsyslog.formats import LineParser
import lwsyslog.formats.line_parser as lp
lines = open(path, encoding="utf-8", errors="replace").read().split("\n")[:-1]
combined = COMBINED
best_parse = best_base = float("inf")
origin = Origin(path, 0)
for _ in range(repeat):
    start = time.process_time()
    for text in lines:
        combined.match(text)
    best_base = min(best_base, time.process_time() - start)
    parse = LineParser(**options).parse
    start = time.process_time()
    for text in lines:
        parse(text, origin)
    best_parse = min(best_parse, time.process_time() - start)
print(json.dumps({"module": lp.__file__, "lines": len(lines), "parse": best_parse,
                  "base": best_base,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _child(root: Path, log: Path, repeat: int, options: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(root), str(log), str(repeat), str(ROOT / "bench"),
         options],
        capture_output=True, text=True, check=True, env=env, cwd="/",
    )  # fmt: skip
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def main(argv: list[str] | None = None) -> int:
    """Measure each root in turn and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--root", type=Path, action="append", default=[])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        help="LineParser(trusted_proxies=...) (roots without that parameter fail)",
    )
    args = parser.parse_args(argv)
    options = json.dumps({"trusted_proxies": args.trusted_proxy} if args.trusted_proxy else {})
    roots = [r.resolve() for r in args.root] or [ROOT]
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print("| round | lwsyslog from | lines | parse lines/CPU-s | baseline lines/CPU-s | "
          "parse/baseline CPU per line | peak RSS MiB |")  # fmt: skip
    print("|---:|---|---:|---:|---:|---:|---:|")
    for round_no in range(1, args.rounds + 1):
        for root in roots:
            r = _child(root, args.log, args.repeat, options)
            lines, parse, base = int(str(r["lines"])), float(str(r["parse"])), float(str(r["base"]))
            print(
                f"| {round_no} | {Path(str(r['module'])).parents[2]} | {lines:,} | "
                f"{lines / parse:,.0f} | {lines / base:,.0f} | {parse / base:.2f}x | "
                f"{int(str(r['rss'])) / 1024:.1f} |"
            )
    print(f"load average after: {os.getloadavg()[0]:.2f}; this process's peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
