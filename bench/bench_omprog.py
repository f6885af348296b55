"""Per-line cost of the omprog program's work, in process, stage by stage.

The chain benchmark (bench_chain.py) shows what rsyslog and the program reach together; this one
shows where the program's own time goes, without rsyslog, pipes or wake-ups. The scan
benchmark's realistic traffic (bench/gen_access_log.py, seed 1, ~1% attacks) is wrapped into
the JSON envelopes the server's ``lwsyslog_json`` template sends, then each stage runs in a
child process of its own (so each gets its own peak RSS), pinned to one CPU:

- ``baseline``: ``json.loads`` of each envelope, nothing else: the least any consumer of the
  template does;
- ``envelope``: :func:`lwsyslog.omprog.envelope.decode_envelope`;
- ``parse``: the envelope, then the line parser (the access/error formats);
- ``detect``: the same, then every rule (the detector's prefilters and matches);
- ``full``: ``OmprogProgram.handle``: envelope, parse, rules, thresholds, alerts to a messages
  file (journald off), the replay guard: everything but the protocol I/O.

    .venv/bin/python bench/bench_omprog.py                  # 200,000 lines, 3 runs per stage
    .venv/bin/python bench/bench_omprog.py --lines 50000 --repeat 1
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_access_log

STAGES = ("baseline", "envelope", "parse", "detect", "full")


def _envelopes(count: int) -> list[bytes]:
    buffer = io.StringIO()
    gen_access_log.write_log(buffer, count, seed=1)
    head = {
        "host": "web1",
        "tag": "apache-access:",
        "program": "apache-access",
        "time": "2026-03-01T10:00:00.000000+00:00",
        "facility": "local6",
        "severity": "info",
    }
    return [
        json.dumps({**head, "msg": line}, separators=(",", ":")).encode()
        for line in buffer.getvalue().splitlines()
    ]


def _stage_function(stage: str, workdir: Path) -> Callable[[bytes], object]:
    from lwsyslog.config import load_config  # noqa: PLC0415  (timed children import lazily)
    from lwsyslog.events import Origin, Unparsed  # noqa: PLC0415
    from lwsyslog.normalize import EventView  # noqa: PLC0415
    from lwsyslog.omprog.diagnostics import Diagnostics  # noqa: PLC0415
    from lwsyslog.omprog.envelope import Envelope, decode_envelope  # noqa: PLC0415
    from lwsyslog.omprog.options import Options  # noqa: PLC0415
    from lwsyslog.omprog.program import OmprogProgram  # noqa: PLC0415
    from lwsyslog.pipeline import Pipeline  # noqa: PLC0415

    if stage == "baseline":
        return json.loads
    if stage == "envelope":
        return decode_envelope
    if stage in ("parse", "detect"):
        pipeline = Pipeline(load_config([]))
        parse = pipeline.parser.parse
        detect = pipeline.detection.detect if stage == "detect" else None
        origin = Origin("web1/apache-access", 1)

        def envelope_and_parse(line: bytes) -> object:
            envelope = decode_envelope(line)
            if not isinstance(envelope, Envelope):
                return None
            event = parse(envelope.msg, origin)
            if detect is None or isinstance(event, Unparsed):
                return event
            return detect(event, EventView(event))

        return envelope_and_parse
    options = Options(
        state_dir=workdir / "state", journald=False, messages_file=str(workdir / "messages")
    )
    return OmprogProgram(options, Diagnostics(stream=sys.stderr)).handle


def _child(stage: str, source: Path) -> int:
    count = 0
    with tempfile.TemporaryDirectory(prefix="lwsyslog-bench-omprog-") as tmp:
        run = _stage_function(stage, Path(tmp))
        # Streamed from the file, as the program reads its pipe: the peak RSS is the stage's.
        with source.open("rb") as lines:
            start = time.perf_counter()
            for line in lines:
                run(line[:-1])
                count += 1
            seconds = time.perf_counter() - start
    peak_kib = _peak_rss_kib()
    result = {"stage": stage, "lines": count, "seconds": seconds, "kib": peak_kib}
    print(json.dumps(result))
    return 0


def _peak_rss_kib() -> int:
    """This process's own peak RSS (``VmHWM``); ``ru_maxrss`` would carry the parent's over
    the exec that started it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _measure(stage: str, source: Path, cpu: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", stage, "--source", str(source)]
    if cpu >= 0:
        command = ["taskset", "-c", str(cpu), *command]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per stage; fastest counts")
    parser.add_argument("--cpu", type=int, default=1, help="pin children to this CPU (-1: no)")
    parser.add_argument("--child", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.repeat = max(args.repeat, 1)
    if args.child:
        return _child(args.child, args.source)
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, Python "
          f"{sys.version.split()[0]}, {args.lines:,} realistic lines, fastest of "
          f"{args.repeat}, pinned to CPU {args.cpu}\n")  # fmt: skip
    print("| stage | lines/s | us per line | vs baseline | peak RSS |")
    print("|---|---:|---:|---:|---:|")
    baseline = None
    with tempfile.NamedTemporaryFile(prefix="lwsyslog-envelopes-", suffix=".jsonl") as source:
        source.write(b"".join(line + b"\n" for line in _envelopes(args.lines)))
        source.flush()
        results = [
            min(
                (_measure(stage, Path(source.name), args.cpu) for _ in range(args.repeat)),
                key=lambda r: r["seconds"],
            )
            for stage in STAGES
        ]
    for stage, best in zip(STAGES, results, strict=True):
        per_line = best["seconds"] / best["lines"] * 1e6
        baseline = baseline or per_line
        print(f"| {stage} | {best['lines'] / best['seconds']:,.0f} | {per_line:.2f} "
              f"| {per_line / baseline:.1f}x | {best['kib'] / 1024:.1f} MiB |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
