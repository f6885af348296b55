#!/usr/bin/env python3
"""``lwsyslog scan`` on a file whose one line runs for many MiB, against a file of the same
size made of ordinary lines (the baseline, measured in the same run).

A line longer than the pipeline reads is cut to its head; what this measures is that reading
it stays linear in its length, in time and memory: before the fix, each 1 MiB read copied
and split the whole unfinished line (25 MB: 0.5 s, 200 MB: 25 s and 680 MB of memory).
Each file is scanned by a fresh ``lwsyslog scan`` process; the figures are its wall time,
MiB/s and peak resident memory (``wait4``), best of ``--reps``.

    .venv/bin/python bench/bench_scan_long_line.py               # 16, 32 and 64 MiB, best of 2
    .venv/bin/python bench/bench_scan_long_line.py --sizes 16 --reps 1
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_ORDINARY = (
    b'198.51.100.4 - - [07/Dec/2026:10:00:00 +0000] "GET /products/item-42?ref=home HTTP/1.1"'
    b' 200 5120 "https://www.example.com/" "Mozilla/5.0 (X11; Linux x86_64; rv:133.0)"\n'
)
_HEAD = b'203.0.113.9 - - [07/Dec/2026:10:00:00 +0000] "GET /../../etc/passwd?a='
_TAIL = b' HTTP/1.1" 200 0 "-" "UA"\n'


def _write(path: Path, mib: int, long_line: bool) -> None:
    size = mib << 20
    with path.open("wb") as out:
        if long_line:
            out.write(_ORDINARY + _HEAD)
            block = b"a" * (1 << 20)
            for _ in range(mib):
                out.write(block)
            out.write(_TAIL + _ORDINARY)
        else:
            lines = _ORDINARY * ((1 << 20) // len(_ORDINARY))
            written = 0
            while written < size:
                out.write(lines)
                written += len(lines)


def _scan(path: Path) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one ``lwsyslog scan`` of ``path``."""
    command = [sys.executable, "-m", "lwsyslog", "scan", "--no-system-config", str(path)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench_scan_long_line: scan of {path} failed")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    """Scan each size's two files, best of ``--reps``, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64], metavar="MIB")
    parser.add_argument("--reps", type=int, default=2)
    args = parser.parse_args()
    print("| file | MiB | seconds | MiB/s | peak memory MiB |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="lwsyslog-long-line-") as directory:
        for mib in args.sizes:
            for long_line, label in ((False, "ordinary lines (baseline)"), (True, "one long line")):
                path = Path(directory) / f"{mib}-{int(long_line)}.log"
                _write(path, mib, long_line)
                runs = [_scan(path) for _ in range(args.reps)]
                seconds = min(run[0] for run in runs)
                memory = max(run[1] for run in runs)
                print(f"| {label} | {mib} | {seconds:.2f} | {mib / seconds:.0f} | {memory:.0f} |")
                path.unlink()


if __name__ == "__main__":
    main()
