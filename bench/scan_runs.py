"""How the scan benchmark runs a tool: one child per run, pinned, its CPU time and peak RSS.

A :class:`Tool` is one row of the table: one or more commands (fail2ban-regex takes one filter
per invocation, so its row is ten commands whose times add up and whose largest peak RSS is
the row's) run ``--repeat`` times.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import gen_access_log

__all__ = ["Run", "Tool", "measure", "prefix", "prepare_log"]


@dataclass(slots=True)
class Run:
    """What one run of a row cost (its commands together)."""

    wall: float
    cpu: float
    maxrss_kib: int
    returncode: int
    stdout: Path | None
    stderr: Path


@dataclass(slots=True)
class Tool:
    """One row of the table: commands and the lines they read."""

    name: str
    argvs: list[list[str]]
    lines: int
    keep_stdout: bool = False
    note: str = ""
    #: Environment variables set for this row's commands (PYTHONPATH of the pure-Python row).
    env: dict[str, str] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)
    #: Each command's stdout of the last run (when kept).
    outputs: list[Path] = field(default_factory=list)

    @property
    def best(self) -> Run:
        """The run with the least wall time (the one least disturbed by other load)."""
        return min(self.runs, key=lambda r: r.wall)

    @property
    def best_cpu(self) -> Run:
        """The run with the least CPU time (on a shared machine, the steadier figure)."""
        return min(self.runs, key=lambda r: r.cpu)

    def run_once(self, workdir: Path, tag: str, cpu: int | None) -> Run:
        """Run every command of the row once; their times add up, the largest RSS counts."""
        parts = [
            measure(argv, workdir, f"{tag}-{n}", cpu, self.keep_stdout, extra_env=self.env)
            for n, argv in enumerate(self.argvs)
        ]
        self.outputs = [p.stdout for p in parts if p.stdout is not None]
        failed = next((p.returncode for p in parts if p.returncode != 0), 0)
        run = Run(
            wall=sum(p.wall for p in parts),
            cpu=sum(p.cpu for p in parts),
            maxrss_kib=max(p.maxrss_kib for p in parts),
            returncode=failed,
            stdout=parts[0].stdout,
            stderr=parts[0].stderr,
        )
        self.runs.append(run)
        return run


def _pin(cpu: int | None) -> None:
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


def measure(
    argv: list[str],
    workdir: Path,
    tag: str,
    cpu: int | None,
    keep_stdout: bool,
    *,
    extra_env: dict[str, str] | None = None,
) -> Run:
    """Run ``argv`` once, pinned to ``cpu``; return wall time, CPU time and the child's peak RSS.

    stdout goes to /dev/null unless ``keep_stdout``; stderr always goes to a file in ``workdir``
    (a pipe could fill up while we block in ``wait4``).
    """
    out_path = workdir / f"{tag}.stdout" if keep_stdout else None
    err_path = workdir / f"{tag}.stderr"
    env = dict(os.environ, LC_ALL="C.UTF-8", PYTHONDONTWRITEBYTECODE="1", **(extra_env or {}))
    with (
        open(out_path or os.devnull, "wb") as out,
        err_path.open("wb") as err,
    ):
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            preexec_fn=lambda: _pin(cpu),  # noqa: PLW1509 (no threads in this process)
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux; wait4 reports the child's own peak (or its largest reaped
    # descendant's), never the sum of several processes.
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        maxrss_kib=usage.ru_maxrss,
        returncode=proc.returncode,
        stdout=out_path,
        stderr=err_path,
    )


def _generator_id() -> str:
    """Hash of the generator's source: a changed generator invalidates reused files."""
    return hashlib.sha256(Path(gen_access_log.__file__).read_bytes()).hexdigest()[:16]


def prepare_log(workdir: Path, lines: int, seed: int, profile: str) -> tuple[Path, Path, str]:
    """Return (log, labels, sha256) of one traffic profile, reusing a file made earlier by the
    same generator with the same arguments."""
    stem = f"access-{profile}-{lines}-s{seed}"
    log, labels, meta = (workdir / f"{stem}{ext}" for ext in (".log", ".labels.tsv", ".json"))
    want = {"lines": lines, "seed": seed, "profile": profile, "generator": _generator_id()}
    if log.exists() and labels.exists() and meta.exists():
        known = json.loads(meta.read_text())
        if all(known.get(k) == v for k, v in want.items()):
            digest = gen_access_log.file_sha256(log)
            if digest == known.get("sha256"):
                print(f"reusing {log} (sha256 {digest[:16]}...)", file=sys.stderr)
                return log, labels, digest
    print(f"generating {lines} {profile} lines into {log} ...", file=sys.stderr)
    started = time.perf_counter()
    with (
        log.open("w", encoding="ascii", newline="\n") as out,
        labels.open("w", encoding="ascii", newline="\n") as lab,
    ):
        gen_access_log.write_log(out, lines, seed, lab, profile)
    digest = gen_access_log.file_sha256(log)
    meta.write_text(json.dumps({**want, "sha256": digest}) + "\n")
    print(f"  done in {time.perf_counter() - started:.1f}s, sha256 {digest}", file=sys.stderr)
    return log, labels, digest


def prefix(log: Path, lines: int, workdir: Path) -> Path:
    """The first ``lines`` lines of ``log`` as their own file."""
    out = workdir / f"{log.stem}.first{lines}.log"
    with log.open("rb") as src, out.open("wb") as dst:
        for number, line in enumerate(src):
            if number >= lines:
                break
            dst.write(line)
    return out
