"""What notifications cost the omprog program: per alert, per line, in memory; and delivery.

Each measured run is a child process pinned to one CPU (its own peak RSS, ``VmHWM``) that
decodes N JSON envelopes and runs them through a :class:`~lwsyslog.pipeline.Pipeline` whose
sinks are a messages file, plus, in the ``notify`` runs, a :class:`Notifier` with a webhook
channel to a receiver in this (parent) process. Its sender process (router, couriers) either
runs on any CPU (``notify-apart``, as in production) or shares the pinned CPU
(``notify-shared``, the worst case: every message it renders and sends takes time from the
lines). The three kinds alternate, R times each; the fastest of each is compared (same
machine, same run). Timing starts once the sender has started.

Two traffic mixes: ``realistic`` (bench/gen_access_log.py, seed 1, about 1% attack lines; the
default rules make about one alert per 300 lines) and ``attack-heavy`` (every 20th line a SQL
injection from a new client: one alert per 20 lines, far above a real attack).

Then ``submit`` alone (per alert, median and p99, sender running), and the delivery
throughput to the local webhook (critical alerts, one message each).

    .venv/bin/python bench/bench_notify.py                       # 100,000 lines, 3 runs each
    .venv/bin/python bench/bench_notify.py --lines 30000 --repeat 1
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
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
    from lwsyslog.notify import parse_notify_settings  # noqa: PLC0415

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


def _child(kind: str, source: Path, port: int, cpu: int) -> int:
    from lwsyslog.config import load_config  # noqa: PLC0415
    from lwsyslog.events import Origin  # noqa: PLC0415
    from lwsyslog.notify import Notifier  # noqa: PLC0415
    from lwsyslog.omprog.envelope import Envelope, decode_envelope  # noqa: PLC0415
    from lwsyslog.pipeline import Pipeline  # noqa: PLC0415
    from lwsyslog.sinks import MessagesFileSink  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="lwsyslog-bench-notify-") as tmp:
        sinks: list[Any] = [MessagesFileSink(str(Path(tmp) / "messages"))]
        notifier = None
        if kind != "base":
            notifier = Notifier(_settings(port), Path(tmp) / "outbox.db")
            sinks.append(notifier)
            time.sleep(1.5)  # the sender process has started and imported what it needs
            if kind == "notify-apart":
                # As in production: the program runs where it runs, the sender on another core.
                os.sched_setaffinity(0, {cpu})
        pipeline = Pipeline(load_config([]), sinks=sinks)
        count = alerts = 0
        with source.open("rb") as lines:
            start = time.perf_counter()
            for number, line in enumerate(lines, start=1):
                envelope = decode_envelope(line[:-1])
                if isinstance(envelope, Envelope):
                    origin = Origin("web1/apache-access", number, envelope.host, envelope.tag)
                    alerts += len(pipeline.process(envelope.msg, origin).alerts)
                count += 1
            seconds = time.perf_counter() - start
        extra = notifier.stats_fields() if notifier is not None else {}
        if notifier is not None:
            notifier.close()
        pipeline.close()
    print(json.dumps({"kind": kind, "lines": count, "alerts": alerts, "seconds": seconds,
                      "kib": _peak_rss_kib(), "stats": extra}))  # fmt: skip
    return 0


def _measure(kind: str, source: Path, port: int, cpu: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", kind, "--source", str(source),
               "--port", str(port)]  # fmt: skip
    if kind == "notify-apart":
        command += ["--cpu", str(cpu)]  # the child pins itself once the sender has started
    elif cpu >= 0:
        command = ["taskset", "-c", str(cpu), *command]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _submit_and_delivery(port: int, count: int) -> tuple[float, float, float]:
    """(median µs, p99 µs) of submit per alert with the threads running; messages/s."""
    from lwsyslog.notify import Notifier  # noqa: PLC0415
    from lwsyslog.severity import Severity  # noqa: PLC0415
    from tests.notify.servers import make_alert  # noqa: PLC0415

    alerts = [make_alert(n, severity=Severity.CRITICAL, client=f"10.9.{n // 250}.{n % 250}")
              for n in range(count)]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="lwsyslog-bench-notify-") as tmp:
        # No storm summary here: every critical alert is a message of its own.
        notifier = Notifier(_settings(port, storm_clients=0), Path(tmp) / "outbox.db")
        before = _Sink.received
        durations = []
        start = time.perf_counter()
        for alert in alerts:
            began = time.perf_counter()
            notifier.submit([alert])
            durations.append(time.perf_counter() - began)
        while _Sink.received - before < count and time.perf_counter() - start < 120:
            time.sleep(0.01)
        elapsed = time.perf_counter() - start
        delivered = _Sink.received - before
        notifier.close()
    durations.sort()
    median = statistics.median(durations) * 1e6
    p99 = durations[int(len(durations) * 0.99)] * 1e6
    return median, p99, delivered / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per kind; fastest counts")
    parser.add_argument("--cpu", type=int, default=1, help="pin children to this CPU (-1: no)")
    parser.add_argument("--alerts", type=int, default=2000, help="alerts for submit/delivery")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args.child, args.source, args.port, args.cpu)
    server = _receiver()
    port = server.server_address[1]
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, Python "
          f"{sys.version.split()[0]}, {args.lines:,} lines per run, fastest of {args.repeat}, "
          f"pinned to CPU {args.cpu}, load {os.getloadavg()[0]:.2f}\n")  # fmt: skip
    print("| mix | alerts | run | lines/s | cost vs base | peak RSS (program) |")
    print("|---|---:|---|---:|---:|---:|")
    for mix in MIXES:
        with tempfile.NamedTemporaryFile(prefix="lwsyslog-envelopes-", suffix=".jsonl") as src:
            src.write(_envelopes(mix, args.lines))
            src.flush()
            runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
            for _ in range(max(args.repeat, 1)):
                for kind in KINDS:
                    runs[kind].append(_measure(kind, Path(src.name), port, args.cpu))
        best = {kind: min(runs[kind], key=lambda r: r["seconds"]) for kind in KINDS}
        base_rate = best["base"]["lines"] / best["base"]["seconds"]
        alerts = best["base"]["alerts"]
        for kind in KINDS:
            run = best[kind]
            rate = run["lines"] / run["seconds"]
            stats = run["stats"]
            note = (f" (messages {stats.get('notify_messages', 0):,}, delivered "
                    f"{stats.get('notify_delivered', 0):,})" if stats else "")  # fmt: skip
            print(f"| {mix} | {alerts:,} (1 per {run['lines'] // max(alerts, 1)} lines) | "
                  f"{kind}{note} | {rate:,.0f} | {(base_rate / rate - 1) * 100:+.1f}% | "
                  f"{run['kib'] / 1024:.1f} MiB |")  # fmt: skip
    median, p99, rate = _submit_and_delivery(port, args.alerts)
    print(f"\nsubmit (one alert, sender running): median {median:.1f} us, p99 {p99:.1f} us")
    print(f"delivery to a local webhook: {args.alerts:,} critical alerts, {rate:,.0f} messages/s")
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
