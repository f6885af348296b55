#!/usr/bin/env python3
"""Detection measurement: lwsyslog against real attack data, re-runnable as the rules change.

Four sections, each a fresh in-process pipeline with the built-in defaults (the engine
``lwsyslog scan`` drives; ``/etc/lwsyslog`` is never read; two fail2ban files add the override
their fail2ban setup implies, see ``detection.fail2ban.FILE_CONFIG``):

``fail2ban``      fail2ban's Apache test logs and their ``# failJSON`` expectations (gold.jsonl)
``params``        a labelled corpus of attack and benign parameter values, one request each
``real-logs``     a 2004 honeypot, three scanner runs against DVWA, a benign access and error log
``attack-tools``  real attack tools run against a local Apache (tests/fixtures/attack-tools)
``classes``       recall per round-2 class (header injection, SQLi and command-injection shapes,
                  NUL bytes, source disclosure, legacy probes from fuzzdb's and from dirb's
                  lists, known exploits), dev and held-out
``false-alerts``  alerts per 100k lines on logs of ordinary sites, and every round-2 alert there
``coverage``      CVEs covered: on CISA's KEV list, and named by SigmaHQ's webserver rules
``busy-clients``  false alerts per 100k lines of the threshold rules on benign logs, a NAT-like
                  address and a backend outage synthesised from them; scanner runs still caught

It prints Markdown, rewrites the measured blocks of ``docs/detection.md`` (between
``<!-- measured:NAME:start -->`` and ``<!-- measured:NAME:end -->``; the prose around them is
left alone) and writes every listed miss and false positive to
``bench/out/detection-details.md`` (git-ignored).

Usage: ``.venv/bin/python bench/measure_detection.py [--data DIR] [--out FILE]
[--details FILE] [--section NAME ...] [--no-write]``. About 15 s on one core.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from detection import benign, busy, classes, coverage, fail2ban, params, reallogs, tools
from detection.markdown import replace_block
from detection.section import Section

__all__ = ["SECTIONS", "main"]

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "docs" / "detection.md"
DEFAULT_DETAILS = BENCH / "out" / "detection-details.md"
FIXTURES = ROOT / "tests" / "fixtures"
TOOLS_DIR = FIXTURES / "attack-tools"

SECTIONS: dict[str, Callable[[Path], Section]] = {
    "fail2ban": fail2ban.measure,
    "params": params.measure,
    "real-logs": reallogs.measure,
    "attack-tools": lambda _data: tools.measure(TOOLS_DIR),
    "classes": lambda data: classes.measure(data, FIXTURES),
    "false-alerts": benign.measure,
    "coverage": coverage.measure,
    "busy-clients": lambda data: busy.measure(data, TOOLS_DIR),
}

_SKELETON = """# Detection measured

Written by `bench/measure_detection.py`; the blocks between `measured` markers are rewritten
by each run.
"""


def main(argv: list[str] | None = None) -> int:
    """Measure the chosen sections, print them, and update the doc and details file."""
    args = _parse(argv)
    # Error-log times carry no zone: read them as UTC so a run gives the same windows
    # whatever the machine's TZ (the attack-tool captures were recorded in UTC).
    os.environ["TZ"] = "UTC"
    time.tzset()
    stamp = _stamp(args)
    results = []
    for name in args.section or list(SECTIONS):
        started = time.monotonic()
        section = SECTIONS[name](args.data)
        took = time.monotonic() - started
        results.append((section, took))
        print(f"measured {name} in {took:.1f} s", file=sys.stderr)
    blocks = {s.name: f"_{stamp}; took {took:.1f} s._\n\n{s.doc}" for s, took in results}
    summary = "\n".join(f"- {line}" for s, _ in results for line in s.headline)
    full_run = not args.section or set(args.section) == set(SECTIONS)
    for section, _ in results:
        print(f"\n### {section.title}\n\n{blocks[section.name]}")
    print(f"\n### Summary\n\n{summary}")
    if args.no_write:
        return 0
    document = args.out.read_text("utf-8") if args.out.exists() else _SKELETON
    if full_run:
        document = replace_block(document, "summary", f"_{stamp}._\n\n{summary}")
    for name, body in blocks.items():
        document = replace_block(document, name, body)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(document, "utf-8")
    args.details.parent.mkdir(parents=True, exist_ok=True)
    details = [f"# Detection details\n\n_{stamp}._\n"]
    details += [
        f"# {s.title}\n\n{s.details or 'Nothing beyond docs/detection.md.'}\n" for s, _ in results
    ]
    args.details.write_text("\n".join(details), "utf-8")
    print(f"\nwrote {args.out} and {args.details}", file=sys.stderr)
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data directory")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="doc to update")
    parser.add_argument("--details", type=Path, default=DEFAULT_DETAILS, help="details file")
    parser.add_argument(
        "--section", action="append", choices=list(SECTIONS), help="only these (repeatable)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if not (args.data / "public").is_dir():
        parser.error(f"{args.data}: no public/ directory (give --data, the shared data dir)")
    return args


def _stamp(args: argparse.Namespace) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = ".venv/bin/python bench/measure_detection.py"
    if args.section:
        command += "".join(f" --section {name}" for name in args.section)
    if args.data.resolve() != DEFAULT_DATA.resolve():
        command += f" --data {shlex.quote(str(args.data))}"
    return f"Measured {now} at commit {_commit()} with `{command}`"


def _commit() -> str:
    def git(*words: str) -> str:
        done = subprocess.run(
            ["git", *words], cwd=ROOT, capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "lwsyslog")
    return f"{head} (+ uncommitted changes in lwsyslog/)" if dirty else head


if __name__ == "__main__":
    sys.exit(main())
