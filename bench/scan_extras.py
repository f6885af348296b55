"""The scan benchmark's untimed extras: a cProfile of ``lwsyslog scan`` and detection coverage.

Kept apart from ``bench_scan.py`` (which imports them) so that the timing script stays short.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from scan_runs import measure, prefix

__all__ = ["coverage", "profile_scan"]

_PROFILE_LINES = 100_000
_PROFILE_TOP = 25


# --------------------------------------------------------------------------------------------
# Profile
# --------------------------------------------------------------------------------------------

_PROFILE_SNIPPET = """
import cProfile, io, os, pstats, sys
from lwsyslog.cli.main import main
sys.stdout = open(os.devnull, "w")
prof = cProfile.Profile()
try:
    prof.runcall(main, ["scan", "--json", sys.argv[1]])
except SystemExit:
    pass
buf = io.StringIO()
pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(int(sys.argv[2]))
sys.__stderr__.write(buf.getvalue())
"""


def profile_scan(exe: Path, log: Path, workdir: Path, cpu: int | None) -> str:
    """cProfile of ``lwsyslog scan --json`` on the first 100k lines, top entries by cumtime."""
    python = exe.parent / "python"
    sample = prefix(log, _PROFILE_LINES, workdir)
    run = measure(
        [str(python), "-c", _PROFILE_SNIPPET, str(sample), str(_PROFILE_TOP)],
        workdir,
        "profile",
        cpu,
        keep_stdout=False,
    )
    text = run.stderr.read_text(errors="replace")
    start = text.find("function calls")
    start = text.rfind("\n", 0, start) + 1 if start >= 0 else -1
    return text[start:] if start >= 0 else text


# --------------------------------------------------------------------------------------------
# Detection coverage (untimed)
# --------------------------------------------------------------------------------------------


def coverage(json_out: Path, labels: Path, lines: int) -> list[str]:
    """Markdown rows: per generated attack kind, how many lines ``scan --json`` flagged by a rule.

    Also counts benign lines that a rule flagged (candidate false positives) and alerts per rule.
    A finding whose ``categories`` is empty was urgent by triage alone and is not a rule hit.
    """
    truth: dict[int, str] = {}
    with labels.open(encoding="ascii") as fh:
        for row in fh:
            label_line, label_kind = row.rstrip("\n").split("\t")
            truth[int(label_line)] = label_kind
    hit: dict[int, list[str]] = {}
    triage_only = 0
    alerts: Counter[str] = Counter()
    with json_out.open(encoding="utf-8", errors="replace") as fh:
        for row in fh:
            try:
                record = json.loads(row)
            except ValueError:
                continue
            if record.get("kind") == "alert":
                alerts[str(record.get("rule"))] += 1
            elif record.get("kind") == "finding":
                if record.get("categories"):
                    hit[int(record["line"])] = list(record["categories"])
                else:
                    triage_only += 1
    per_kind: Counter[str] = Counter(truth.values())
    caught: Counter[str] = Counter()
    seen: dict[str, Counter[str]] = {}
    for number, kind in truth.items():
        if number in hit:
            caught[kind] += 1
            seen.setdefault(kind, Counter()).update(hit[number])
    benign_hits = Counter(c for n, cats in hit.items() if n not in truth for c in cats)
    benign_lines = sum(1 for n in hit if n not in truth)
    rows = [
        "| generated kind | lines | flagged by a rule | categories seen (lines) |",
        "|---|---:|---:|---|",
    ]
    for kind, total in sorted(per_kind.items(), key=lambda kv: (-kv[1], kv[0])):
        cats = ", ".join(f"{c} {n}" for c, n in seen.get(kind, Counter()).most_common(4))
        rows.append(f"| {kind} | {total:,} | {100 * caught[kind] / total:.0f}% | {cats or '-'} |")
    benign_total = lines - len(truth)
    rows.append(
        f"| benign | {benign_total:,} | {benign_lines:,} "
        f"({100 * benign_lines / max(benign_total, 1):.2f}%) | "
        + (", ".join(f"{c} {n}" for c, n in benign_hits.most_common(5)) or "-")
        + " |"
    )
    rows += [
        "",
        f"Findings urgent by triage alone (no rule): {triage_only:,}. Alerts by rule: "
        + (", ".join(f"{r} {n}" for r, n in alerts.most_common()) or "none")
        + ".",
    ]
    return rows
