#!/usr/bin/env python3
"""Scan benchmark: lines/s and peak RSS of ``lwsyslog scan`` against a regex baseline and fail2ban.

One run generates (or reuses) a synthetic combined access log with ``gen_access_log.py`` and times,
each in its own child process pinned to one CPU:

(a) ``baseline_regex.py``: one anchored combined-format regex per line, nothing else;
(b) ``fail2ban-regex FILE apache-badbots.conf``: fail2ban's own offline filter tester;
(c) ``lwsyslog scan --json FILE`` with stdout to /dev/null;
(d) ``lwsyslog scan FILE`` (human summary).

Each child is reaped with ``os.wait4`` so its own peak RSS (``ru_maxrss``) and CPU time are exact.
The Markdown table is printed and written to ``bench/out/scan-<date>.md``.

Usage: ``bench_scan.py [--lines N] [--seed S] [--keep] [--workdir DIR] [--cpu N] [--repeat R]``
(see ``--help``). Run it with the project's venv interpreter so (a) and (c) share one Python.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import gen_access_log

__all__ = ["Run", "Tool", "main", "measure"]

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT_DIR = BENCH / "out"
F2B = Path("/usr/bin/fail2ban-regex")
F2B_FILTER = Path("/etc/fail2ban/filter.d/apache-badbots.conf")
_PROFILE_LINES = 100_000
_PROFILE_TOP = 25


@dataclass(slots=True)
class Run:
    """What one child process cost."""

    wall: float
    cpu: float
    maxrss_kib: int
    returncode: int
    stdout: Path | None
    stderr: Path


@dataclass(slots=True)
class Tool:
    """One row of the table: a command and what it scanned."""

    name: str
    argv: list[str]
    lines: int
    keep_stdout: bool = False
    note: str = ""
    runs: list[Run] = field(default_factory=list)

    @property
    def best(self) -> Run:
        """The fastest run (by wall time): the one least disturbed by other load."""
        return min(self.runs, key=lambda r: r.wall)


def _pin(cpu: int | None) -> None:
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


def measure(argv: list[str], workdir: Path, tag: str, cpu: int | None, keep_stdout: bool) -> Run:
    """Run ``argv`` once, pinned to ``cpu``; return wall time, CPU time and the child's peak RSS.

    stdout goes to /dev/null unless ``keep_stdout``; stderr always goes to a file in ``workdir``
    (a pipe could fill up while we block in ``wait4``).
    """
    out_path = workdir / f"{tag}.stdout" if keep_stdout else None
    err_path = workdir / f"{tag}.stderr"
    env = dict(os.environ, LC_ALL="C.UTF-8", PYTHONDONTWRITEBYTECODE="1")
    with (
        open(out_path or os.devnull, "wb") as out,
        err_path.open("wb") as err,
    ):
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            preexec_fn=lambda: _pin(cpu),  # noqa: PLW1509 (no threads in this process)
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux; wait4 reports the child's own peak (or its largest reaped
    # descendant's), never the sum of several processes.
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        maxrss_kib=usage.ru_maxrss,
        returncode=proc.returncode,
        stdout=out_path,
        stderr=err_path,
    )


# --------------------------------------------------------------------------------------------
# Input file
# --------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _generator_id() -> str:
    """Hash of the generator's source: a changed generator invalidates reused files."""
    return hashlib.sha256(Path(gen_access_log.__file__).read_bytes()).hexdigest()[:16]


def prepare_log(workdir: Path, lines: int, seed: int) -> tuple[Path, Path, str]:
    """Return (log, labels, sha256), reusing a file made earlier by the same generator."""
    log = workdir / f"access-{lines}-s{seed}.log"
    labels = workdir / f"access-{lines}-s{seed}.labels.tsv"
    meta = workdir / f"access-{lines}-s{seed}.json"
    want = {"lines": lines, "seed": seed, "generator": _generator_id()}
    if log.exists() and labels.exists() and meta.exists():
        known = json.loads(meta.read_text())
        if all(known.get(k) == v for k, v in want.items()):
            digest = _sha256(log)
            if digest == known.get("sha256"):
                print(f"reusing {log} (sha256 {digest[:16]}...)", file=sys.stderr)
                return log, labels, digest
    print(f"generating {lines} lines into {log} ...", file=sys.stderr)
    started = time.perf_counter()
    with (
        log.open("w", encoding="ascii", newline="\n") as out,
        labels.open("w", encoding="ascii", newline="\n") as lab,
    ):
        gen_access_log.write_log(out, lines, seed, lab)
    digest = _sha256(log)
    meta.write_text(json.dumps({**want, "sha256": digest}) + "\n")
    print(f"  done in {time.perf_counter() - started:.1f}s, sha256 {digest}", file=sys.stderr)
    return log, labels, digest


def _prefix(log: Path, lines: int, workdir: Path) -> Path:
    """The first ``lines`` lines of ``log`` as their own file."""
    out = workdir / f"{log.stem}.first{lines}.log"
    with log.open("rb") as src, out.open("wb") as dst:
        for number, line in enumerate(src):
            if number >= lines:
                break
            dst.write(line)
    return out


def _label_counts(labels: Path, limit: int) -> Counter[str]:
    kinds: Counter[str] = Counter()
    with labels.open(encoding="ascii") as fh:
        for row in fh:
            number, kind = row.rstrip("\n").split("\t")
            if int(number) <= limit:
                kinds[kind] += 1
    return kinds


# --------------------------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------------------------


def _lwsyslog_bin() -> Path | None:
    venv = ROOT / ".venv" / "bin" / "lwsyslog"
    if venv.exists():
        return venv
    found = shutil.which("lwsyslog")
    return Path(found) if found else None


def lwsyslog_ready() -> tuple[Path | None, str]:
    """Return (console script, reason): the script only when ``lwsyslog scan --help`` works."""
    exe = _lwsyslog_bin()
    if exe is None:
        return None, "no lwsyslog console script (expected .venv/bin/lwsyslog)"
    probe = subprocess.run(
        [str(exe), "scan", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["(no stderr)"])[-1]
        return None, f"`lwsyslog scan --help` exited {probe.returncode}: {last}"
    return exe, ""


def _f2b_summary(stdout: Path) -> str:
    """fail2ban-regex's own counts: lines matched/missed/ignored and date-template hits."""
    text = stdout.read_text(errors="replace")
    counts = re.search(r"Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed", text)
    hits = re.findall(r"^\|\s+\[(\d+)\] (.*)$", text.split("Date template hits:", 1)[-1], re.M)
    parts = []
    if counts:
        total, ignored, matched, missed = counts.groups()
        parts.append(f"{total} lines: {matched} matched, {missed} missed, {ignored} ignored")
    else:
        parts.append("no 'Lines:' summary in its output")
    if hits:
        parts.append(
            "date template hits: "
            + "; ".join(f"{n} x `{pattern.strip()[:48]}...`" for n, pattern in hits)
        )
    else:
        parts.append("no date template hit (dates not parsed)")
    return "; ".join(parts)


def _tail(path: Path, lines: int = 6) -> str:
    text = path.read_text(errors="replace").strip()
    return "\n".join(text.splitlines()[-lines:]) if text else "(empty)"


def _excerpt(path: Path, head: int = 12, tail: int = 2) -> str:
    """The start of a summary (where the counts are) and its last lines."""
    rows = path.read_text(errors="replace").strip().splitlines()
    if not rows:
        return "(empty)"
    if len(rows) <= head + tail + 1:
        return "\n".join(rows)
    return "\n".join([*rows[:head], f"... ({len(rows) - head - tail} lines)", *rows[-tail:]])


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                return row.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _python_of(executable: str) -> str:
    probe = subprocess.run(
        [executable, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=False,
    )
    return probe.stdout.strip() or "unknown"


def _interpreter(script: Path) -> str:
    """The interpreter named on a script's ``#!`` line (fail2ban-regex runs on the system one)."""
    try:
        first = script.read_bytes()[:200].split(b"\n", 1)[0].decode()
    except OSError:
        return ""
    return first[2:].strip().split()[0] if first.startswith("#!") else ""


def render(tools: list[Tool], env: list[str], notes: list[str]) -> str:
    """The Markdown report: environment, the table, then notes."""
    done = [t for t in tools if t.runs]
    base = next((t for t in done if t.name.startswith("(a)")), None)
    base_wall = base.best.wall / base.lines if base else None
    base_cpu = base.best.cpu / base.lines if base else None
    rows = [
        "| tool | lines | wall s | CPU s | lines/s | lines/CPU-s | peak RSS MiB "
        "| wall/line vs (a) | CPU/line vs (a) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in done:
        r = t.best
        rate = t.lines / r.wall if r.wall else float("inf")
        cpu_rate = t.lines / r.cpu if r.cpu else float("inf")
        wall_ratio = f"{(r.wall / t.lines) / base_wall:.1f}x" if base_wall else "n/a"
        cpu_ratio = f"{(r.cpu / t.lines) / base_cpu:.1f}x" if base_cpu else "n/a"
        rc = "" if r.returncode == 0 else f" (exit {r.returncode})"
        rows.append(
            f"| {t.name}{rc} | {t.lines:,} | {r.wall:.2f} | {r.cpu:.2f} | {rate:,.0f} | "
            f"{cpu_rate:,.0f} | {r.maxrss_kib / 1024:.1f} | {wall_ratio} | {cpu_ratio} |"
        )
    parts = ["# lwsyslog scan benchmark", "", *[f"- {e}" for e in env], "", *rows, ""]
    if notes:
        parts += ["## Notes", "", *notes, ""]
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------
# Profile
# --------------------------------------------------------------------------------------------

_PROFILE_SNIPPET = """
import cProfile, io, os, pstats, sys
from lwsyslog.cli.main import main
sys.stdout = open(os.devnull, "w")
prof = cProfile.Profile()
try:
    prof.runcall(main, ["scan", "--json", sys.argv[1]])
except SystemExit:
    pass
buf = io.StringIO()
pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(int(sys.argv[2]))
sys.__stderr__.write(buf.getvalue())
"""


def profile_scan(exe: Path, log: Path, workdir: Path, cpu: int | None) -> str:
    """cProfile of ``lwsyslog scan --json`` on the first 100k lines, top entries by cumtime."""
    python = exe.parent / "python"
    sample = _prefix(log, _PROFILE_LINES, workdir)
    run = measure(
        [str(python), "-c", _PROFILE_SNIPPET, str(sample), str(_PROFILE_TOP)],
        workdir,
        "profile",
        cpu,
        keep_stdout=False,
    )
    text = run.stderr.read_text(errors="replace")
    start = text.find("function calls")
    start = text.rfind("\n", 0, start) + 1 if start >= 0 else -1
    return text[start:] if start >= 0 else text


# --------------------------------------------------------------------------------------------
# Detection coverage (untimed)
# --------------------------------------------------------------------------------------------


def coverage(json_out: Path, labels: Path, lines: int) -> list[str]:
    """Markdown rows: per generated attack kind, how many lines ``scan --json`` flagged by a rule.

    Also counts benign lines that a rule flagged (candidate false positives) and alerts per rule.
    A finding whose ``categories`` is empty was urgent by triage alone and is not a rule hit.
    """
    truth: dict[int, str] = {}
    with labels.open(encoding="ascii") as fh:
        for row in fh:
            label_line, label_kind = row.rstrip("\n").split("\t")
            truth[int(label_line)] = label_kind
    hit: dict[int, list[str]] = {}
    triage_only = 0
    alerts: Counter[str] = Counter()
    with json_out.open(encoding="utf-8", errors="replace") as fh:
        for row in fh:
            try:
                record = json.loads(row)
            except ValueError:
                continue
            if record.get("kind") == "alert":
                alerts[str(record.get("rule"))] += 1
            elif record.get("kind") == "finding":
                if record.get("categories"):
                    hit[int(record["line"])] = list(record["categories"])
                else:
                    triage_only += 1
    per_kind: Counter[str] = Counter(truth.values())
    caught: Counter[str] = Counter()
    seen: dict[str, Counter[str]] = {}
    for number, kind in truth.items():
        if number in hit:
            caught[kind] += 1
            seen.setdefault(kind, Counter()).update(hit[number])
    benign_hits = Counter(c for n, cats in hit.items() if n not in truth for c in cats)
    benign_lines = sum(1 for n in hit if n not in truth)
    rows = [
        "| generated kind | lines | flagged by a rule | categories seen (lines) |",
        "|---|---:|---:|---|",
    ]
    for kind, total in sorted(per_kind.items(), key=lambda kv: (-kv[1], kv[0])):
        cats = ", ".join(f"{c} {n}" for c, n in seen.get(kind, Counter()).most_common(4))
        rows.append(f"| {kind} | {total:,} | {100 * caught[kind] / total:.0f}% | {cats or '-'} |")
    benign_total = lines - len(truth)
    rows.append(
        f"| benign | {benign_total:,} | {benign_lines:,} "
        f"({100 * benign_lines / max(benign_total, 1):.2f}%) | "
        + (", ".join(f"{c} {n}" for c, n in benign_hits.most_common(5)) or "-")
        + " |"
    )
    rows += [
        "",
        f"Findings urgent by triage alone (no rule): {triage_only:,}. Alerts by rule: "
        + (", ".join(f"{r} {n}" for r, n in alerts.most_common()) or "none")
        + ".",
    ]
    return rows


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def _pick_cpu(requested: int) -> int | None:
    if requested < 0 or not hasattr(os, "sched_setaffinity"):
        return None
    allowed = os.sched_getaffinity(0)
    return requested if requested in allowed else min(allowed)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="log lines (1000000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (1)")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="where the log and outputs live; reused and kept (default: temp)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary workdir")
    parser.add_argument("--cpu", type=int, default=1, help="CPU to pin each child to; -1: no pin")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool, fastest kept (1)")
    parser.add_argument(
        "--f2b-lines", type=int, default=0, help="run fail2ban on this prefix only (0: all lines)"
    )
    parser.add_argument("--no-fail2ban", action="store_true", help="skip fail2ban-regex")
    parser.add_argument(
        "--coverage",
        action="store_true",
        help="also run scan --json once more (untimed) and compare its findings with the labels",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help=f"also cProfile lwsyslog scan on {_PROFILE_LINES} lines (top {_PROFILE_TOP})",
    )
    args = parser.parse_args(argv)
    if args.lines < 1 or args.repeat < 1 or args.f2b_lines < 0:
        parser.error("--lines and --repeat must be >= 1, --f2b-lines >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = _parse_args(argv)
    cpu = _pick_cpu(args.cpu)
    if args.workdir is not None:
        workdir = args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        temporary = False
    else:
        workdir = Path(tempfile.mkdtemp(prefix="lwsyslog-bench-"))
        temporary = not args.keep
    try:
        return _run(args, workdir, cpu)
    finally:
        if temporary:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"workdir kept: {workdir}", file=sys.stderr)


def _run(args: argparse.Namespace, workdir: Path, cpu: int | None) -> int:
    log, labels, digest = prepare_log(workdir, args.lines, args.seed)
    truth = _label_counts(labels, args.lines)
    notes: list[str] = []
    tools = [
        Tool("(a) baseline regex", [sys.executable, str(BENCH / "baseline_regex.py"), str(log)],
             args.lines),
    ]  # fmt: skip

    f2b_lines = args.lines
    if args.no_fail2ban:
        notes.append("- (b) fail2ban-regex: skipped (--no-fail2ban).")
    elif not F2B.exists() or not F2B_FILTER.exists():
        notes.append(
            f"- (b) fail2ban-regex: skipped, {F2B} or {F2B_FILTER} missing. "
            "Install it with `apt-get install fail2ban`."
        )
        print(
            "fail2ban-regex not found: install it with `apt-get install fail2ban`", file=sys.stderr
        )
    else:
        f2b_input = log
        if args.f2b_lines and args.f2b_lines < args.lines:
            f2b_lines = args.f2b_lines
            f2b_input = _prefix(log, f2b_lines, workdir)
        tools.append(
            Tool(
                "(b) fail2ban-regex apache-badbots",
                [str(F2B), "-e", "utf-8", "--print-no-missed", str(f2b_input), str(F2B_FILTER)],
                f2b_lines,
                keep_stdout=True,
            )
        )

    exe, why = lwsyslog_ready()
    if exe is None:
        notes.append(f"- (c)/(d) lwsyslog scan: skipped, {why}.")
        print(f"lwsyslog scan not available yet: {why}; skipping (c) and (d)", file=sys.stderr)
    else:
        tools.append(Tool("(c) lwsyslog scan --json", [str(exe), "scan", "--json", str(log)],
                          args.lines))  # fmt: skip
        tools.append(Tool("(d) lwsyslog scan (human)", [str(exe), "scan", str(log)], args.lines,
                          keep_stdout=True))  # fmt: skip

    load_before = os.getloadavg()[0]
    for tool in tools:
        for attempt in range(args.repeat):
            tag = re.sub(r"[^a-z0-9]+", "-", tool.name.lower()).strip("-") + f"-{attempt}"
            print(f"running {tool.name} ({attempt + 1}/{args.repeat}) ...", file=sys.stderr)
            run = measure(tool.argv, workdir, tag, cpu, tool.keep_stdout)
            tool.runs.append(run)
            print(
                f"  {run.wall:.2f}s wall, {run.cpu:.2f}s CPU, {run.maxrss_kib / 1024:.1f} MiB, "
                f"exit {run.returncode}",
                file=sys.stderr,
            )
    load_after = os.getloadavg()[0]

    for tool in tools:
        best = tool.best
        if tool.name.startswith("(a)"):
            notes.append(f"- (a) baseline: `{_tail(best.stderr, 1)}`.")
        elif tool.name.startswith("(b)") and best.stdout is not None:
            prefix = "" if f2b_lines == args.lines else f" (first {f2b_lines:,} lines only)"
            notes.append(f"- (b) fail2ban-regex{prefix}: {_f2b_summary(best.stdout)}.")
            bad_bots = _label_counts(labels, f2b_lines)["bad-bot"]
            notes.append(
                f"  The generator wrote {bad_bots} bad-bot lines in that range, all with a "
                "User-Agent from fail2ban's list."
            )
        elif tool.name.startswith(("(c)", "(d)")):
            notes.append(f"- {tool.name}: exit {best.returncode}; its stderr:")
            notes += ["", "```", _excerpt(best.stderr), "```", ""]
            if best.stdout is not None:
                notes += ["  its stdout:", "", "```", _excerpt(best.stdout), "```", ""]

    if args.coverage and exe is not None:
        print("coverage: lwsyslog scan --json into a file (untimed) ...", file=sys.stderr)
        run = measure([str(exe), "scan", "--json", str(log)], workdir, "coverage", cpu, True)
        if run.stdout is not None and run.returncode == 0:
            if notes and notes[-1]:
                notes.append("")
            notes += ["## Detection coverage (ground truth from the generator)", ""]
            notes += coverage(run.stdout, labels, args.lines)
            notes.append("")
        else:
            notes.append(f"- coverage run failed: exit {run.returncode}")

    if args.profile and exe is not None:
        print(f"profiling lwsyslog scan on {_PROFILE_LINES} lines ...", file=sys.stderr)
        notes += [
            f"- cProfile of `lwsyslog scan --json` on the first {_PROFILE_LINES:,} lines:",
            "",
            "```",
            profile_scan(exe, log, workdir, cpu).rstrip(),
            "```",
            "",
        ]

    f2b_python = _interpreter(F2B)
    attack_lines = sum(truth.values())
    env = [
        f"date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"CPU: {_cpu_model()}, {os.cpu_count()} cores; each child pinned to "
        + (f"CPU {cpu}" if cpu is not None else "no CPU (not pinned)"),
        f"Python: {platform.python_version()} ({sys.executable})"
        + (f"; fail2ban-regex on {_python_of(f2b_python)} ({f2b_python})" if f2b_python else ""),
        f"kernel: {platform.release()}; load average (1 min) {load_before:.2f} before, "
        f"{load_after:.2f} after",
        f"input: {args.lines:,} combined-format lines, seed {args.seed}, "
        f"{log.stat().st_size / 2**20:.0f} MiB, sha256 {digest[:16]}..., "
        f"{attack_lines:,} attack lines ({100 * attack_lines / args.lines:.2f}%)",
        f"runs per tool: {args.repeat} (fastest shown); wall and CPU seconds include "
        "interpreter start-up",
    ]
    report = render(tools, env, notes)
    print(report)
    OUT_DIR.mkdir(exist_ok=True)
    out = OUT_DIR / f"scan-{dt.datetime.now(dt.UTC).strftime('%Y-%m-%dT%H%M%S')}.md"
    out.write_text(report)
    print(f"written to {out}", file=sys.stderr)
    failed = [t.name for t in tools if t.runs and t.best.returncode != 0]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
