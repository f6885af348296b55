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

With ``--base DIR`` (default ``/work/wt-base`` when it exists: a checkout of the code before the
restructure of issue 8, commit d12edeb) the ``full`` stage also runs on that code (its
``lwsyslog`` first on ``PYTHONPATH``, from a cwd of ``/tmp``), alternating with this checkout's,
and the table says how this checkout's program compares (issue 8: no more than 5% slower).
Both programs read the built-in defaults only (an empty ``--config`` file), never
``/etc/lwsyslog``. Times are CPU seconds of the stage's loop (the machine may be shared),
after the first 2,000 lines (what a program builds once, at start or at its first use, is
not a cost per line).

    .venv/bin/python bench/bench_omprog.py                  # 200,000 lines, 3 runs per stage
    .venv/bin/python bench/bench_omprog.py --lines 50000 --repeat 1
    .venv/bin/python bench/bench_omprog.py --base /path/to/old/checkout --stages full
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_access_log

STAGES = ("baseline", "envelope", "parse", "detect", "full")
#: Lines each stage runs before the timing starts.
WARM_UP_LINES = 2_000


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
    if stage == "baseline":
        return json.loads
    if stage == "full":
        return _program(workdir).handle
    from lwsyslog.config import load_config  # noqa: PLC0415  (timed children import lazily)
    from lwsyslog.events import Origin, Unparsed  # noqa: PLC0415
    from lwsyslog.normalize import EventView  # noqa: PLC0415
    from lwsyslog.omprog.envelope import Envelope, decode_envelope  # noqa: PLC0415
    from lwsyslog.pipeline import Pipeline  # noqa: PLC0415

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
    raise ValueError(f"unknown stage {stage!r}")


def _program(workdir: Path) -> Any:
    """The omprog program of whichever checkout is imported (the layout before issue 8 kept
    it in ``lwsyslog.omprog_loop``), reading the built-in defaults only."""
    try:
        from lwsyslog.omprog.diagnostics import Diagnostics  # noqa: PLC0415
        from lwsyslog.omprog.options import Options  # noqa: PLC0415
        from lwsyslog.omprog.program import OmprogProgram  # noqa: PLC0415
    except ModuleNotFoundError:  # the checkout before issue 8's restructure
        from lwsyslog.diagnostics import Diagnostics  # type: ignore[import-not-found,no-redef]  # noqa: PLC0415
        from lwsyslog.omprog_loop import (  # type: ignore[import-not-found,no-redef]  # noqa: PLC0415
            OmprogProgram,
            Options,
        )
    defaults_only = workdir / "empty.toml"
    defaults_only.write_text("")
    settings: dict[str, Any] = {
        "config_files": (defaults_only,),
        "state_dir": workdir / "state",
        "journald": False,
        "messages_file": str(workdir / "messages"),
    }
    if "user" in {field.name for field in dataclasses.fields(Options)}:
        settings["user"] = "root"  # stay who we are: the bench's temporary files are ours
    return OmprogProgram(Options(**settings), Diagnostics(stream=sys.stderr))


def _child(stage: str, source: Path) -> int:
    count = 0
    with tempfile.TemporaryDirectory(prefix="lwsyslog-bench-omprog-") as tmp:
        run = _stage_function(stage, Path(tmp))
        # Streamed from the file, as the program reads its pipe: the peak RSS is the stage's.
        # The first lines are not timed: what a program builds once (a database compiled at
        # its first scan) is start-up, not a cost per line.
        with source.open("rb") as lines:
            for line in lines:
                run(line[:-1])
                count += 1
                if count == WARM_UP_LINES:
                    break
            start = time.perf_counter()
            cpu_start = time.process_time()
            for line in lines:
                run(line[:-1])
                count += 1
            cpu = time.process_time() - cpu_start
            seconds = time.perf_counter() - start
    peak_kib = _peak_rss_kib()
    timed = count - WARM_UP_LINES
    result = {"stage": stage, "lines": timed, "seconds": seconds, "cpu": cpu, "kib": peak_kib}
    print(json.dumps(result))
    return 0


def _peak_rss_kib() -> int:
    """This process's own peak RSS (``VmHWM``); ``ru_maxrss`` would carry the parent's over
    the exec that started it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _measure(stage: str, source: Path, cpu: int, base: Path | None = None) -> dict[str, float]:
    """One child run of ``stage``; with ``base``, on that checkout's code (from /tmp)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", stage]
    command += ["--source", str(source)]
    if cpu >= 0:
        command = ["taskset", "-c", str(cpu), *command]
    env = dict(os.environ)
    if base is not None:
        env["PYTHONPATH"] = str(base)
    cwd = "/tmp" if base is not None else None
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=env, cwd=cwd)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _where(base: Path | None) -> str:
    """Which ``lwsyslog`` a child of that checkout imports (a check that PYTHONPATH won)."""
    env = dict(os.environ)
    if base is not None:
        env["PYTHONPATH"] = str(base)
    probe = [sys.executable, "-c", "import lwsyslog, os; print(os.path.dirname(lwsyslog.__file__))"]
    return subprocess.run(
        probe, check=True, capture_output=True, text=True, env=env, cwd="/tmp"
    ).stdout.strip()


_DEFAULT_BASE = Path("/work/wt-base")


def main() -> int:
    """Run the stages (and the base checkout's program); print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per stage; fastest counts")
    parser.add_argument("--cpu", type=int, default=1, help="pin children to this CPU (-1: no)")
    parser.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES))
    parser.add_argument(
        "--base",
        type=Path,
        default=_DEFAULT_BASE if _DEFAULT_BASE.is_dir() else None,
        help="checkout whose program to compare with (default: /work/wt-base when present)",
    )
    parser.add_argument("--no-base", action="store_true", help="skip the base comparison")
    parser.add_argument("--child", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.repeat = max(args.repeat, 1)
    if args.child:
        return _child(args.child, args.source)
    base: Path | None = None if args.no_base else args.base
    load = os.getloadavg()
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, Python "
          f"{sys.version.split()[0]}, {args.lines:,} realistic lines, fastest of "
          f"{args.repeat} (by CPU time), pinned to CPU {args.cpu}, load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")  # fmt: skip
    with tempfile.NamedTemporaryFile(prefix="lwsyslog-envelopes-", suffix=".jsonl") as source:
        source.write(b"".join(line + b"\n" for line in _envelopes(args.lines)))
        source.flush()
        path = Path(source.name)
        results = {
            stage: min(
                (_measure(stage, path, args.cpu) for _ in range(args.repeat)),
                key=lambda r: r["cpu"],
            )
            for stage in args.stages
        }
        compared = _compare(path, base, args) if base is not None else None
    _stage_table(results)
    if compared is not None:
        _base_table(*compared, base)  # type: ignore[arg-type]
    return 0


def _compare(
    source: Path, base: Path, args: argparse.Namespace
) -> tuple[dict[str, float], dict[str, float]]:
    """The ``full`` stage of this checkout and of ``base``, alternately, fastest of each."""
    now: list[dict[str, float]] = []
    before: list[dict[str, float]] = []
    for _ in range(args.repeat):
        before.append(_measure("full", source, args.cpu, base))
        now.append(_measure("full", source, args.cpu))
    return min(now, key=lambda r: r["cpu"]), min(before, key=lambda r: r["cpu"])


def _stage_table(results: dict[str, dict[str, float]]) -> None:
    print("| stage | lines/s (wall) | us per line (CPU) | vs baseline | peak RSS |")
    print("|---|---:|---:|---:|---:|")
    baseline = None
    for stage, best in results.items():
        per_line = best["cpu"] / best["lines"] * 1e6
        baseline = baseline or per_line
        print(f"| {stage} | {best['lines'] / best['seconds']:,.0f} | {per_line:.2f} "
              f"| {per_line / baseline:.1f}x | {best['kib'] / 1024:.1f} MiB |")  # fmt: skip


def _base_table(now: dict[str, float], before: dict[str, float], base: Path) -> None:
    here, there = _where(None), _where(base)
    now_us = now["cpu"] / now["lines"] * 1e6
    base_us = before["cpu"] / before["lines"] * 1e6
    change = (now_us / base_us - 1) * 100
    print(
        f"\nThe omprog program (`full` stage), this checkout ({here}) against {there}, "
        "runs alternated:\n"
    )
    print("| program | us per line (CPU) | lines/s (wall) | peak RSS |")
    print("|---|---:|---:|---:|")
    for name, best in (("base", before), ("now", now)):
        rate = best["lines"] / best["seconds"]
        print(f"| {name} | {best['cpu'] / best['lines'] * 1e6:.2f} | {rate:,.0f} "
              f"| {best['kib'] / 1024:.1f} MiB |")  # fmt: skip
    verdict = "slower" if change > 0 else "faster"
    holds = "holds" if change <= 5 else "does NOT hold"
    print(
        f"\nnow is {abs(change):.1f}% {verdict} per line than base "
        f"(issue 8: at most 5% slower: {holds})"
    )


if __name__ == "__main__":
    sys.exit(main())
