#!/usr/bin/env python3
"""Per-line worst case: the cost of one hostile line against a normal line of the same length.

For every adversarial seed (``hostile_seeds.py``: each ASCII punctuation character alone and
the metacharacters the rule patterns and the decoder key on) and every client-controlled field
(access log: path, query value, User-Agent, Referer; Apache 2.4 error log: message, the file
path in the message, the referer), it builds a line with about 8,000 bytes of the seed repeated
in that field and times ``Pipeline.process`` on it, in process, on one pinned core, best of
``--reps`` (each repetition a different line: the engine caches verdicts per field value).
Right after, it times the *baseline*: the same field filled with ordinary words to the same
logged length. The ratio of the two is the attacker's leverage; the issue's target is
``worst ratio <= 5``.

Then the worst seeds again with the field filled to just under the configured maximum line
(``max_line_bytes``, 64 KiB): a linear engine costs about 8x the 8 KB figure there.

``--rules`` attributes the cost of the worst lines: parse, decode (``EventView``), and each
rule's ``evaluate`` on the decoded view, marked when the Detector's prefilter selects it.

    .venv/bin/python bench/bench_hostile.py               # every seed x field, best of 5
    .venv/bin/python bench/bench_hostile.py --rules       # plus per-rule cost of the worst 8
    .venv/bin/python bench/bench_hostile.py --quick       # 11 seeds, best of 2: a smoke run
    .venv/bin/python bench/bench_hostile.py --config SIGMA.toml --sigma-literals --big 0 \
        [--sigma-search re]      # each Sigma rule's literals as seeds (re: the old searches)
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hostile_cut import cut_lines
from hostile_report import Report, md_code
from hostile_seeds import FIELDS, QUICK_SEEDS, SEEDS, Field, baseline_fill, seed_fill
from hostile_sigma import search_with_re, sigma_seeds

from lwsyslog.config import load_config
from lwsyslog.events import Origin
from lwsyslog.pipeline import Pipeline

__all__ = ["Case", "main"]

TARGET_RATIO = 5.0
_SLOW_SECS = 0.5  # a repetition this slow is not repeated more than twice


@dataclass(slots=True)
class Case:
    """One (seed, field) measurement."""

    seed: str
    field: Field
    line_chars: int
    secs: float
    base_secs: float
    kind: str
    base_kind: str
    findings: tuple[str, ...]
    fill: str = dataclasses.field(default="", repr=False)

    @property
    def ratio(self) -> float:
        """Seconds of the hostile line over seconds of the baseline."""
        return self.secs / self.base_secs if self.base_secs > 0 else math.inf


class Timer:
    """Times ``Pipeline.process`` on lines that are never the same twice."""

    def __init__(self, pipeline: Pipeline, reps: int) -> None:
        self.pipeline = pipeline
        self.reps = reps
        self.serial = 0

    def best(self, build: Callable[[int], str]) -> tuple[float, int, Any]:
        """Fastest of ``reps`` runs; the line's length and the last result."""
        best = math.inf
        result: Any = None
        length = 0
        reps = self.reps
        i = 0
        while i < reps:
            self.serial += 1
            line = build(self.serial)
            length = len(line)
            origin = Origin("bench-hostile", self.serial)
            start = time.perf_counter()
            result = self.pipeline.process(line, origin)
            secs = time.perf_counter() - start
            best = min(best, secs)
            if secs > _SLOW_SECS:
                reps = min(reps, 2)
            i += 1
        return best, length, result


def _kind(result: Any) -> str:
    event = getattr(result, "event", None)
    kind = str(getattr(event, "log", "?"))
    if kind == "unparsed":
        return f"unparsed:{getattr(getattr(event, 'reason', None), 'value', '?')}"
    return kind


def _rule_ids(result: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(f.rule_id) for f in getattr(result, "findings", ()) or ()))


def measure_case(timer: Timer, seed: str, field: Field, fill: str) -> Case:
    """The seed's line and its baseline, one right after the other."""
    build = field.build
    secs, length, result = timer.best(lambda n: build(fill, n))
    base = baseline_fill(field, len(fill))
    base_secs, _, base_result = timer.best(lambda n: build(base, n))
    return Case(
        seed,
        field,
        length,
        secs,
        base_secs,
        _kind(result),
        _kind(base_result),
        _rule_ids(result),
        fill,
    )


def _us(secs: float) -> str:
    return f"{secs * 1e6:,.0f}"


def _case_row(rank: int, case: Case) -> list[object]:
    kind = case.kind if case.kind == case.base_kind else f"**{case.kind}** (base {case.base_kind})"
    rules = ", ".join(case.findings[:3]) + (" …" if len(case.findings) > 3 else "")
    return [
        rank, md_code(case.seed), case.field.name, f"{case.line_chars:,}", _us(case.secs),
        _us(case.base_secs), f"{case.ratio:.1f}x", f"{1 / case.secs:,.0f}", kind, rules or "-",
    ]  # fmt: skip


_CASE_HEADER = (
    "#", "seed", "field", "line chars", "us/line", "baseline us/line", "ratio", "lines/s",
    "parsed as", "findings",
)  # fmt: skip
_CASE_ALIGN = "rlllrrrrll"


def _summary(report: Report, cases: Sequence[Case], label: str) -> None:
    worst = max(cases, key=lambda c: c.ratio)
    over = [c for c in cases if c.ratio > TARGET_RATIO]
    over2 = [c for c in cases if c.ratio > 2]
    slowest = max(cases, key=lambda c: c.secs)
    report.line(f"**{label}**: {len(cases)} cases (seed x field)")
    report.line(
        f"- worst ratio: **{worst.ratio:.1f}x** ({md_code(worst.seed)} in {worst.field.name}: "
        f"{_us(worst.secs)} us vs {_us(worst.base_secs)} us)"
    )
    report.line(
        f"- slowest line: {_us(slowest.secs)} us = {1 / slowest.secs:,.0f} lines/s "
        f"({md_code(slowest.seed)} in {slowest.field.name})"
    )
    report.line(
        f"- cases over {TARGET_RATIO:g}x: **{len(over)}** (target: 0); over 2x: {len(over2)}; "
        f"seeds over {TARGET_RATIO:g}x in some field: {len({c.seed for c in over})}"
    )
    unparsed = [c for c in cases if c.kind != c.base_kind]
    if unparsed:
        report.line(
            f"- {len(unparsed)} hostile lines parsed differently from their baseline "
            "(an unparsed line runs no rule: its time is not the rules' worst case)"
        )
    report.line()


def _baselines(report: Report, cases: Sequence[Case]) -> None:
    rows = []
    for field in FIELDS:
        mine = [c for c in cases if c.field is field]
        if not mine:
            continue
        base = [c.base_secs for c in mine]
        worst = max(mine, key=lambda c: c.ratio)
        rows.append([
            field.name, len(mine), _us(min(base)), _us(statistics.median(base)), _us(max(base)),
            f"{worst.ratio:.1f}x", md_code(worst.seed),
            sum(c.ratio > TARGET_RATIO for c in mine),
        ])  # fmt: skip
    report.line("Baselines (ordinary words, same length) and the worst seed per field:\n")
    report.table(
        ["field", "cases", "base min us", "base median us", "base max us", "worst ratio",
         "worst seed", f"cases > {TARGET_RATIO:g}x"],
        rows, "lrrrrrlr",
    )  # fmt: skip


def _big_lines(report: Report, timer: Timer, worst: Sequence[Case], max_chars: int) -> None:
    rows = []
    for case in worst:
        field = case.field
        room = max_chars - len(field.build("", 10**9)) - 16
        fill = seed_fill(case.seed, room, logged=True)
        big = measure_case(timer, case.seed, field, fill)
        rows.append([
            md_code(case.seed), field.name, f"{big.line_chars:,}", _us(big.secs),
            _us(big.base_secs), f"{big.ratio:.1f}x", f"{big.secs / case.secs:.1f}x",
            f"{1 / big.secs:,.0f}", big.kind,
        ])  # fmt: skip
    report.line(
        f"Lines just under the configured maximum ({max_chars:,} chars), worst seeds at 8 KB. "
        f"'vs 8 KB' is the time over the same seed's 8 KB line: about "
        f"{max_chars / 8000:.0f}x when the cost is linear.\n"
    )
    report.table(
        ["seed", "field", "line chars", "us/line", "baseline us/line", "ratio", "vs 8 KB",
         "lines/s", "parsed as"],
        rows, "llrrrrrrl",
    )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when the target holds, 1 when not."""
    args = _parse_args(argv)
    if args.cpu >= 0:
        os.sched_setaffinity(0, {args.cpu})
    config = load_config(args.config)
    if args.sigma_search == "re":
        search_with_re()
    pipeline = Pipeline(config)
    max_chars = int(getattr(config, "max_line_bytes", 65536))
    seeds = list(QUICK_SEEDS if args.quick else SEEDS)
    if args.seeds:
        seeds = [s for s in SEEDS if any(want in s for want in args.seeds)] or args.seeds
    if args.sigma_literals:
        seeds = sigma_seeds(config)
    fields = [f for f in FIELDS if not args.fields or f.name in args.fields]
    reps = 2 if args.quick and args.reps is None else (args.reps or 5)
    report = Report("hostile", "Hostile lines: per-line worst case (bench_hostile.py)", argv)
    report.line(
        f"- {len(seeds)} seeds x {len(fields)} fields, ~{args.size:,} client bytes of the seed "
        f"per field, best of {reps}, {'CPU ' + str(args.cpu) if args.cpu >= 0 else 'not pinned'}"
    )
    report.line(f"- configured max line: {max_chars:,} chars; target: worst ratio <= "
                f"{TARGET_RATIO:g}x\n")  # fmt: skip
    timer = Timer(pipeline, reps)
    warm = FIELDS[2]
    for _ in range(3):
        measure_case(timer, "a", warm, seed_fill("a", args.size))
    cases: list[Case] = []
    started = time.monotonic()
    for i, seed in enumerate(seeds):
        gc.collect()
        for field in fields:
            cases.append(measure_case(timer, seed, field, seed_fill(seed, args.size)))
        if (i + 1) % 25 == 0:
            print(f"  ... {i + 1}/{len(seeds)} seeds, {time.monotonic() - started:.0f} s",
                  file=sys.stderr)  # fmt: skip
    ranked = sorted(cases, key=lambda c: c.ratio, reverse=True)
    _summary(report, cases, f"~{args.size:,}-byte fields")
    report.line(f"Worst {min(args.top, len(ranked))} (seed, field) by ratio:\n")
    report.table(
        _CASE_HEADER,
        [_case_row(n, c) for n, c in enumerate(ranked[: args.top], 1)],
        _CASE_ALIGN,
    )
    _baselines(report, cases)
    if args.big:
        picked: list[Case] = []
        for case in ranked:
            if case.seed not in {c.seed for c in picked}:
                picked.append(case)
            if len(picked) >= (2 if args.quick else args.big):
                break
        _big_lines(report, timer, picked, max_chars)
        cut_lines(report, lambda build: timer.best(build)[0], max_chars, _us)
    if args.rules:
        from hostile_rules import attribute_report  # noqa: PLC0415  (only for --rules)

        attribute_report(report, pipeline, ranked[: 3 if args.quick else args.rules_top], reps)
    report.save()
    return 0 if max(c.ratio for c in cases) <= TARGET_RATIO else 1


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Writes bench/out/hostile-<time>.md. Exit status 1 when a ratio exceeds 5.",
    )
    parser.add_argument("--quick", action="store_true", help="11 seeds, best of 2 (smoke run)")
    parser.add_argument("--size", type=int, default=8000, help="client bytes per field (8000)")
    parser.add_argument("--reps", type=int, help="repetitions per line, fastest kept (5)")
    parser.add_argument("--top", type=int, default=25, help="rows in the worst table (25)")
    parser.add_argument(
        "--big",
        type=int,
        default=8,
        help="worst seeds re-measured at the max line length (8; 0: skip)",
    )
    parser.add_argument("--rules", action="store_true", help="per-rule cost of the worst lines")
    parser.add_argument("--rules-top", type=int, default=8, help="lines attributed (8)")
    parser.add_argument(
        "--seeds",
        nargs="+",
        metavar="TEXT",
        help="only seeds containing one of these (or these as seeds)",
    )
    parser.add_argument("--fields", nargs="+", choices=[f.name for f in FIELDS])
    parser.add_argument(
        "--sigma-literals",
        action="store_true",
        help="seeds: every literal of the Sigma rules of --config's [sigma] rule_dirs",
    )
    parser.add_argument(
        "--sigma-search",
        choices=["re2", "re"],
        default="re2",
        help="how Sigma rules search: as shipped (re2), or with re as before (baseline)",
    )
    parser.add_argument("--cpu", type=int, default=1, help="pin to this CPU (1; -1: no pinning)")
    parser.add_argument(
        "--config",
        type=Path,
        action="append",
        default=[],
        help="TOML merged over the defaults (default: none, not /etc/lwsyslog)",
    )
    return parser.parse_args(argv)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
