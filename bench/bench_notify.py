"""What notifications cost the omprog program: per line, per alert, in memory; and delivery.

Each measured run is a child process pinned to one CPU (its own peak RSS, ``VmHWM``) that
decodes N JSON envelopes and runs them through a :class:`~lwsyslog.pipeline.Pipeline` whose
sinks are a messages file, plus, in the ``notify`` runs, a :class:`Notifier` with a webhook
channel to a receiver in this (parent) process. Its sender process (router, couriers) either
runs on any CPU (``notify-apart``, as in production) or shares the pinned CPU
(``notify-shared``, the worst case: every message it renders and sends takes time from the
lines). The kinds alternate (base, apart, shared, base, ...), R times each; each notify run
is compared with the base run just before it (the same moment's load), and the table gives
the median of those ratios, in wall time and in the program's own CPU time (steadier when
other processes share the machine), beside the load average of the runs. Timing starts once
the sender has started; every ``submit`` (the notifier's ``write``) in the runs is timed.

Two traffic mixes: ``realistic`` (bench/gen_access_log.py, seed 1, about 1% attack lines; the
default rules make about one alert per 300 lines) and ``attack-heavy`` (every 20th line a SQL
injection from a new client: one alert per 20 lines, far above a real attack).

Then ``submit`` alone (one critical alert per call: median, p99, max), with the sender running
and with the sender stopped (SIGSTOP) while the outbox database is locked, and the delivery
throughput to the local webhook (critical alerts, one message each).

    .venv/bin/python bench/bench_notify.py                       # 100,000 lines, 5 runs each
    .venv/bin/python bench/bench_notify.py --lines 30000 --repeat 1
    .venv/bin/python bench/bench_notify.py --mix realistic --repeat 9
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import gen_access_log

MIXES = ("realistic", "attack-heavy")
KINDS = ("base", "notify-apart", "notify-shared")
_HEAD = {
    "host": "web1",
    "tag": "apache-access:",
    "program": "apache-access",
    "time": "2026-03-01T10:00:00.000000+00:00",
    "facility": "local6",
    "severity": "info",
}


def _lines(mix: str, count: int) -> list[str]:
    buffer = io.StringIO()
    gen_access_log.write_log(buffer, count, seed=1)
    lines = buffer.getvalue().splitlines()
    if mix == "attack-heavy":
        for index in range(0, len(lines), 20):
            client = f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}"
            lines[index] = (
                f'{client} - - [01/Mar/2026:10:00:00 +0000] "GET /item.php?id=1%27%20UNION%20'
                f'SELECT%20user,pass%20FROM%20users-- HTTP/1.1" 200 512 "-" "Mozilla/5.0"'
            )
    return lines


def _envelopes(mix: str, count: int) -> bytes:
    return b"".join(
        json.dumps({**_HEAD, "msg": line}, separators=(",", ":")).encode() + b"\n"
        for line in _lines(mix, count)
    )


class _Sink(BaseHTTPRequestHandler):
    received = 0
    lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with _Sink.lock:
            _Sink.received += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _receiver() -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _settings(port: int, storm_clients: int = 20) -> Any:
    from lwsyslog.notify.settings_parse import parse_notify_settings  # noqa: PLC0415

    channel = {
        "type": "webhook",
        "url": f"http://127.0.0.1:{port}/hook",
        "secret": "bench-secret-0123456789",
        "min_severity": "medium",
        "group_interval_secs": 60,
        "storm_clients": storm_clients,
    }
    return parse_notify_settings({"channels": {"hook": channel}}, file="bench")


def _peak_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


class _Timed:
    """The notifier as the pipeline's sink, with every ``write`` (a ``submit``) timed."""

    required = False

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.durations: list[float] = []
        self.cpu_ns = 0

    def write(self, alert: Any) -> None:
        cpu = time.thread_time_ns()
        began = time.perf_counter()
        self.inner.write(alert)
        self.durations.append(time.perf_counter() - began)
        self.cpu_ns += time.thread_time_ns() - cpu

    def reopen(self) -> None:
        self.inner.reopen()

    def close(self) -> None:
        self.inner.close()


def _child(kind: str, source: Path, port: int, cpu: int) -> int:
    from lwsyslog.config import load_config  # noqa: PLC0415
    from lwsyslog.events import Origin  # noqa: PLC0415
    from lwsyslog.notify.notifier import Notifier  # noqa: PLC0415
    from lwsyslog.omprog.envelope import Envelope, decode_envelope  # noqa: PLC0415
    from lwsyslog.pipeline import Pipeline  # noqa: PLC0415
    from lwsyslog.sinks import MessagesFileSink  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="lwsyslog-bench-notify-") as tmp:
        sinks: list[Any] = [MessagesFileSink(str(Path(tmp) / "messages"))]
        notifier = timed = None
        if kind != "base":
            notifier = Notifier(_settings(port), Path(tmp) / "outbox.db")
            timed = _Timed(notifier)
            sinks.append(timed)
            time.sleep(1.5)  # the sender process has started and imported what it needs
            if kind == "notify-apart":
                # As in production: the program runs where it runs, the sender on another core.
                os.sched_setaffinity(0, {cpu})
                _keep_off(notifier.sender_pid, cpu)
        pipeline = Pipeline(load_config([]), sinks=sinks)
        count = alerts = 0
        with source.open("rb") as lines:
            usage = resource.getrusage(resource.RUSAGE_THREAD)
            start = time.perf_counter()
            cpu_start = time.process_time()
            for number, line in enumerate(lines, start=1):
                envelope = decode_envelope(line[:-1])
                if isinstance(envelope, Envelope):
                    origin = Origin("web1/apache-access", number, envelope.host, envelope.tag)
                    alerts += len(pipeline.process(envelope.msg, origin).alerts)
                count += 1
            seconds = time.perf_counter() - start
            cpu_seconds = time.process_time() - cpu_start
            after = resource.getrusage(resource.RUSAGE_THREAD)
        extra = notifier.stats_fields() if notifier is not None else {}
        began = time.perf_counter()
        pipeline.close()
        closing = time.perf_counter() - began
    submits = sorted(round(d * 1e6, 2) for d in timed.durations) if timed else []
    print(json.dumps({"kind": kind, "lines": count, "alerts": alerts, "seconds": seconds,
                      "cpu": cpu_seconds, "kib": _peak_rss_kib(), "stats": extra,
                      "submit_us": submits, "close": closing,
                      "submit_cpu": timed.cpu_ns / 1e9 if timed else 0.0,
                      "waits": after.ru_nvcsw - usage.ru_nvcsw,
                      "preempted": after.ru_nivcsw - usage.ru_nivcsw}))  # fmt: skip
    return 0


def _keep_off(pid: int | None, cpu: int) -> None:
    """Move every thread of process ``pid`` off ``cpu`` (when another CPU exists)."""
    others = set(range(os.cpu_count() or 1)) - {cpu}
    if pid is None or cpu < 0 or not others:
        return
    for task in Path(f"/proc/{pid}/task").iterdir():
        os.sched_setaffinity(int(task.name), others)


def _measure(kind: str, source: Path, port: int, cpu: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", kind, "--source", str(source),
               "--port", str(port)]  # fmt: skip
    if kind == "notify-apart":
        command += ["--cpu", str(cpu)]  # the child pins itself once the sender has started
    elif cpu >= 0:
        command = ["taskset", "-c", str(cpu), *command]
    load = os.getloadavg()[0]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["load"] = (load + os.getloadavg()[0]) / 2
    return result


def _distribution(durations_us: Sequence[float]) -> str:
    if not durations_us:
        return "no submit"
    ordered = sorted(durations_us)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"median {statistics.median(ordered):.1f} us, p99 {p99:.1f} us, max "
            f"{ordered[-1] / 1000:.2f} ms ({len(ordered):,} submits)")  # fmt: skip


def _submit_and_delivery(
    port: int, count: int, stopped: bool
) -> tuple[list[float], int, float, float, float]:
    """Submit ``count`` critical alerts one by one: (durations in us, submits during which
    the program blocked (a voluntary context switch), messages/s, seconds close() took, load).
    ``stopped``: the sender is SIGSTOPped while the outbox database is locked (a sender frozen
    inside a transaction); nothing is delivered then."""
    from lwsyslog.notify.notifier import Notifier  # noqa: PLC0415
    from lwsyslog.severity import Severity  # noqa: PLC0415
    from tests.notify.servers import make_alert  # noqa: PLC0415

    alerts = [make_alert(n, severity=Severity.CRITICAL, client=f"10.9.{n // 250}.{n % 250}")
              for n in range(count)]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="lwsyslog-bench-notify-") as tmp:
        path = Path(tmp) / "outbox.db"
        # No storm summary here: every critical alert is a message of its own.
        notifier = Notifier(_settings(port, storm_clients=0), path)
        holder = None
        time.sleep(1.5)  # the sender has started and made its database
        if stopped and notifier.sender_pid is not None:
            holder = sqlite3.connect(path, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
            os.kill(notifier.sender_pid, signal.SIGSTOP)
        load = os.getloadavg()[0]
        before = _Sink.received
        durations = []
        blocked = 0
        start = time.perf_counter()
        for alert in alerts:
            usage = resource.getrusage(resource.RUSAGE_THREAD).ru_nvcsw
            began = time.perf_counter()
            notifier.submit([alert])
            durations.append((time.perf_counter() - began) * 1e6)
            blocked += resource.getrusage(resource.RUSAGE_THREAD).ru_nvcsw != usage
        while not stopped and _Sink.received - before < count and time.perf_counter() - start < 120:
            time.sleep(0.01)
        elapsed = time.perf_counter() - start
        delivered = _Sink.received - before
        began = time.perf_counter()
        notifier.close()
        closing = time.perf_counter() - began
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()
    return durations, blocked, delivered / elapsed, closing, load


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs per kind; median counts")
    parser.add_argument("--cpu", type=int, default=1, help="pin children to this CPU (-1: no)")
    parser.add_argument("--alerts", type=int, default=2000, help="alerts for submit/delivery")
    parser.add_argument("--mix", choices=MIXES, action="append", help="only this mix (repeatable)")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args.child, args.source, args.port, args.cpu)
    server = _receiver()
    port = server.server_address[1]
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, Python "
          f"{sys.version.split()[0]}, {args.lines:,} lines per run, {args.repeat} runs per "
          f"kind alternating, pinned to CPU {args.cpu}, "
          f"load {os.getloadavg()[0]:.2f}\n")  # fmt: skip
    print(
        "| mix | alerts | run | lines/s (median) | wall vs base (median of pairs) | "
        "CPU vs base | load (runs) | peak RSS (program) |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    latencies: list[str] = []
    for mix in args.mix or MIXES:
        with tempfile.NamedTemporaryFile(prefix="lwsyslog-envelopes-", suffix=".jsonl") as src:
            src.write(_envelopes(mix, args.lines))
            src.flush()
            runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
            for _ in range(max(args.repeat, 1)):
                for kind in KINDS:
                    runs[kind].append(_measure(kind, Path(src.name), port, args.cpu))
        alerts = runs["base"][0]["alerts"]
        for kind in KINDS:
            rates = [r["lines"] / r["seconds"] for r in runs[kind]]
            pairs = list(zip(runs[kind], runs["base"], strict=True))
            wall = [r["seconds"] / b["seconds"] - 1 for r, b in pairs]
            cpu = [r["cpu"] / b["cpu"] - 1 for r, b in pairs]
            loads = [r["load"] for r in runs[kind]]
            stats = runs[kind][-1]["stats"]
            note = (f" (messages {stats.get('notify_messages', 0):,}, delivered "
                    f"{stats.get('notify_delivered', 0):,})" if stats else "")  # fmt: skip
            spread = cpu_spread = ""
            if kind != "base":
                spread = f" ({min(wall) * 100:+.1f}..{max(wall) * 100:+.1f})"
                cpu_spread = f" ({min(cpu) * 100:+.1f}..{max(cpu) * 100:+.1f})"
            print(f"| {mix} | {alerts:,} (1 per {args.lines // max(alerts, 1)} lines) | "
                  f"{kind}{note} | {statistics.median(rates):,.0f} | "
                  f"{statistics.median(wall) * 100:+.1f}%{spread} | "
                  f"{statistics.median(cpu) * 100:+.1f}%{cpu_spread} | "
                  f"{min(loads):.1f}-{max(loads):.1f} | "
                  f"{max(r['kib'] for r in runs[kind]) / 1024:.1f} MiB |")  # fmt: skip
            if kind != "base":
                pooled = [d for r in runs[kind] for d in r["submit_us"]]
                closes = max(r["close"] for r in runs[kind])
                share = statistics.median(r["submit_cpu"] / r["cpu"] for r in runs[kind])
                waits = statistics.median(r["waits"] for r in runs[kind])
                base_waits = statistics.median(r["waits"] for r in runs["base"])
                latencies.append(f"- {mix}, {kind}: submit {_distribution(pooled)}; CPU in "
                                 f"submit {share * 100:.1f}% of the program's; program "
                                 f"blocked {waits:.0f} times per run (base {base_waits:.0f}); "
                                 f"close() at most {closes:.2f} s; load {min(loads):.1f}-"
                                 f"{max(loads):.1f}")  # fmt: skip
    print("\nsubmit inside the runs (every alert of every run of the kind, pooled):")
    print("\n".join(latencies))
    durations, blocked, rate, closing, load = _submit_and_delivery(port, args.alerts, stopped=False)
    print(f"\nsubmit alone, one critical alert per call, sender running: "
          f"{_distribution(durations)}, {blocked} blocked; load {load:.2f}")  # fmt: skip
    print(f"delivery to a local webhook: {args.alerts:,} critical alerts, {rate:,.0f} "
          f"messages/s; close() {closing:.2f} s")  # fmt: skip
    durations, blocked, _, closing, load = _submit_and_delivery(port, args.alerts * 5, stopped=True)
    print(f"submit alone, sender stopped (SIGSTOP) inside a locked transaction: "
          f"{_distribution(durations)}, {blocked} blocked; close() {closing:.2f} s; "
          f"load {load:.2f}")  # fmt: skip
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
