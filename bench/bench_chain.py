"""End-to-end throughput of the rsyslog chain: web host -> RELP/TLS -> server -> omprog.

Runs (as root) the shipped drop-ins with real rsyslogd instances on 127.0.0.1 (lwsyslog.lab),
feeds the web host's TCP syslog input from a Python socket writer, and times until the omprog
program has confirmed every line. Two programs: the trivial consumer (answers OK and appends
the line to a file: the ceiling rsyslog allows) and the real lwsyslog-omprog (journald sink on,
inside the lab's private journal). ``--protocol-only`` adds a third: lwsyslog-omprog with
each line counted instead of processed (``omprog_protocol_only.py``: the answers, spool and
processing child as shipped, no parse, rules or alerts), which splits the real program's gap
to the ceiling into the protocol's part and the processing's. Prints a Markdown table: lines/s
end to end, the ratio to the ceiling, the program's peak RSS, and whether the real program
reaches the floor. Under it, each process's CPU time per line while the measured lines went
through (user + system, from /proc, warm-up and start-up left out): the two rsyslogd, the
program and its pipeline child. On two cores the chain is CPU-bound, so these say where each
program's share of the ceiling goes.

    .venv/bin/python bench/bench_chain.py                       # both, 500,000 lines
    .venv/bin/python bench/bench_chain.py --lines 100000 --window 1024 --window 4096
    .venv/bin/python bench/bench_chain.py --only trivial
    .venv/bin/python bench/bench_chain.py --lines 300000 --transactions --repeat 3
    .venv/bin/python bench/bench_chain.py --lines 300000 --repeat 3 --protocol-only
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))

import harness

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_access_log

from lwsyslog import lab
from lwsyslog.deploy import rsyslog_setup

_SHIPPED_SERVER = rsyslog_setup.EXAMPLE_SERVER
_PROTOCOL_ONLY_SCRIPT = Path(__file__).resolve().parent / "omprog_protocol_only.py"

FLOOR = 0.85
"""The real program must reach this share of the trivial consumer's lines/s (issue 10's
target; round 1 set 70%)."""

_STATS_EVERY = 2000
_TRIVIAL = "trivial consumer"
_REAL = "lwsyslog-omprog"
_PROTOCOL_ONLY = "lwsyslog-omprog, protocol only"


@dataclass
class Result:
    consumer: str
    window: int
    lines: int
    seconds: float
    peak_rss_kib: int
    cpu_us_per_line: dict[str, float]

    @property
    def rate(self) -> float:
        return self.lines / self.seconds if self.seconds else 0.0


def _program_peak_rss_kib(pid: int) -> int:
    """Peak RSS of one program: its own and its pipeline child's (transaction mode) summed."""
    total = _peak_rss_kib(pid)
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(_peak_rss_kib(int(child)) for child in children)


def _peak_rss_kib(pid: int) -> int:
    """Peak RSS (VmHWM) of one process."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"VmHWM:\s+(\d+)", status)
    return int(match.group(1)) if match else 0


_CPU_PARTS = ("web-host rsyslogd", "central rsyslogd", "program", "pipeline child")
_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process, all its threads (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _chain_cpu(chain: lab.LocalChain) -> dict[str, float]:
    """CPU seconds so far of each part of the chain (the programs of all shards summed)."""
    programs = chain.omprog_pids()
    children = [kid for pid in programs for kid in lab.child_pids(pid)]
    return {
        "web-host rsyslogd": _cpu_seconds(chain.webhost.pid),
        "central rsyslogd": _cpu_seconds(chain.server.pid),
        "program": sum(_cpu_seconds(pid) for pid in programs),
        "pipeline child": sum(_cpu_seconds(pid) for pid in children),
    }


def _unique_line(i: int) -> bytes:
    """Worst case for the detector's caches: every path and User-Agent differs."""
    return lab.syslog_line(
        f'203.0.113.{i % 250} - - [23/Nov/2026:10:00:00 +0000] "GET /item/{i}?q=bench HTTP/1.1" '
        f'200 {i % 9000} "-" "Mozilla/5.0 (X11; Linux x86_64) bench/{i}"'
    )


def _realistic_lines(count: int) -> list[bytes]:
    """The scan benchmark's traffic (bench/gen_access_log.py, seed 1): ~1% attacks."""
    buffer = io.StringIO()
    gen_access_log.write_log(buffer, count, seed=1)
    return [lab.syslog_line(line) for line in buffer.getvalue().splitlines()]


class _LineCounter:
    """Counts newlines in a growing file without re-reading it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.lines = 0

    def __call__(self) -> int:
        if self.path.exists():
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
            self.offset += len(chunk)
            self.lines += chunk.count(b"\n")
        return self.lines


class _ReceivedCounter:
    """The real program's own count of lines (its stats line every few thousand lines)."""

    def __init__(self, stderr: Path) -> None:
        self.path = stderr
        self.offset = 0
        self.received = 0

    @classmethod
    def summed(cls, paths: list[Path]) -> Callable[[], int]:
        """The lines of all shards together."""
        counters = [cls(path) for path in paths]
        return lambda: sum(counter() for counter in counters)

    def __call__(self) -> int:
        if self.path.exists():
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
            cut = chunk.rfind(b"\n") + 1
            self.offset += cut
            found = re.findall(rb"stats: received=(\d+)", chunk[:cut])
            if found:
                self.received = int(found[-1])
        return self.received


def run_once(
    work: Path,
    payload: list[bytes],
    window: int,
    consumer: str,
    journal: lab.JournalNamespace,
    *,
    shards: int = 1,
    transactions: bool = _SHIPPED_SERVER.transactions,
    one_process: bool = False,
) -> Result:
    """One measured run with fresh rsyslogd instances."""
    real = consumer != _TRIVIAL
    if real:
        program = lab.omprog_command(
            config=lab.write_lab_config(work / "lwsyslog.toml"),
            state_dir=work / "state",
            messages_file=work / "messages",
            # Frequent stats lines: the bench counts confirmed lines from them, per shard.
            extra=(
                "--stats-every-lines",
                str(_STATS_EVERY),
                "--stats-interval-secs",
                "0.2",
                *(("--one-process",) if one_process else ()),
            ),
            script=_PROTOCOL_ONLY_SCRIPT if consumer == _PROTOCOL_ONLY else None,
        )
    else:
        program = harness.consumer_command(work / "consumer.jsonl")
    chain = lab.LocalChain(
        work,
        program,
        journal,
        apache=False,
        window_size=window,
        batch_size=min(1024, window),
        shards=shards,
        # Both programs run under the same omprog action settings.
        transactions=transactions,
    )
    counter = _ReceivedCounter.summed(chain.omprog_stderrs) if real else _LineCounter(
        work / "consumer.jsonl"
    )  # fmt: skip
    with chain:
        # Warm-up lines so the program is started and the TLS session is up.
        warm = _STATS_EVERY * shards if real else 1
        lab.inject(chain.input_port, (_unique_line(-1 - i) for i in range(warm)))
        lab.wait_for(lambda: counter() >= warm, 60, "the warm-up lines")
        base = counter()
        cpu_before = _chain_cpu(chain)
        lines = len(payload)
        start = time.monotonic()
        writer = threading.Thread(target=lab.inject, args=(chain.input_port, payload))
        writer.start()
        lab.wait_for(
            lambda: counter() - base >= lines, max(300.0, lines / 500), f"{lines} lines", 0.02
        )
        seconds = time.monotonic() - start
        cpu_after = _chain_cpu(chain)
        writer.join()
        peak = max((_program_peak_rss_kib(kid) for kid in chain.omprog_pids()), default=0)
    cpu = {part: (cpu_after[part] - cpu_before[part]) / lines * 1e6 for part in _CPU_PARTS}
    return Result(consumer, window, lines, seconds, peak, cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=500_000)
    parser.add_argument("--window", type=int, action="append", help="omrelp windowSize(s)")
    parser.add_argument("--only", choices=["trivial", "real"], help="measure one program only")
    parser.add_argument(
        "--one-process",
        action="store_true",
        help="run lwsyslog-omprog with --one-process (no pipeline child)",
    )
    parser.add_argument(
        "--protocol-only",
        action="store_true",
        help="also run lwsyslog-omprog with each line counted instead of processed",
    )
    parser.add_argument(
        "--shards", type=int, default=1, help="omprog programs in parallel (both consumers)"
    )
    parser.add_argument(
        "--transactions",
        action=argparse.BooleanOptionalAction,
        default=_SHIPPED_SERVER.transactions,
        help='useTransactions="on" for both programs (default: the drop-in default)',
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run every measurement R times, alternating the programs; medians decide the floor",
    )
    parser.add_argument(
        "--traffic",
        choices=["realistic", "unique"],
        default="realistic",
        help="realistic: the scan benchmark's generated log; unique: every line differs",
    )
    args = parser.parse_args()
    reason = lab.missing_requirements(apache=False)
    if reason:
        print(f"bench_chain: {reason}", file=sys.stderr)
        return 2
    windows = args.window or [4096]
    if args.traffic == "unique":
        payload = [_unique_line(i) for i in range(args.lines)]
    else:
        payload = _realistic_lines(args.lines)
    print(f"traffic: {args.traffic}, {len(payload):,} lines, shards: {args.shards}, "
          f"transactions: {'on' if args.transactions else 'off'}, "
          f"one process: {'yes' if args.one_process else 'no'}", file=sys.stderr)  # fmt: skip
    kinds = [
        consumer
        for consumer, name in ((_TRIVIAL, "trivial"), (_REAL, "real"))
        if args.only in (None, name)
    ]
    if args.protocol_only:
        kinds.append(_PROTOCOL_ONLY)
    plan = [(k, w) for _ in range(max(args.repeat, 1)) for k in kinds for w in windows]
    results = []
    with (
        tempfile.TemporaryDirectory(prefix="lwsyslog-bench-") as tmp,
        lab.JournalNamespace(Path(tmp) / "journal") as journal,
    ):
        for n, (consumer, window) in enumerate(plan):
            results.append(
                run_once(
                    Path(tmp) / f"run{n}",
                    payload,
                    window,
                    consumer,
                    journal,
                    shards=args.shards,
                    transactions=args.transactions,
                    one_process=args.one_process,
                )
            )
            print(f"  done: {results[-1]}", file=sys.stderr)
    return _report(results, repeat=max(args.repeat, 1))


def _report(results: list[Result], *, repeat: int) -> int:
    """Print the table (each run, then medians when repeated) and judge the floor."""
    median = {
        (consumer, window): statistics.median(
            r.rate for r in results if (r.consumer, r.window) == (consumer, window)
        )
        for consumer, window in {(r.consumer, r.window) for r in results}
    }
    ceiling = {w: rate for (c, w), rate in median.items() if c == _TRIVIAL}
    print("| program | windowSize | run | lines | seconds | lines/s end to end | of ceiling "
          "| program peak RSS |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    runs: dict[tuple[str, int], int] = {}
    for r in results:
        key = (r.consumer, r.window)
        runs[key] = runs.get(key, 0) + 1
        share = f"{r.rate / ceiling[r.window]:.0%}" if r.window in ceiling else "n/a"
        print(f"| {r.consumer} | {r.window} | {runs[key]} | {r.lines:,} | {r.seconds:.1f} "
              f"| {r.rate:,.0f} | {share} | {r.peak_rss_kib / 1024:.1f} MiB |")  # fmt: skip
    if repeat > 1:
        for (consumer, window), rate in sorted(median.items()):
            share = f"{rate / ceiling[window]:.0%}" if window in ceiling else "n/a"
            print(f"| {consumer} | {window} | median of {repeat} | | | {rate:,.0f} | {share} "
                  "| |")  # fmt: skip
    _report_cpu(results)
    status = 0
    for (consumer, window), rate in sorted(median.items()):
        if consumer == _REAL and window in ceiling:
            ok = rate >= FLOOR * ceiling[window]
            which = f"median of {repeat} runs each" if repeat > 1 else "one run each"
            print(f"\nfloor (real program >= {FLOOR:.0%} of the trivial consumer, window "
                  f"{window}, {which}): {'met' if ok else 'NOT met'}")  # fmt: skip
            status = status or (0 if ok else 1)
    return status


def _report_cpu(results: list[Result]) -> None:
    """Each part's CPU time per line, the median over the runs of each program."""
    print("\nCPU time per line while the measured lines went through (us, user + system; "
          "median of the runs):\n")  # fmt: skip
    print(f"| program | windowSize | {' | '.join(_CPU_PARTS)} | all |")
    print("|---|---:|" + "---:|" * (len(_CPU_PARTS) + 1))
    for consumer, window in sorted({(r.consumer, r.window) for r in results}):
        mine = [r.cpu_us_per_line for r in results if (r.consumer, r.window) == (consumer, window)]
        parts = [statistics.median(cpu[part] for cpu in mine) for part in _CPU_PARTS]
        total = statistics.median(sum(cpu.values()) for cpu in mine)
        cells = " | ".join(f"{value:.1f}" for value in parts)
        print(f"| {consumer} | {window} | {cells} | {total:.1f} |")


if __name__ == "__main__":
    sys.exit(main())
