#!/usr/bin/env python3
"""Scan benchmark: lines/s, lines per CPU-second and peak RSS of ``lwsyslog scan`` against a
bare-regex baseline and fail2ban, on two traffic profiles, with the ratios issue 10 asks for.

For each traffic profile (``gen_access_log.py --profile default`` and ``churn``: nearly every
line from a new client, distinct ids in paths, 20% 404s) one run generates (or reuses) the log
and times, each command in its own child process pinned to one CPU:

(a) ``baseline_regex.py``: one anchored combined-format regex per line, nothing else;
(b) ``fail2ban-regex`` with every stock ``/etc/fail2ban/filter.d/apache-*.conf`` filter (the ten
    that have a ``failregex``), one invocation per filter (it takes one), their CPU times added
    up: what fail2ban spends to apply all its Apache filters to the file;
(c) ``lwsyslog scan --json FILE`` with stdout to /dev/null;
(d) ``lwsyslog scan FILE`` (human summary; with ``--human``);
(e) ``lwsyslog scan --json FILE`` with the Sigma rules of ``--sigma-dir`` loaded
    (``on_unsupported = "skip"``; the row is skipped, with a message, without that option);
(f) (c) again with the pure-Python modules: a copy of the installed sources without the C
    extensions mypyc built (``lwsyslog/compiled.py``) first on PYTHONPATH (``--no-pure`` skips
    it; skipped where lwsyslog is not compiled).

Before the profiles, a start-up section (``scan_startup.py``; ``--startup-runs 0`` skips it,
``--startup-only`` runs nothing else) times (a) and (c) on a one-line file, median of several
runs, with an empty cache directory and with the one of an earlier run, and with ``--sigma-dir``
(e) with the cache of an earlier run (Sigma rules kept as read there). The lwsyslog rows all
run with ``XDG_CACHE_HOME`` in the workdir, never the user's own cache.

Each child is reaped with ``os.wait4`` so its own peak RSS (``ru_maxrss``) and CPU time are exact.
With ``--repeat R`` every row runs R times: the fastest wall time gives lines/s, the least CPU
time gives lines per CPU-second (on a shared machine the steadier figure; the load average is
printed). Ratios are taken between rows of the same run. The Markdown report is printed and
written to ``bench/out/scan-<date>.md``.

Usage: ``bench_scan.py [--lines N] [--profile-name default|churn|both] [--sigma-dir DIR]
[--repeat R] [--f2b-lines N] [--workdir DIR] [--cpu N] [--human] [--coverage] [--profile]``.
Run it with the project's venv interpreter so (a) and (c) share one Python.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from program_python import describe, program_python
from scan_extras import coverage, profile_scan
from scan_runs import Tool, prefix, prepare_log
from scan_startup import StartupRow, kept_cache, startup_section, startup_share

__all__ = ["TARGETS", "compile_bytecode", "main"]

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT_DIR = BENCH / "out"
F2B = Path("/usr/bin/fail2ban-regex")
F2B_FILTERS = Path("/etc/fail2ban/filter.d")
PROFILES = ("default", "churn")

#: Issue 10's targets: (c)'s lines/s against (a)'s, per profile; (e) against (c); (c)'s lines
#: per CPU-second against (b)'s.
TARGETS = {"default": 0.9, "churn": 0.8, "sigma_slower": 0.15, "fail2ban": 30.0}


def f2b_filters() -> list[Path]:
    """The stock Apache filters that match something (apache-common.conf only defines
    variables for the others)."""
    return [
        path
        for path in sorted(F2B_FILTERS.glob("apache-*.conf"))
        if re.search(r"^failregex\s*=", path.read_text(errors="replace"), re.MULTILINE)
    ]


def _lwsyslog_bin(python: str = sys.executable) -> Path | None:
    """The ``lwsyslog`` console script of ``python``'s venv, else the checkout's ``.venv``'s,
    else the one on the PATH."""
    beside = Path(python).parent / "lwsyslog"
    if python != sys.executable and beside.exists():
        return beside
    venv = ROOT / ".venv" / "bin" / "lwsyslog"
    if venv.exists():
        return venv
    found = shutil.which("lwsyslog")
    return Path(found) if found else None


def lwsyslog_ready(python: str = sys.executable) -> tuple[Path | None, str]:
    """Return (console script, reason): the script only when ``lwsyslog scan --help`` works."""
    exe = _lwsyslog_bin(python)
    if exe is None:
        return None, "no lwsyslog console script (expected .venv/bin/lwsyslog)"
    probe = subprocess.run(
        [str(exe), "scan", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["(no stderr)"])[-1]
        return None, f"`lwsyslog scan --help` exited {probe.returncode}: {last}"
    return exe, ""


def pure_python_copy(python: str, workdir: Path) -> tuple[Path | None, str]:
    """A copy of the installed lwsyslog's sources without its C extensions (the modules mypyc
    compiled), compiled to bytecode, for PYTHONPATH: the same code as pure Python, measured
    in the same run. None, and why, where lwsyslog is not compiled (row (c) is then pure)."""
    probe = (
        "import lwsyslog, lwsyslog.compiled as c\n"
        "print(lwsyslog.__file__)\nprint(len(c.compiled_now()))"
    )
    done = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return None, f"cannot import lwsyslog: {done.stderr.strip()[-200:]}"
    package_file, compiled = done.stdout.split()
    if compiled == "0":
        return None, "lwsyslog is not compiled here: row (c) is pure Python already"
    target = workdir / "pure-python"
    shutil.rmtree(target, ignore_errors=True)
    ignore = shutil.ignore_patterns("*.so", "__pycache__")
    shutil.copytree(Path(package_file).parent, target / "lwsyslog", ignore=ignore)
    subprocess.run([python, "-m", "compileall", "-q", str(target)], check=True)
    return target, ""


def _sigma_config(workdir: Path, sigma_dir: Path) -> Path:
    config = workdir / "sigma.toml"
    config.write_text(
        f'[sigma]\nrule_dirs = ["{sigma_dir.resolve()}"]\non_unsupported = "skip"\n',
        encoding="utf-8",
    )
    return config


def _tools(args: argparse.Namespace, log: Path, workdir: Path, notes: list[str]) -> list[Tool]:
    """The rows for one log file."""
    tools = [
        Tool("(a) baseline regex", [[args.tools_python, str(BENCH / "baseline_regex.py"),
                                     str(log)]], args.lines),
    ]  # fmt: skip
    filters = f2b_filters() if F2B.exists() and F2B_FILTERS.is_dir() else []
    if args.no_fail2ban:
        notes.append("- (b) fail2ban-regex: skipped (--no-fail2ban).")
    elif not filters:
        notes.append(f"- (b) fail2ban-regex: skipped, {F2B} or its apache-* filters missing "
                     "(`apt-get install fail2ban`).")  # fmt: skip
    else:
        lines = args.lines
        source = log
        if args.f2b_lines and args.f2b_lines < args.lines:
            lines = args.f2b_lines
            source = prefix(log, lines, workdir)
        argvs = [[str(F2B), "-e", "utf-8", "--print-no-missed", str(source), str(f)]
                 for f in filters]  # fmt: skip
        tools.append(Tool(f"(b) fail2ban-regex, {len(filters)} apache-* filters summed", argvs,
                          lines, keep_stdout=True))  # fmt: skip
    exe, why = lwsyslog_ready(args.tools_python)
    if exe is None:
        notes.append(f"- (c)-(e) lwsyslog scan: skipped, {why}.")
        return tools
    # The built-in defaults only: whatever /etc/lwsyslog holds on this machine is not measured.
    scan = [str(exe), "scan", "--no-system-config"]
    cache = {"XDG_CACHE_HOME": str(kept_cache(workdir))}
    tools.append(Tool("(c) lwsyslog scan --json", [[*scan, "--json", str(log)]], args.lines,
                      env=cache))  # fmt: skip
    pure, why = pure_python_copy(args.tools_python, workdir) if args.pure else (None, "--no-pure")
    if pure is None:
        notes.append(f"- (f) pure-Python scan: skipped ({why}).")
    else:
        tools.append(Tool("(f) lwsyslog scan --json, pure Python (no C extensions)",
                          [[*scan, "--json", str(log)]], args.lines,
                          env={"PYTHONPATH": str(pure), **cache}))  # fmt: skip
    if args.human:
        tools.append(Tool("(d) lwsyslog scan (human)", [[*scan, str(log)]], args.lines,
                          keep_stdout=True, env=cache))  # fmt: skip
    if args.sigma_dir is None:
        notes.append("- (e) scan with Sigma rules: skipped (no --sigma-dir; e.g. a checkout of "
                     "SigmaHQ's rules/web and rules-emerging-threats web rules).")  # fmt: skip
    elif not args.sigma_dir.is_dir():
        notes.append(f"- (e) scan with Sigma rules: skipped, {args.sigma_dir} is not a "
                     "directory.")  # fmt: skip
    else:
        config = _sigma_config(workdir, args.sigma_dir)
        argv = [*scan, "--json", "--config", str(config), str(log)]
        tools.append(Tool(f"(e) lwsyslog scan --json, Sigma rules of {args.sigma_dir}",
                          [argv], args.lines, env=cache))  # fmt: skip
    return tools


def _row(tool: Tool, base: Tool | None) -> str:
    fast, lean = tool.best, tool.best_cpu
    rate = tool.lines / fast.wall if fast.wall else float("inf")
    cpu_rate = tool.lines / lean.cpu if lean.cpu else float("inf")
    vs_wall = vs_cpu = "n/a"
    if base is not None:
        vs_wall = f"{rate / (base.lines / base.best.wall):.2f}x"
        vs_cpu = f"{cpu_rate / (base.lines / base.best_cpu.cpu):.2f}x"
    rc = "" if fast.returncode == 0 else f" (exit {fast.returncode})"
    return (
        f"| {tool.name}{rc} | {tool.lines:,} | {fast.wall:.2f} | {lean.cpu:.2f} | {rate:,.0f} "
        f"| {cpu_rate:,.0f} | {max(r.maxrss_kib for r in tool.runs) / 1024:.1f} | {vs_wall} "
        f"| {vs_cpu} |"
    )


def _table(tools: list[Tool]) -> list[str]:
    base = next((t for t in tools if t.name.startswith("(a)") and t.runs), None)
    rows = [
        "| tool | lines | wall s | CPU s | lines/s | lines/CPU-s | peak RSS MiB "
        "| lines/s vs (a) | lines/CPU-s vs (a) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    return rows + [_row(t, base) for t in tools if t.runs]


def _rates(tool: Tool | None) -> tuple[float, float] | None:
    if tool is None or not tool.runs:
        return None
    return tool.lines / tool.best.wall, tool.lines / tool.best_cpu.cpu


def _verdicts(profile: str, tools: list[Tool]) -> list[str]:
    """One Markdown row per target that this profile's rows measure."""
    by = {t.name[:3]: t for t in tools if t.runs}
    base, f2b, scan, sigma = (_rates(by.get(k)) for k in ("(a)", "(b)", "(c)", "(e)"))
    pure = _rates(by.get("(f)"))
    rows = []
    if scan and pure:
        wall, cpu = scan[0] / pure[0], scan[1] / pure[1]
        rows.append(f"| {profile}: (c) compiled against (f) pure Python (no target) "
                    f"| {wall:.2f}x | {cpu:.2f}x | - |")  # fmt: skip
    if base and scan:
        need = TARGETS[profile]
        wall, cpu = scan[0] / base[0], scan[1] / base[1]
        rows.append(f"| {profile}: (c) lines/s >= {need}x (a) | {wall:.2f}x | {cpu:.2f}x "
                    f"| {'yes' if cpu >= need else 'no'} |")  # fmt: skip
    if scan and sigma:
        wall, cpu = scan[0] / sigma[0] - 1, scan[1] / sigma[1] - 1
        need = TARGETS["sigma_slower"]
        rows.append(f"| {profile}: (e) at most {need:.0%} slower than (c) | {wall:+.0%} "
                    f"| {cpu:+.0%} | {'yes' if cpu <= need else 'no'} |")  # fmt: skip
    if scan and f2b:
        need = TARGETS["fail2ban"]
        wall, cpu = scan[0] / f2b[0], scan[1] / f2b[1]
        rows.append(f"| {profile}: (c) lines/CPU-s >= {need:g}x (b) | {wall:.1f}x | {cpu:.1f}x "
                    f"| {'yes' if cpu >= need else 'no'} |")  # fmt: skip
    return rows


def _f2b_summary(stdout: Path) -> str:
    """fail2ban-regex's own counts: lines matched and date-template hits."""
    text = stdout.read_text(errors="replace")
    counts = re.search(r"Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed", text)
    hits = re.findall(r"^\|\s+\[(\d+)\] ", text.split("Date template hits:", 1)[-1], re.M)
    matched = f"{counts.group(3)} of {counts.group(1)} matched" if counts else "no summary"
    return f"{matched}; date hits {'+'.join(hits) or 'none'}"


def _tail(path: Path, lines: int = 1) -> str:
    text = path.read_text(errors="replace").strip()
    return "\n".join(text.splitlines()[-lines:]) if text else "(empty)"


def _cpu_model() -> str:
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                return row.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _pick_cpu(requested: int) -> int | None:
    if requested < 0 or not hasattr(os, "sched_setaffinity"):
        return None
    allowed = os.sched_getaffinity(0)
    return requested if requested in allowed else min(allowed)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lines", type=int, default=300_000, help="log lines (300000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (1)")
    parser.add_argument(
        "--profile-name",
        choices=(*PROFILES, "both"),
        default="both",
        help="traffic profile(s) to measure (both)",
    )
    parser.add_argument("--sigma-dir", type=Path, help="Sigma rules for row (e) (default: none)")
    parser.add_argument("--workdir", type=Path, help="where logs live; reused, kept")
    parser.add_argument("--keep", action="store_true", help="keep the temporary workdir")
    parser.add_argument("--cpu", type=int, default=1, help="CPU to pin each child to; -1: no pin")
    parser.add_argument("--repeat", type=int, default=1, help="runs per row (1)")
    parser.add_argument(
        "--f2b-lines",
        type=int,
        default=0,
        help="run fail2ban on this prefix only (0: all lines; its per-line rate is what compares)",
    )
    parser.add_argument("--no-fail2ban", action="store_true", help="skip fail2ban-regex")
    parser.add_argument(
        "--python", default="this", metavar="PYTHON",
        help="interpreter of the baseline and of lwsyslog: 'this' (the one running the "
        "benchmark), 'system' (a venv of /usr/bin/python3: the Debian package's, and the one "
        "fail2ban-regex runs on) or a path",
    )  # fmt: skip
    parser.add_argument("--human", action="store_true", help="also time row (d)")
    parser.add_argument(
        "--no-pure", dest="pure", action="store_false",
        help="skip row (f): scan as pure Python, without the compiled modules",
    )  # fmt: skip
    parser.add_argument(
        "--startup-runs", type=int, default=9, metavar="N",
        help="runs per row of the start-up section (one-line file; median shown); 0 skips it",
    )  # fmt: skip
    parser.add_argument(
        "--startup-only", action="store_true", help="time the start-up section only"
    )
    parser.add_argument("--coverage", action="store_true", help="findings against the labels")
    parser.add_argument("--profile", action="store_true", help="also cProfile scan (100k lines)")
    args = parser.parse_args(argv)
    if args.lines < 1 or args.repeat < 1 or args.f2b_lines < 0 or args.startup_runs < 0:
        parser.error("--lines and --repeat must be >= 1, --f2b-lines and --startup-runs >= 0")
    if args.startup_only and not args.startup_runs:
        parser.error("--startup-only needs --startup-runs >= 1")
    args.tools_python = program_python(args.python)
    return args


def _shebang(script: Path) -> str:
    """The interpreter line of ``script`` (``#!/usr/bin/python3``), or ``?``."""
    try:
        with script.open("rb") as handle:
            first = handle.readline(200).decode("utf-8", "replace").strip()
    except OSError:
        return "?"
    return first.removeprefix("#!") or "?"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = _parse_args(argv)
    cpu = _pick_cpu(args.cpu)
    temporary = args.workdir is None and not args.keep
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="lwsyslog-bench-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        return _run(args, workdir, cpu)
    finally:
        if temporary:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"workdir kept: {workdir}", file=sys.stderr)


def compile_bytecode(python: str = sys.executable) -> str:
    """Compile lwsyslog's modules to bytecode first, as pip and dpkg do at install: the
    checkout is imported from source, and where bytecode is not written (PYTHONDONTWRITEBYTECODE,
    a read-only tree) every run of scan would compile its ~120 modules again (about 0.1 s)."""
    command = [python, "-m", "compileall", "-q", str(ROOT / "lwsyslog")]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return f"not compiled ({(done.stderr or done.stdout).strip()[:120]})"
    return "compiled first (compileall), as an installed package's is"


def _startup(
    args: argparse.Namespace, workdir: Path, cpu: int | None
) -> tuple[list[str], StartupRow | None]:
    """The start-up section's Markdown and its cache-kept scan row (None when skipped)."""
    if not args.startup_runs:
        return [], None
    exe, why = lwsyslog_ready(args.tools_python)
    if exe is None:
        return ["## Start-up", "", f"- skipped: {why}.", ""], None
    log, _, digest = prepare_log(workdir, 1, args.seed, "default")
    sigma = (
        _sigma_config(workdir, args.sigma_dir)
        if args.sigma_dir is not None and args.sigma_dir.is_dir()
        else None
    )
    table, kept = startup_section(
        args.tools_python, exe, log, workdir, cpu=cpu, runs=args.startup_runs, sigma_config=sigma
    )
    return [
        "## Start-up: one-line file", "",
        f"- input: the first line of the default profile (seed {args.seed}, sha256 "
        f"{digest[:16]}...); {args.startup_runs} runs per row, alternating; median and least",
        "", *table, "",
    ], kept  # fmt: skip


def _run(args: argparse.Namespace, workdir: Path, cpu: int | None) -> int:
    profiles = PROFILES if args.profile_name == "both" else (args.profile_name,)
    if args.startup_only:
        profiles = ()
    bytecode = compile_bytecode(args.tools_python)
    load_before = os.getloadavg()
    sections, startup = _startup(args, workdir, cpu)
    verdicts: list[str] = []
    failed: list[str] = []
    for profile in profiles:
        log, labels, digest = prepare_log(workdir, args.lines, args.seed, profile)
        notes: list[str] = []
        tools = _tools(args, log, workdir, notes)
        for attempt in range(args.repeat):
            for tool in tools:  # rows alternate: load on the machine touches every row alike
                tag = f"{profile}-" + re.sub(r"[^a-z0-9]+", "-", tool.name.lower())[:40]
                print(f"{profile}: {tool.name} ({attempt + 1}/{args.repeat}) ...",
                      file=sys.stderr)  # fmt: skip
                run = tool.run_once(workdir, f"{tag}-{attempt}", cpu)
                print(f"  {run.wall:.2f}s wall, {run.cpu:.2f}s CPU, "
                      f"{run.maxrss_kib / 1024:.1f} MiB, exit {run.returncode}",
                      file=sys.stderr)  # fmt: skip
        failed += [f"{profile} {t.name}" for t in tools if t.runs and t.best.returncode != 0]
        attacks = sum(Counter(row.split("\t")[1] for row in labels.read_text().splitlines())
                      .values())  # fmt: skip
        sections += [f"## Profile `{profile}`", "",
                     f"- input: {args.lines:,} lines, seed {args.seed}, "
                     f"{log.stat().st_size / 2**20:.0f} MiB, sha256 {digest[:16]}..., "
                     f"{attacks:,} attack lines", "",
                     *_table(tools), "", *notes, *_tool_notes(tools)]  # fmt: skip
        verdicts += _verdicts(profile, tools)
        scan = next((t for t in tools if t.name.startswith("(c)") and t.runs), None)
        if startup is not None and scan is not None:
            sections.append(startup_share(startup, scan.best_cpu.cpu, args.lines))
        if args.coverage and scan is not None:
            exe = Path(scan.argvs[0][0])
            argv = [str(exe), "scan", "--no-system-config", "--json", str(log)]
            run = Tool("coverage", [argv], args.lines, True)
            done = run.run_once(workdir, f"{profile}-coverage", cpu)
            if done.stdout is not None and done.returncode == 0:
                sections += ["", "Detection coverage (generator's labels):", "",
                             *coverage(done.stdout, labels, args.lines)]  # fmt: skip
        if args.profile and scan is not None:
            exe = Path(scan.argvs[0][0])
            sections += ["", "cProfile of `lwsyslog scan --json`, first 100,000 lines:", "",
                         "```", profile_scan(exe, log, workdir, cpu).rstrip(), "```"]  # fmt: skip
        sections.append("")
    load_after = os.getloadavg()
    env = [
        f"date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"CPU: {_cpu_model()}, {os.cpu_count()} cores; each child pinned to "
        + (f"CPU {cpu}" if cpu is not None else "no CPU (not pinned)"),
        f"Python of rows (a) and (c)-(e) (`--python {args.python}`): "
        f"{describe(args.tools_python)}; of (b): {F2B}'s own, "
        f"{_shebang(F2B)}; kernel {platform.release()}",
        f"lwsyslog's bytecode: {bytecode}",
        f"load average (1/5/15 min): {' '.join(f'{x:.2f}' for x in load_before)} before, "
        f"{' '.join(f'{x:.2f}' for x in load_after)} after",
        f"runs per row: {args.repeat}, alternating rows; lines/s from the fastest wall time, "
        "lines/CPU-s from the least CPU time; both include interpreter start-up",
    ]
    report = "\n".join([
        "# lwsyslog scan benchmark", "", *[f"- {e}" for e in env], "",
        "## Targets (issue 10; judged on CPU time, the figure load disturbs least)", "",
        "| target | measured (wall) | measured (CPU) | holds |", "|---|---:|---:|---|",
        *verdicts, "", *sections,
    ])  # fmt: skip
    print(report)
    OUT_DIR.mkdir(exist_ok=True)
    out = OUT_DIR / f"scan-{dt.datetime.now(dt.UTC).strftime('%Y-%m-%dT%H%M%S')}.md"
    out.write_text(report + "\n")
    print(f"written to {out}", file=sys.stderr)
    return 1 if failed else 0


def _tool_notes(tools: list[Tool]) -> list[str]:
    notes = []
    for tool in tools:
        if not tool.runs:
            continue
        best = tool.best
        if tool.name.startswith("(a)"):
            notes.append(f"- (a) baseline: `{_tail(best.stderr)}`.")
        elif tool.name.startswith("(b)"):
            notes.append(f"- (b) {len(tool.argvs)} invocations per run, each filter's own "
                         "account (matched lines; date template hits):")  # fmt: skip
            for argv, out in zip(tool.argvs, tool.outputs, strict=True):
                notes.append(f"  - {Path(argv[-1]).name}: {_f2b_summary(out)}")
        elif tool.name.startswith(("(c)", "(e)", "(f)")):
            first = best.stderr.read_text(errors="replace").strip().splitlines() or ["(none)"]
            notes.append(f"- {tool.name}: `{first[0]}`")
    return notes


if __name__ == "__main__":
    sys.exit(main())
