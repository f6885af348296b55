#!/usr/bin/env python3
"""What ``webshell-planted-fetch`` costs: on ordinary traffic, armed or not, and on hostile lines.

Each measurement has its baseline measured in the same run:

1. **Lines/s of the pipeline** (built-in defaults, no sinks, the lines in memory) on a log
   ``bench/gen_access_log.py`` writes (default profile): the rule *off*
   (``[rules.webshell-planted-fetch] enabled = false``, the baseline) and *on* over the log as
   written (no line plants a name: the rule only sees lines with findings), then both over the
   same log *armed throughout*: a Tomcat JSP ``PUT`` (which plants a name) from a client of its
   own every 5,000 lines, so every line is shown to the rule. Runs alternate after one
   uncounted warm-up of each; the best of ``--repeat`` (CPU time) counts. Peak memory: the process's
   peak RSS after all runs.
2. **The rule's own time on hostile lines** of a client that has planted a name: each seed
   repeated to 8 KB and 64 KB, as a ``POST`` query value (what a planting line is read for)
   and as a later ``GET`` path (what a follow-up is read for), best of 5; the baseline is the
   same for an ordinary name (``a`` repeated). Linear means 64 KB costs about 8 times 8 KB.
3. **The rule's memory**, by tracemalloc, after ``--clients`` clients each planted names of
   200 characters in one ``POST`` of 40 values: bounded by its table (4,096 clients of 4
   digests), whatever the names.

    .venv/bin/python bench/bench_planted.py
    .venv/bin/python bench/bench_planted.py --lines 50000 --repeat 2   # quicker

Prints Markdown tables and writes them to ``bench/out/planted.md``.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from detection.engine import new_pipeline

from lwsyslog.events import AccessEvent, Origin
from lwsyslog.findings import Finding
from lwsyslog.rules.planted import PLANTED_FETCH, PlantedScripts
from lwsyslog.severity import Severity

HERE = Path(__file__).resolve().parent
OFF = f"[rules.{PLANTED_FETCH}]\nenabled = false\n"
ARM_EVERY = 5000
SEEDS = ("a", "%2F", "/", "%", "%2", "%u002f", "%e0%80%af", "\\", "&f=x.jsp", "%00", "::$DATA")
ATTACKER = "198.51.100.1"


def _log(lines: int, directory: Path) -> list[str]:
    path = directory / "planted-bench.log"
    subprocess.run(
        [sys.executable, str(HERE / "gen_access_log.py"), "--lines", str(lines), "-q", str(path)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return path.read_text(encoding="utf-8").splitlines()


def _armed(lines: list[str]) -> list[str]:
    """``lines`` with a planting line (a Tomcat JSP PUT) every ARM_EVERY lines, at its time."""
    out: list[str] = []
    for number, text in enumerate(lines):
        if number % ARM_EVERY == 0:
            stamp = text[text.index("[") : text.index("]") + 1]
            client = f"198.51.100.{number // ARM_EVERY % 250 + 1}"
            out.append(f'{client} - - {stamp} "PUT /a{number}.jsp/ HTTP/1.1" 201 0 "-" "curl/8"')
        out.append(text)
    return out


def _lines_per_sec(lines: list[str], config: str) -> float:
    pipeline = new_pipeline(config)
    process = pipeline.process
    start = time.process_time()
    for number, text in enumerate(lines, 1):
        process(text, Origin("bench", number))
    return len(lines) / (time.process_time() - start)


def _throughput(lines: list[str], repeat: int) -> list[str]:
    armed = _armed(lines)
    runs = {
        ("off (baseline)", "as written"): (lines, OFF),
        ("on", "as written"): (lines, ""),
        ("off (baseline)", "armed throughout"): (armed, OFF),
        ("on", "armed throughout"): (armed, ""),
    }
    best = dict.fromkeys(runs, 0.0)
    for log, config in runs.values():  # warm-up, not counted: imports, caches, the allocator
        _lines_per_sec(log[:ARM_EVERY], config)
    for _ in range(repeat):
        for key, (log, config) in runs.items():
            best[key] = max(best[key], _lines_per_sec(log, config))
    rows = [
        "| rule | log | lines | lines per CPU second (best) | against the rule off |",
        "|---|---|---:|---:|---:|",
    ]
    for (state, log_name), rate in best.items():
        baseline = best[("off (baseline)", log_name)]
        rows.append(
            f"| {state} | {log_name} | {len(runs[(state, log_name)][0]):,} | {rate:,.0f} | "
            f"{100.0 * (rate / baseline - 1):+.1f}% |"
        )
    own = _armed_own_time(lines, repeat)
    line_us = 1e6 / best[("off (baseline)", "as written")]
    rows.append(
        f"\nThe rule's own time on an ordinary line while armed (another client's: one table "
        f"lookup), timed alone: {own:.2f} us, {100.0 * own / line_us:.1f}% of a line's "
        f"{line_us:.1f} us with the rule off."
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append(f"\nPeak RSS of the process after every run: {peak:.0f} MiB.")
    return rows


def _armed_own_time(lines: list[str], repeat: int) -> float:
    """Best of ``repeat``: CPU microseconds per ordinary line in an armed rule's observe."""
    parser = new_pipeline(OFF).parser
    events = [parser.parse(text, Origin("bench", n)) for n, text in enumerate(lines, 1)]
    accesses = [event for event in events if isinstance(event, AccessEvent)]
    planted = PlantedScripts(window_secs=1e12)
    put = AccessEvent(Origin("b", 1), "", ATTACKER, 0.0, "PUT", "/x.jsp/")
    planted.observe(put, [_attack(put)])
    observe = planted.observe
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for event in accesses:
            observe(event, [])
        best = min(best, time.process_time() - start)
    return 1e6 * best / len(accesses)


def _attack(event: AccessEvent) -> Finding:
    return Finding(
        "exploit-tomcat-jsp-put", ("known-exploit",), Severity.CRITICAL, event.client_ip,
        event.origin, "access", event.time, "path", ".jsp/", ("CVE-2017-12615",),
    )  # fmt: skip


def _own_time(method: str, target: str, *, plants: bool) -> float:
    """Best of 5: the rule's time on one line of a client that planted a name before."""
    best = float("inf")
    for _ in range(5):
        planted = PlantedScripts()
        put = AccessEvent(Origin("b", 1), "", ATTACKER, 1e9, "PUT", "/x.jsp/")
        planted.observe(put, [_attack(put)])
        event = AccessEvent(Origin("b", 2), "", ATTACKER, 1e9 + 1, method, target)
        findings = [_attack(event)] if plants else []
        start = time.perf_counter()
        planted.observe(event, findings)
        best = min(best, time.perf_counter() - start)
    return best * 1e6


def _hostile() -> list[str]:
    rows = [
        "| seed | plant, 8 KB (us) | plant, 64 KB | follow-up, 8 KB | follow-up, 64 KB | "
        "worst 8 KB against the ordinary name | 64 KB / 8 KB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    base: tuple[float, float] | None = None
    for seed in SEEDS:
        times = []
        for size in (8192, 65536):
            body = (seed * (size // len(seed) + 1))[:size]
            times.append(_own_time("POST", f"/upload?f={body}", plants=True))
            times.append(_own_time("GET", f"/{body}", plants=False))
        plant8, follow8, plant64, follow64 = times
        if base is None:
            base = (plant8, follow8)
        ratio = max(plant8 / base[0], follow8 / base[1])
        growth = max(plant64 / plant8, follow64 / follow8)
        rows.append(
            f"| `{seed}` | {plant8:.1f} | {plant64:.1f} | {follow8:.1f} | {follow64:.1f} | "
            f"{ratio:.1f}x | {growth:.1f}x |"
        )
    return rows


def _memory(clients: int) -> list[str]:
    planted = PlantedScripts()
    tracemalloc.start()
    for n in range(clients):
        client = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        query = "&".join(f"f{k}=../{'q' * 200}{n}_{k}.jsp" for k in range(40))
        event = AccessEvent(Origin("b", n), "", client, 1e9 + n / 100, "POST", f"/u?{query}")
        planted.observe(event, [_attack(event)])
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return [
        f"{clients:,} planting clients: {len(planted):,} remembered, {planted.evictions:,} "
        f"forgotten; the table holds {current / 1024:.0f} KiB (peak {peak / 1024:.0f} KiB "
        "while planting).",
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the three measurements, print them and write ``bench/out/planted.md``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--clients", type=int, default=50_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lwsyslog-planted-") as directory:
        lines = _log(args.lines, Path(directory))
    report = [
        "## webshell-planted-fetch on ordinary traffic",
        "",
        *_throughput(lines, args.repeat),
        "",
        "## The rule's own time on hostile lines of a planting client",
        "",
        *_hostile(),
        "",
        "## The rule's memory",
        "",
        *_memory(args.clients),
    ]
    text = "\n".join(report) + "\n"
    print(text)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "planted.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
