"""A/B of two source trees: ``lwsyslog scan --json`` on the same log, runs alternated.

Each tree is a checkout with its compiled modules built in place (``LWSYSLOG_COMPILE=1
python setup.py build_ext --inplace``); it is put first on ``PYTHONPATH``, so the same
interpreter and dependencies run both. Runs alternate A, B, A, B... pinned to one CPU, so a
busy moment of the machine falls on both; the least CPU time of each tree is the figure (the
one load disturbs least), with the median and the peak RSS beside it.

    python bench/ab_trees.py --a /tmp/old --b . --log churn.log --runs 6
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run both trees alternately and print a Markdown table of their CPU times."""
    args = _parse(argv)
    trees = {"A": args.a.resolve(), "B": args.b.resolve()}
    cpu: dict[str, list[float]] = {name: [] for name in trees}
    rss: dict[str, int] = dict.fromkeys(trees, 0)
    for _ in range(args.runs):
        for name, tree in trees.items():
            seconds, peak = _run(tree, args.log, args.cpu)
            cpu[name].append(seconds)
            rss[name] = max(rss[name], peak)
    print(f"log: {args.log} ({args.log.stat().st_size:,} bytes); {args.runs} runs each, "
          f"alternated, pinned to CPU {args.cpu}\n")  # fmt: skip
    print("| tree | path | CPU s least | CPU s median | peak RSS MiB |")
    print("|---|---|---:|---:|---:|")
    for name, tree in trees.items():
        times = cpu[name]
        print(f"| {name} | {tree} | {min(times):.2f} | {statistics.median(times):.2f} | "
              f"{rss[name] / 1024:.1f} |")  # fmt: skip
    print(f"\nB against A, least CPU: {min(cpu['B']) / min(cpu['A']) - 1:+.1%}")
    return 0


def _run(tree: Path, log: Path, cpu: int) -> tuple[float, int]:
    """CPU seconds and peak RSS (KiB) of one scan by ``tree`` (this child's own rusage)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, "-m", "lwsyslog", "scan", "--json", "--no-system-config", str(log)]
    if cpu >= 0:
        command = ["taskset", "-c", str(cpu), *command]
    # The summary goes to stderr under --json: kept in a file, shown only when the scan fails.
    with tempfile.TemporaryFile() as errors:
        with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors) as child:
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            errors.seek(0)
            tail = errors.read()[-400:].decode("utf-8", "replace")
            raise SystemExit(f"{tree}: scan failed with status {child.returncode}: {tail}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", type=Path, required=True, help="tree A (say, the old code)")
    parser.add_argument("--b", type=Path, required=True, help="tree B (say, the new code)")
    parser.add_argument("--log", type=Path, required=True, help="the access log to scan")
    parser.add_argument("--runs", type=int, default=6, help="runs per tree (6)")
    parser.add_argument("--cpu", type=int, default=1, help="CPU to pin to; -1: no pin (1)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
