"""Per-line cost of crawler verification ([crawlers] verify), against the same lines without it.

Three kinds of traffic, each run with verification off (the baseline) and on, alternately
(a change in the machine's load hits both), each run in a child process of its own (its own
peak RSS), pinned to one CPU:

- ``plain``: the scan benchmark's realistic traffic (bench/gen_access_log.py, seed 1) with
  every line whose User-Agent claims a catalog crawler left out: the cost for ordinary lines;
- ``mixed``: the same traffic as generated, about 5% of its lines claiming Googlebot, Bingbot,
  Yandex... from a few hundred addresses;
- ``flood``: every line claims Googlebot from an address never seen before (the worst case:
  an attacker rotating addresses; pending checks fill up, the rest are counted and dropped).

Each line goes through ``Pipeline.process_bytes`` (parse, rules, thresholds, alerts counted; no
sink) and then ``Pipeline.deliver_verdicts`` as the omprog program's tick does. The lookups
go to a dnsmasq the script starts on 127.0.0.1 (a free port; stopped at the end by its pid),
which answers every reverse question with NXDOMAIN: every claim is judged fake, so the
verdicts, cache and alerts all run. The generated addresses are documentation and benchmark
ranges, so verify_private is on for the "on" runs.

    .venv/bin/python bench/bench_crawlers.py                 # 200,000 lines, fastest of 5
    .venv/bin/python bench/bench_crawlers.py --lines 50000 --repeat 1
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_access_log

TRAFFIC = ("plain", "mixed", "flood")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def _lines(kind: str, count: int) -> list[str]:
    buffer = io.StringIO()
    gen_access_log.write_log(buffer, count, seed=1)
    lines = buffer.getvalue().splitlines()
    if kind == "mixed":
        return lines
    from lwsyslog.config import load_config  # noqa: PLC0415  (children import lazily)
    from lwsyslog.crawlers.catalog import Catalog  # noqa: PLC0415

    catalog = Catalog(load_config([]).crawlers.catalog)
    if kind == "plain":
        return [line for line in lines if catalog.claimed(line.rsplit('"', 2)[-2]) is None]
    return [
        f"45.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255} - - [01/Mar/2026:10:00:00 +0000] "
        f'"GET /page/{n} HTTP/1.1" 200 512 "-" "{GOOGLEBOT}"'
        for n in range(count)
    ]


def _config(workdir: Path, verify: bool, port: int) -> Path:
    path = workdir / "lwsyslog.toml"
    path.write_text(
        "[sinks.journald]\nenabled = false\n[sinks.messages_file]\nenabled = false\n"
        "[store]\nenabled = false\n"
        f'[crawlers]\nverify = {"true" if verify else "false"}\nresolver = "127.0.0.1:{port}"\n'
        "verify_private = true\n",
        encoding="utf-8",
    )
    return path


def _child(kind: str, verify: bool, source: Path, port: int) -> int:
    from lwsyslog.config import load_config  # noqa: PLC0415
    from lwsyslog.events import Origin  # noqa: PLC0415
    from lwsyslog.pipeline import Pipeline  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="lwsyslog-bench-crawlers-") as tmp:
        pipeline = Pipeline(load_config([_config(Path(tmp), verify, port)]))
        process = pipeline.process_bytes
        deliver = pipeline.deliver_verdicts
        count = 0
        with source.open("rb") as lines:
            start = time.perf_counter()
            for line in lines:
                count += 1
                process(line[:-1], Origin("bench", count))
                deliver()
            seconds = time.perf_counter() - start
        fields = pipeline.crawlers.stats_fields() if pipeline.crawlers else {}
        pipeline.close()
    result = {"lines": count, "seconds": seconds, "kib": _peak_rss_kib(), **fields}
    print(json.dumps(result))
    return 0


def _peak_rss_kib() -> int:
    """This process's own peak RSS (``VmHWM``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _measure(kind: str, verify: bool, source: Path, port: int, cpu: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", kind, "--source", str(source)]
    command += ["--port", str(port)] + (["--verify"] if verify else [])
    if cpu >= 0:
        command = ["taskset", "-c", str(cpu), *command]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def _start_dnsmasq(workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    """dnsmasq on 127.0.0.1 answering NXDOMAIN to every reverse question."""
    binary = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    conf = workdir / "dnsmasq.conf"
    conf.write_text(
        f"port={port}\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\n"
        "no-poll\nkeep-in-foreground\npid-file=\nlocal=/in-addr.arpa/\nlocal=/ip6.arpa/\n"
        + ("user=nobody\n" if os.geteuid() == 0 else ""),
        encoding="utf-8",
    )
    proc = subprocess.Popen([binary, f"--conf-file={conf}"], stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    if proc.poll() is not None:
        raise SystemExit("dnsmasq did not start (apt-get install dnsmasq-base)")
    return proc, port


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000, help="lines per traffic")
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        help="runs of each (off, on, alternating); the fastest counts",
    )
    parser.add_argument("--cpu", type=int, default=1, help="pin children to this CPU (-1: no)")
    parser.add_argument("--child", choices=TRAFFIC, help=argparse.SUPPRESS)
    parser.add_argument("--verify", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args.child, args.verify, args.source, args.port)
    repeat = max(args.repeat, 1)
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, Python "
          f"{sys.version.split()[0]}, up to {args.lines:,} lines per traffic, fastest of "
          f"{repeat}, pinned to CPU {args.cpu}\n")  # fmt: skip
    print("| traffic | lines | claims | verify | lines/s | us per line | vs off | peak RSS "
          "| lookups | pending | dropped | alerts |")  # fmt: skip
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="lwsyslog-bench-crawlers-") as tmp:
        dnsmasq, port = _start_dnsmasq(Path(tmp))
        try:
            for kind in TRAFFIC:
                source = Path(tmp) / f"{kind}.log"
                source.write_text("\n".join(_lines(kind, args.lines)) + "\n", encoding="utf-8")
                # Off and on alternate, so a change in the machine's load hits both alike.
                runs: dict[bool, list[dict[str, float]]] = {False: [], True: []}
                for _ in range(repeat):
                    for verify in (False, True):
                        runs[verify].append(_measure(kind, verify, source, port, args.cpu))
                baseline = 0.0
                for verify in (False, True):
                    best = min(runs[verify], key=lambda r: r["seconds"])
                    per_line = best["seconds"] / best["lines"] * 1e6
                    baseline = baseline or per_line
                    claims = f"{best['crawler_claims']:,}" if verify else "-"
                    counts = [
                        f"{best[key]:,}" if verify else "-"
                        for key in ("crawler_lookups", "crawler_pending", "crawler_dropped",
                                    "crawler_alerts")
                    ]  # fmt: skip
                    print(f"| {kind} | {best['lines']:,} | {claims} | {'on' if verify else 'off'} "
                          f"| {best['lines'] / best['seconds']:,.0f} | {per_line:.2f} "
                          f"| {per_line / baseline:.2f}x | {best['kib'] / 1024:.1f} MiB "
                          f"| {' | '.join(counts)} |")  # fmt: skip
        finally:
            dnsmasq.send_signal(signal.SIGTERM)
            dnsmasq.wait(5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
