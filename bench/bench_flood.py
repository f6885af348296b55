#!/usr/bin/env python3
"""Memory under floods: peak RSS and lines/s of ``lwsyslog scan`` and the omprog program.

Cases (``flood_inputs.py``): (a) ``distinct404``: 404s with distinct ~7.8 KB paths from 10,000
IPv6 clients; (b) ``new-v6`` and ``new-v4``: every line from a new client address, 404s and
401s (statuses that feed the thresholds); (c) ``new-hosts``: every envelope from a new web host
with a 4,000-character name (the omprog program's memory of names a sender writes); (d)
``baseline``: ordinary lines from 50 repeating clients. Each input is generated line by line
into a temporary directory, then consumed by each consumer in its own child process, pinned to
one CPU:

- ``scan``: ``lwsyslog scan --json FILE > /dev/null``
- ``omprog``: ``lwsyslog-omprog --no-journald --state-dir DIR --messages-file FILE``, fed the
  lines as rsyslog's JSON envelopes on stdin (streamed from the file), its answers drained.

Peak RSS is the child's own ``ru_maxrss`` from ``os.wait4``; VmRSS is also sampled from
``/proc/PID/status`` every 0.5 s together with the child's progress (its read offset in the
input for ``scan``, lines answered for ``omprog``), so the growth curve shows a plateau or a
line. The issue's target: each flood under 256 MiB in both consumers, at the issue's sizes
(``--full``: 200,000 and 2,000,000 lines, about 15-20 minutes on 2 cores). The default runs a
quarter of that (a few minutes); the new-client cases still pass the 100,000-key bound.

    .venv/bin/python bench/bench_flood.py                    # scale 0.25, all cases
    .venv/bin/python bench/bench_flood.py --full             # the issue's sizes
    .venv/bin/python bench/bench_flood.py --cases new-v6 baseline --consumers omprog
    .venv/bin/python bench/bench_flood.py --quick            # scale 0.02: a smoke run
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flood_inputs import CASES, envelope_names, generate
from hostile_report import ROOT, Report

__all__ = ["Run", "main"]

TARGET_MIB = 256
_SAMPLE_SECS = 0.5
_CURVE = (10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
_VENV_BIN = Path(sys.executable).parent


@dataclass(slots=True)
class Run:
    """One consumer on one input."""

    case: str
    consumer: str
    lines: int
    wall: float = 0.0
    cpu: float = 0.0
    maxrss_kib: int = 0
    returncode: int = 0
    answered: int = 0
    samples: list[tuple[float, float, int]] = field(default_factory=list)
    """(seconds, progress 0..1, VmRSS KiB)"""
    tail: str = ""

    @property
    def peak_mib(self) -> float:
        """Peak RSS in MiB."""
        return self.maxrss_kib / 1024

    def rss_at(self, percent: int) -> float | None:
        """The highest VmRSS (MiB) sampled until the child had got through ``percent`` of its
        input (at 100%: the peak; a sample taken while the child frees memory at exit never
        lowers it)."""
        seen = [rss for _, progress, rss in self.samples if progress * 100 <= percent + 1e-9]
        return max(seen) / 1024 if seen else None


def _vmrss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for row in status:
                if row.startswith("VmRSS:"):
                    return int(row.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _read_offset(pid: int, path: Path) -> int | None:
    """Where the child has read ``path`` to (its fd's ``pos`` in /proc/PID/fdinfo)."""
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                    with open(f"/proc/{pid}/fdinfo/{fd}", encoding="ascii") as info:
                        return int(info.readline().split()[1])
            except OSError:
                continue
    except OSError:
        return None
    return None


class _Sampler(threading.Thread):
    """VmRSS and progress every 0.5 s until the child is reaped."""

    def __init__(self, pid: int, run: Run, progress: object) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.run_ = run
        self.progress = progress
        self.done = threading.Event()
        self.start_time = time.monotonic()

    def run(self) -> None:
        progress = 0.0
        while not self.done.wait(_SAMPLE_SECS):
            rss = _vmrss_kib(self.pid)
            if rss is None:
                continue
            # Never backwards: scan closes its input before it has processed the last lines.
            progress = max(progress, self.progress() if callable(self.progress) else 0.0)
            self.run_.samples.append((time.monotonic() - self.start_time, progress, rss))


def _reap(proc: subprocess.Popen[bytes], run: Run, started: float) -> None:
    _, status, usage = os.wait4(proc.pid, 0)
    run.wall = time.monotonic() - started
    run.cpu = usage.ru_utime + usage.ru_stime
    run.maxrss_kib = usage.ru_maxrss
    run.returncode = os.waitstatus_to_exitcode(status)
    proc.returncode = run.returncode


def _pin(pid: int, cpu: int) -> None:
    if cpu >= 0:
        os.sched_setaffinity(pid, {cpu})


def run_scan(case: str, log: Path, lines: int, *, work: Path, config: Path, cpu: int) -> Run:
    """``lwsyslog scan --json LOG > /dev/null`` in a child."""
    run = Run(case, "scan", lines)
    size = log.stat().st_size
    err = work / f"{case}-scan.stderr"
    argv = [str(_VENV_BIN / "lwsyslog"), "scan", "--json", "--config", str(config), str(log)]
    with open(os.devnull, "wb") as null, err.open("wb") as err_out:
        started = time.monotonic()
        proc = subprocess.Popen(argv, stdout=null, stderr=err_out, cwd=work)
        _pin(proc.pid, cpu)
        resolved = log.resolve()
        _opened = [False]

        def progress() -> float:
            offset = _read_offset(proc.pid, resolved)
            if offset is None:  # not opened yet, or closed at its end
                return 1.0 if _opened[0] else 0.0
            _opened[0] = True
            return min(1.0, offset / size) if size else 0.0

        sampler = _Sampler(proc.pid, run, progress)
        sampler.start()
        _reap(proc, run, started)
        sampler.done.set()
        sampler.join()
    run.samples.append((run.wall, 1.0, run.maxrss_kib))
    run.answered = lines
    run.tail = _tail(err)
    return run


def _feed(log: Path, stdin: object, case: str) -> None:
    """The log's lines as rsyslog's JSON envelopes, in 64 KiB writes; then EOF."""
    dumps = json.dumps
    pending: list[bytes] = []
    size = 0
    try:
        with log.open("r", encoding="utf-8") as source:
            for number, line in enumerate(source):
                host, tag = envelope_names(case, number)
                envelope = dumps({"host": host, "tag": tag, "msg": line[:-1]})
                data = envelope.encode() + b"\n"
                pending.append(data)
                size += len(data)
                if size >= 1 << 16:
                    stdin.write(b"".join(pending))  # type: ignore[attr-defined]
                    pending.clear()
                    size = 0
        stdin.write(b"".join(pending))  # type: ignore[attr-defined]
    except BrokenPipeError:
        pass
    finally:
        with contextlib.suppress(BrokenPipeError):
            stdin.close()  # type: ignore[attr-defined]


def run_omprog(case: str, log: Path, lines: int, *, work: Path, config: Path, cpu: int) -> Run:
    """The omprog program fed ``log`` as envelopes, per-line answers drained."""
    run = Run(case, "omprog", lines)
    state = work / f"{case}-state"
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir()
    messages = work / f"{case}-messages"
    messages.unlink(missing_ok=True)
    err = work / f"{case}-omprog.stderr"
    argv = [
        str(_VENV_BIN / "lwsyslog-omprog"), "--config", str(config), "--no-journald",
        "--state-dir", str(state), "--messages-file", str(messages),
    ]  # fmt: skip
    answered = [0]
    with err.open("wb") as err_out:
        started = time.monotonic()
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err_out, cwd=work
        )
        _pin(proc.pid, cpu)
        assert proc.stdin is not None and proc.stdout is not None
        out_fd = proc.stdout.fileno()

        def drain() -> None:
            while chunk := os.read(out_fd, 1 << 16):
                answered[0] += chunk.count(b"\n")

        drainer = threading.Thread(target=drain, daemon=True)
        drainer.start()
        feeder = threading.Thread(target=_feed, args=(log, proc.stdin, case), daemon=True)
        feeder.start()
        sampler = _Sampler(proc.pid, run, lambda: max(0, answered[0] - 1) / max(1, lines))
        sampler.start()
        _reap(proc, run, started)
        sampler.done.set()
        feeder.join()
        drainer.join()
        sampler.join()
    run.answered = max(0, answered[0] - 1)  # the first answer is the start-up OK
    run.samples.append((run.wall, 1.0, run.maxrss_kib))
    run.tail = _tail(err)
    return run


def _tail(path: Path) -> str:
    """The consumer's own account: scan's summary rows on lines, alerts and evicted state; the
    program's last stats line (its counters only); any traceback or error."""
    try:
        rows = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    wanted = [r for r in rows if re.match(r"\s*(lines|alerts|state)\s", r)]
    stats = [r for r in rows if "stats:" in r]
    if stats:
        counters = re.findall(r"\b(?:received|lines|urgent|alerts|exceptions)=\d+", stats[-1])
        wanted.append("stats: " + " ".join(counters))
    wanted += [r for r in rows if re.search(r"Traceback|\berror:|Error:", r)][:2]
    return " / ".join(dict.fromkeys(" ".join(r.split())[:160] for r in wanted))


def _report(report: Report, runs: Sequence[Run], full: bool) -> bool:
    base = {r.consumer: r for r in runs if r.case == "baseline"}
    rows = []
    ok = True
    for r in runs:
        ref = base.get(r.consumer)
        vs = f"{r.peak_mib / ref.peak_mib:.1f}x" if ref and ref is not r else "-"
        half = r.rss_at(50)
        growth = f"{r.peak_mib - half:+,.0f}" if half is not None else "-"
        under = r.peak_mib < TARGET_MIB
        if r.case != "baseline":
            ok = ok and under
        verdict = "baseline" if r.case == "baseline" else ("under" if under else "**OVER**")
        lost = "" if r.answered >= r.lines else f" ({r.answered:,} answered)"
        rows.append([
            r.case, r.consumer, f"{r.lines:,}{lost}", f"{r.wall:,.1f}", f"{r.cpu:,.1f}",
            f"{r.lines / r.wall:,.0f}", f"{r.peak_mib:,.0f}", vs, growth, verdict,
            str(r.returncode),
        ])  # fmt: skip
    report.table(
        ["case", "consumer", "lines", "wall s", "CPU s", "lines/s", "peak RSS MiB",
         "RSS vs baseline", "MiB added in 2nd half", f"< {TARGET_MIB} MiB", "exit"],
        rows, "llrrrrrrrlr",
    )  # fmt: skip
    report.line(
        "Growth curve: the highest VmRSS (MiB) sampled (every 0.5 s) until the consumer had got "
        "through N% of its input; 100% is the peak. A plateau is bounded memory, a steady rise "
        "is not:\n"
    )
    report.table(
        ["case", "consumer", *(f"{p}%" for p in _CURVE)],
        [[r.case, r.consumer, *(_mib(r.rss_at(p)) for p in _CURVE)] for r in runs],
        "ll" + "r" * len(_CURVE),
    )
    report.line("What each consumer said (stderr, last lines):\n")
    for r in runs:
        report.line(f"- {r.case} / {r.consumer}: {r.tail or '-'}")
    report.line()
    if not full:
        report.line("Scaled run: the issue's target is judged on `--full` (the issue's sizes).")
    report.line(f"Target (each flood < {TARGET_MIB} MiB in both consumers): "
                f"{'met' if ok else 'NOT met'}\n")  # fmt: skip
    return ok


def _mib(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the floods; 0 when every flood stayed under the target."""
    args = _parse_args(argv)
    scale = 1.0 if args.full else 0.02 if args.quick else args.scale
    report = Report("flood", "Floods: peak RSS and lines/s (bench_flood.py)", argv)
    report.line(f"- scale {scale:g} of the issue's sizes; timestamps advance 1 s per "
                f"{args.rate:,} lines; consumers pinned to CPU {args.cpu}\n")  # fmt: skip
    work = Path(args.workdir or tempfile.mkdtemp(prefix="lwsyslog-flood-"))
    work.mkdir(parents=True, exist_ok=True)
    config = work / "empty.toml"
    config.write_text("# bench_flood: the built-in defaults\n", encoding="utf-8")
    runs: list[Run] = []
    try:
        for case in args.cases:
            lines = max(1000, int(CASES[case][1] * scale))
            log = work / f"{case}.log"
            started = time.monotonic()
            size = generate(case, lines, log, args.rate)
            print(f"{case}: {lines:,} lines, {size / 2**20:,.0f} MiB generated in "
                  f"{time.monotonic() - started:.0f} s", file=sys.stderr)  # fmt: skip
            for consumer in args.consumers:
                runner = run_scan if consumer == "scan" else run_omprog
                run = runner(case, log, lines, work=work, config=config, cpu=args.cpu)
                print(f"  {consumer}: {run.wall:.0f} s, peak {run.peak_mib:,.0f} MiB",
                      file=sys.stderr)  # fmt: skip
                runs.append(run)
            if not args.workdir:
                log.unlink()
        report.line("| case | what |\n|---|---|")
        for case in args.cases:
            report.line(f"| {case} | {CASES[case][2]} |")
        report.line()
        ok = _report(report, runs, args.full)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    report.save()
    return 0 if ok else 1


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Writes bench/out/flood-<time>.md. Exit status 1 when a flood reaches 256 MiB.",
    )
    parser.add_argument("--full", action="store_true", help="the issue's sizes (scale 1)")
    parser.add_argument("--quick", action="store_true", help="scale 0.02 (smoke run)")
    parser.add_argument(
        "--scale", type=float, default=0.25, help="share of the issue's line counts (0.25)"
    )
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument(
        "--consumers", nargs="+", choices=["scan", "omprog"], default=["scan", "omprog"]
    )
    parser.add_argument(
        "--rate", type=int, default=10_000, help="lines per second of log time (10000)"
    )
    parser.add_argument("--cpu", type=int, default=1, help="pin children here (1; -1: no)")
    parser.add_argument("--workdir", help="keep inputs and outputs here (default: temp, removed)")
    return parser.parse_args(argv)  # fmt: skip


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
