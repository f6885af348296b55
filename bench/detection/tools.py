"""Section 4: real attack tools run against a local Apache (``tests/fixtures/attack-tools``).

Each run's access and error log are interleaved by event time and go through one fresh
pipeline, as the two rsyslog inputs of one web host would reach the central engine. Every
request of a run came from the tool (the site had no other client), so "flagged %" is the
share of the tool's requests a rule recognised; the alerts are what an operator would see.
``EXPECTED`` names what each tool should trigger; the table says which of those it did.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_plus

from detection.engine import ScanResult, Verdict, merge_by_time, read_lines, scan
from detection.markdown import code, counts, pct, table
from detection.section import Section
from lwsyslog.categories import PAYLOAD_CATEGORIES

__all__ = ["EXPECTED", "carries_payload", "measure"]

# alert:RULE an alert of that rule; alert-category:C an alert carrying C; category:C a line
# flagged with C.
EXPECTED: dict[str, tuple[str, ...]] = {
    "whatweb": ("category:scanner",),
    "nmap": (
        "category:scanner",
        "category:shellshock",
        "category:protocol-anomaly",
        "alert:scan-404-burst",
        "alert:scan-distinct-404",
        "alert-category:shellshock",
    ),
    "dirb": ("alert:scan-404-burst", "alert:scan-distinct-404"),
    "dirb-vulns": (
        "category:known-exploit",
        "alert:scan-404-burst",
        "alert:scan-distinct-404",
        "alert-category:known-exploit",
    ),
    "gobuster": ("category:scanner", "alert:scan-404-burst", "alert:scan-distinct-404"),
    "wfuzz": ("category:scanner", "alert:scan-404-burst", "alert:scan-distinct-404"),
    "wfuzz-params": (
        "category:scanner",
        "category:sqli",
        "category:xss",
        "category:path-traversal",
        "category:command-injection",
        "alert-category:sqli",
    ),
    "hydra": ("alert:auth-brute-force", "alert:brute-force-success"),
    "hydra-form": ("alert:login-brute-force",),
    "sqlmap": ("category:scanner", "category:sqli", "alert-category:sqli"),
    "sqlmap-exploit": ("category:sqli", "alert-category:sqli"),
    "sqlmap-random-agent": ("category:sqli", "alert-category:sqli"),
    "wapiti": (
        "category:sqli",
        "category:xss",
        "category:path-traversal",
        "category:command-injection",
        "category:shellshock",
        "alert-category:sqli",
        "alert-category:xss",
        "alert-category:shellshock",
    ),
    "wapiti-buster": ("alert:scan-404-burst", "alert:scan-distinct-404"),
}


# A query carrying one of these after decoding holds something other than a plain value.
_PAYLOAD_MARK = re.compile(r"""['"<>;|&`$(){}\\]|\.\./|\s""")
_REQUEST = re.compile(r'"[A-Z]+ (\S+?)(?: HTTP/[\d.]+)?" \d{3} ')


@dataclass(slots=True)
class _Run:
    name: str
    access_lines: int
    error_lines: int
    result: ScanResult


def measure(root: Path) -> Section:
    """Scan every tool run under ``root`` (``tests/fixtures/attack-tools``)."""
    runs = [_scan(directory) for directory in sorted(p for p in root.iterdir() if p.is_dir())]
    rows = []
    expectation_rows = []
    details = []
    for run in runs:
        access = [v for v in run.result.verdicts if v.line.name.endswith("access.log")]
        error = [v for v in run.result.verdicts if v.line.name.endswith("error.log")]
        flagged_access = sum(1 for v in access if v.flagged)
        flagged_error = sum(1 for v in error if v.flagged)
        unparsed = len(run.result.unparsed())
        payload = [v for v in access if carries_payload(v)]
        caught = sum(1 for v in payload if PAYLOAD_CATEGORIES.intersection(v.categories))
        rows.append(
            (run.name, run.access_lines, flagged_access, pct(flagged_access, run.access_lines),
             len(payload), caught, pct(caught, len(payload)),
             run.error_lines, flagged_error, unparsed, counts(run.result.categories()),
             counts(run.result.alerts_by_rule()))
        )  # fmt: skip
        met, missing = _check(run)
        expectation_rows.append((run.name, ", ".join(met) or "-", ", ".join(missing) or "-"))
        details += _details(run, access)
    header = (
        "run",
        "access lines",
        "flagged",
        "flagged %",
        "payload lines",
        "with payload finding",
        "%",
        "error lines",
        "flagged",
        "unparsed",
        "categories (flagged lines)",
        "alerts by rule",
    )
    doc = [table(header, rows), "", "#### What each tool should trigger", ""]
    doc.append(table(("run", "met", "NOT met"), expectation_rows))
    missing_total = sum(1 for row in expectation_rows if row[2] != "-")
    short = [f"{row[0]} misses {row[2]}" for row in expectation_rows if row[2] != "-"]
    headline = [
        f"attack tools: {len(runs) - missing_total}/{len(runs)} runs meet every expectation"
        + "".join(f"; {item}" for item in short)
    ]
    return Section("attack-tools", "Attack tools", "\n".join(doc), "\n".join(details), headline)


def _scan(directory: Path) -> _Run:
    access = read_lines(directory / "access.log", f"{directory.name}/access.log")
    error_path = directory / "error.log"
    error = read_lines(error_path, f"{directory.name}/error.log") if error_path.exists() else []
    return _Run(directory.name, len(access), len(error), scan(merge_by_time(access, error)))


def carries_payload(verdict: Verdict) -> bool:
    """True when a decoded query value holds quotes, brackets, separators or ``../``.

    A heuristic for "the tool put something other than a plain value here": each value is
    decoded (twice, for double encoding) and searched on its own, so the ``&`` between
    parameters does not count.
    """
    match = _REQUEST.search(verdict.line.text)
    if match is None or "?" not in match.group(1):
        return False
    query = match.group(1).split("?", 1)[1]
    for pair in query.split("&"):
        value = unquote_plus(unquote_plus(pair.partition("=")[2]))
        if _PAYLOAD_MARK.search(value):
            return True
    return False


def _check(run: _Run) -> tuple[list[str], list[str]]:
    categories = run.result.categories()
    alert_rules = run.result.alerts_by_rule()
    alert_categories = Counter(c for a in run.result.alerts for c in a.categories)
    met: list[str] = []
    missing: list[str] = []
    for expectation in EXPECTED.get(run.name, ()):
        kind, _, name = expectation.partition(":")
        present = {
            "alert": alert_rules,
            "alert-category": alert_categories,
            "category": categories,
        }[kind][name] > 0
        (met if present else missing).append(expectation)
    return met, missing


def _details(run: _Run, access: list[Verdict]) -> list[str]:
    out = [f"## {run.name}", ""]
    unflagged = [v for v in access if not v.flagged]
    out.append(f"Access lines without a finding: {len(unflagged)} of {len(access)}; first 15:")
    out += [f"- line {v.line.number}: {code(v.line.text, 220)}" for v in unflagged[:15]]
    missed = [
        v
        for v in access
        if carries_payload(v) and not PAYLOAD_CATEGORIES.intersection(v.categories)
    ]
    out += ["", f"Payload lines without a payload finding: {len(missed)}; first 30:"]
    out += [f"- line {v.line.number} ({_seen(v)}): {code(v.line.text, 260)}" for v in missed[:30]]
    out += ["", "Alerts:"]
    for alert in run.result.alerts:
        out.append(
            f"- {alert.last.name}:{alert.last.line} {alert.rule} {alert.severity.value} "
            f"x{alert.count}: {code(alert.message, 200)}"
        )
    return [*out, ""]


def _seen(verdict: Verdict) -> str:
    return ", ".join(verdict.rules) or "no finding"
