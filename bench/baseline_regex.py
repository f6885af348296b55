#!/usr/bin/env python3
"""Baseline for the scan benchmark: the cheapest honest way to read a combined log in Python.

It opens each file as lwsyslog would (UTF-8, invalid bytes replaced), matches one hand-written,
anchored combined-format regex per line and counts matches; nothing else. Whatever a real scanner
does beyond this (field decoding, triage, rules, windows, output) is its overhead over the baseline.

Usage: ``baseline_regex.py FILE...``; prints ``lines N matched M`` to stderr.
"""

from __future__ import annotations

import re
import sys

__all__ = ["COMBINED", "count_matches", "main"]

COMBINED = re.compile(
    r"(?P<host>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>[^\]]+)\] "
    r'"(?P<request>(?:[^"\\]|\\.)*)" (?P<status>\d{3}) (?P<size>\d+|-) '
    r'"(?P<referer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)"$'
)


def count_matches(path: str) -> tuple[int, int]:
    """Return (lines, matched lines) for one file."""
    match = COMBINED.match
    lines = matched = 0
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            lines += 1
            if match(line.rstrip("\n")) is not None:
                matched += 1
    return lines, matched


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        print("usage: baseline_regex.py FILE...", file=sys.stderr)
        return 2
    total = total_matched = 0
    for path in paths:
        lines, matched = count_matches(path)
        total += lines
        total_matched += matched
    print(f"lines {total} matched {total_matched}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
