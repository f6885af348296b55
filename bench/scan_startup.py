"""The scan benchmark's start-up section: what ``lwsyslog scan`` costs before its lines do.

``lwsyslog scan --json`` on a one-line file is almost all start-up: interpreter, imports,
configuration, rule loading and the matching databases its first line needs. Each row runs
``--startup-runs`` times, rows alternating, each run its own child pinned like the main rows;
the table gives the median and the least of CPU and wall time, beside ``baseline_regex.py`` on
the same file (the interpreter's own start-up and one regex). The scan runs twice: with an empty
cache directory (``XDG_CACHE_HOME`` a fresh directory each run: the first scan on a machine)
and with the cache directory of an earlier run (every later scan).
"""

from __future__ import annotations

import shutil
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

from scan_runs import Run, measure

__all__ = ["StartupRow", "kept_cache", "startup_section", "startup_share"]


@dataclass(slots=True)
class StartupRow:
    """One row of the start-up table: a command and its runs."""

    name: str
    argv: list[str]
    #: ``"fresh"``: an empty ``XDG_CACHE_HOME`` per run; ``"kept"``: one primed directory;
    #: ``""``: the environment as it is (the baseline).
    cache: str = ""
    runs: list[Run] = field(default_factory=list)

    def median_cpu(self) -> float:
        """Median CPU seconds (user + system) over the runs."""
        return statistics.median(run.cpu for run in self.runs)

    def median_wall(self) -> float:
        """Median wall seconds over the runs."""
        return statistics.median(run.wall for run in self.runs)


def kept_cache(workdir: Path) -> Path:
    """The ``XDG_CACHE_HOME`` the start-up section primes and the main rows use: the cache of
    a machine that has scanned before, kept inside the benchmark's workdir (never the user's)."""
    return workdir / "startup-cache" / "kept"


def _env(row: StartupRow, workdir: Path, attempt: int) -> dict[str, str]:
    if row.cache == "fresh":
        fresh = workdir / "startup-cache" / f"fresh-{attempt}"
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir(parents=True)
        return {"XDG_CACHE_HOME": str(fresh)}
    if row.cache == "kept":
        return {"XDG_CACHE_HOME": str(kept_cache(workdir))}
    return {}


def startup_section(
    python: str,
    exe: Path,
    log: Path,
    workdir: Path,
    *,
    cpu: int | None,
    runs: int,
    sigma_config: Path | None = None,
) -> tuple[list[str], StartupRow]:
    """Markdown lines of the start-up table, and the scan row whose cache was kept (the start-up
    of every scan but a machine's first). With ``sigma_config`` (a config loading Sigma rules)
    a row (e) times the same scan with those rules, cache kept."""
    scan = [str(exe), "scan", "--no-system-config", "--json", str(log)]
    kept_row = StartupRow("(c) lwsyslog scan --json, cache directory of an earlier run", scan,
                          "kept")  # fmt: skip
    rows = [
        StartupRow("(a) baseline regex", [python, str(Path(__file__).with_name(
            "baseline_regex.py")), str(log)]),
        StartupRow("(c) lwsyslog scan --json, empty cache directory", scan, "fresh"),
        kept_row,
    ]  # fmt: skip
    if sigma_config is not None:
        with_sigma = [*scan[:-1], "--config", str(sigma_config), str(log)]
        rows.append(StartupRow("(e) lwsyslog scan --json with the Sigma rules, cache directory "
                               "of an earlier run", with_sigma, "kept"))  # fmt: skip
    kept = kept_cache(workdir)
    shutil.rmtree(kept, ignore_errors=True)
    kept.mkdir(parents=True)
    for row in rows:
        if row.cache != "kept":
            continue
        primed = measure(row.argv, workdir, "startup-prime", cpu, False, extra_env={
            "XDG_CACHE_HOME": str(kept)})  # fmt: skip
        if primed.returncode != 0:
            return [f"- start-up: skipped, the priming scan exited {primed.returncode}."], kept_row
    for attempt in range(runs):
        for number, row in enumerate(rows):
            run = measure(row.argv, workdir, f"startup-{number}-{attempt}", cpu, False,
                          extra_env=_env(row, workdir, attempt))  # fmt: skip
            row.runs.append(run)
        print(f"start-up {attempt + 1}/{runs}: "
              + ", ".join(f"{r.runs[-1].cpu:.3f}s CPU" for r in rows), file=sys.stderr)  # fmt: skip
    base = rows[0]
    lines = [
        "| tool (one-line file) | CPU s median | CPU s least | wall s median | wall s least "
        "| CPU vs (a) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        failed = next((r.returncode for r in row.runs if r.returncode != 0), 0)
        mark = f" (exit {failed})" if failed else ""
        lines.append(
            f"| {row.name}{mark} | {row.median_cpu():.3f} | {min(r.cpu for r in row.runs):.3f} "
            f"| {row.median_wall():.3f} | {min(r.wall for r in row.runs):.3f} "
            f"| {row.median_cpu() / base.median_cpu():.1f}x |"
        )
    return lines, kept_row


def startup_share(startup: StartupRow, scan_cpu: float, lines: int) -> str:
    """One sentence: the share of a scan's CPU time that its start-up is."""
    if not startup.runs or scan_cpu <= 0:
        return ""
    share = startup.median_cpu() / scan_cpu
    return (f"- start-up (median CPU, cache kept) is {share:.0%} of (c)'s {scan_cpu:.2f} CPU s "
            f"on the {lines:,}-line file.")  # fmt: skip
