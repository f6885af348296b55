"""Section: false alerts per 100k lines from the threshold rules on ordinary traffic, including
a busy NAT-like address and a backend outage synthesised from a real benign log, and the
scanner runs those rules must still catch.

The synthesised logs come from the elastic access log (real traffic of a personal site):

``NAT, 1 h`` / ``NAT, 10 min``  every ordinary visitor's line (the addresses that sent no line
    with a finding of medium or worse, so the few real probers are left out) as if from one
    address, the four days squeezed into an hour or ten minutes, order kept: thousands of
    users behind one corporate proxy or carrier NAT, missing favicons, stylesheets and broken
    links included. ``favicon/css/feed gone`` also answers 404 to every request for
    ``/favicon.ico``, ``/style2.css`` and the RSS feed ``/blog/tags/puppet`` (a broken deploy:
    about 1,800 misses of three paths among the visitors' good requests).
``outage``  the log squeezed into an hour, every visitor keeping its address, and every answer
    of a three-minute stretch turned into a 502/503: expected, ``backend-errors`` alerts for
    the host and nothing against any client.

An alert is counted false when its client sent no line with a finding of medium or worse in
that log (``backend-errors``, which names no client, is listed apart). Scanner runs: the real
tool runs of ``tests/fixtures/attack-tools`` that are mostly missing pages, and the three DVWA
scanner runs; each should raise a missing-page window alert.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from detection.engine import Line, ScanResult, merge_by_time, read_lines, scan, unwrap_quoted
from detection.markdown import counts, table
from detection.section import Section
from lwsyslog.severity import Severity

__all__ = ["NAT_ADDRESS", "measure", "nat_lines", "outage_lines"]

NAT_ADDRESS = "198.51.100.77"
ELASTIC = "elastic_examples_apache_logs.log"
LOGHUB = "loghub_Apache_2k_error.log"
MISSING_PAGE_RULES = frozenset({"scan-404-burst", "scan-distinct-404"})
SITE_RULES = frozenset({"backend-errors"})
#: Tool runs that are mostly missing pages (forced browsing), under tests/fixtures/attack-tools.
PROBING_RUNS = ("dirb", "dirb-vulns", "gobuster", "nmap", "wapiti-buster", "wfuzz")
DVWA_RUNS = ("acunetix", "netsparker", "w3af")

_LEAD = re.compile(r"^(\S+)( \S+ \S+ \[)([^\]]+)(\] \"[^\"]*\" )(\d{3})")
_STAMP = "%d/%b/%Y:%H:%M:%S %z"
_REQUEST = re.compile(r'"[A-Z]+ (\S+)')
#: A broken deploy: the favicon, the main stylesheet and a feed many readers poll are gone.
BROKEN = frozenset({"/favicon.ico", "/style2.css", "/blog/tags/puppet"})


@dataclass(slots=True)
class _Row:
    label: str
    lines: int
    result: ScanResult
    expect: str = ""


def measure(data: Path, tools: Path) -> Section:
    """Alerts per 100k lines on benign and synthesised traffic; scanner runs still caught."""
    public = data / "public"
    elastic = read_lines(public / ELASTIC)
    ordinary = _ordinary(elastic)
    rows = [
        _Row("elastic (benign)", len(elastic), scan(elastic)),
        _Row("loghub error (benign)", *_scanned(read_lines(public / LOGHUB))),
        _Row("NAT, 1 h", *_scanned(nat_lines(ordinary, 3600.0))),
        _Row("NAT, 10 min", *_scanned(nat_lines(ordinary, 600.0))),
        _Row("NAT, 1 h, favicon/css/feed gone", *_scanned(nat_lines(ordinary, 3600.0, BROKEN))),
        _Row("NAT, 10 min, favicon/css/feed gone", *_scanned(nat_lines(ordinary, 600.0, BROKEN))),
        _Row(
            "outage (3 min of 502/503)",
            *_scanned(outage_lines(elastic, 3600.0, 1800.0, 180.0)),
            expect="backend-errors only",
        ),
    ]
    table_rows = []
    headline = []
    for row in rows:
        false = _false_alerts(row.result)
        site = [a for a in row.result.alerts if a.rule in SITE_RULES]
        per_100k = f"{100_000 * len(false) / row.lines:.1f}" if row.lines else "-"
        table_rows.append(
            (row.label, row.lines, len(row.result.alerts), len(false), per_100k,
             counts(Counter(a.rule for a in false)) or "-", len(site), row.expect or "-")
        )  # fmt: skip
        headline.append(f"{row.label}: {per_100k} false alerts per 100k lines")
    scanner_rows = []
    caught = 0
    runs = [(name, _tool_run(tools / name)) for name in PROBING_RUNS if (tools / name).is_dir()]
    runs += [(f"{name} (DVWA)", _dvwa_run(public, name)) for name in DVWA_RUNS]
    for name, result in runs:
        by_rule = Counter(a.rule for a in result.alerts)
        windows = sum(by_rule[rule] for rule in MISSING_PAGE_RULES)
        caught += windows > 0
        scanner_rows.append((name, len(result.verdicts), windows, counts(by_rule, 8) or "-"))
    headline.append(f"scanner runs with a missing-page window alert: {caught}/{len(runs)}")
    header = (
        "traffic", "lines", "alerts", "false alerts", "false per 100k lines",
        "false alerts by rule", "backend-errors alerts", "expected",
    )  # fmt: skip
    doc = [
        table(header, table_rows),
        "",
        "#### Scanner runs (missing-page windows still fire)",
        "",
        table(("run", "lines", "scan-404 window alerts", "alerts by rule"), scanner_rows),
    ]
    return Section("busy-clients", "Thresholds on busy clients", "\n".join(doc), "", headline)


def _scanned(lines: Sequence[Line]) -> tuple[int, ScanResult]:
    return len(lines), scan(lines)


def _tool_run(directory: Path) -> ScanResult:
    access = read_lines(directory / "access.log", f"{directory.name}/access.log")
    error_path = directory / "error.log"
    error = read_lines(error_path, f"{directory.name}/error.log") if error_path.exists() else []
    return scan(merge_by_time(access, error))


def _dvwa_run(public: Path, name: str) -> ScanResult:
    lines = read_lines(public / "ocatak_apache-http-logs" / f"{name}.txt")
    return scan(merge_by_time(unwrap_quoted(lines)))


def _suspects(result: ScanResult) -> set[str]:
    """Clients that sent at least one line with a finding of medium or worse."""
    return {v.client_ip for v in result.verdicts if v.client_ip and v.at_least(Severity.MEDIUM)}


def _false_alerts(result: ScanResult) -> list[object]:
    suspects = _suspects(result)
    return [
        a
        for a in result.alerts
        if a.rule not in SITE_RULES and (not a.key or a.key.split("\0")[0] not in suspects)
    ]


def _ordinary(lines: Sequence[Line]) -> list[Line]:
    """The lines of clients that never sent a finding of medium or worse."""
    suspects = _suspects(scan(lines))
    return [line for line in lines if line.text.split(" ", 1)[0] not in suspects]


def _squeezed(lines: Sequence[Line], span_secs: float) -> list[tuple[Line, dt.datetime, str]]:
    parsed = []
    for line in lines:
        match = _LEAD.match(line.text)
        if match:
            parsed.append((line, dt.datetime.strptime(match.group(3), _STAMP), match.group(1)))
    start = min(when for _, when, _ in parsed)
    end = max(when for _, when, _ in parsed)
    factor = span_secs / max((end - start).total_seconds(), 1.0)
    return [(line, start + (when - start) * factor, client) for line, when, client in parsed]


def _rewritten(line: Line, when: dt.datetime, client: str, status: str | None = None) -> Line:
    def put(match: re.Match[str]) -> str:
        return (
            f"{client}{match.group(2)}{when.strftime(_STAMP)}{match.group(4)}"
            f"{status or match.group(5)}"
        )

    return Line(line.name, line.number, _LEAD.sub(put, line.text, count=1))


def nat_lines(
    lines: Sequence[Line], span_secs: float, missing: frozenset[str] = frozenset()
) -> list[Line]:
    """``lines`` as if every client were :data:`NAT_ADDRESS`, squeezed into ``span_secs``;
    requests for the paths in ``missing`` answered 404 (a broken deploy)."""
    out = []
    for line, when, _ in _squeezed(lines, span_secs):
        request = _REQUEST.search(line.text)
        gone = request is not None and request.group(1).split("?", 1)[0] in missing
        out.append(_rewritten(line, when, NAT_ADDRESS, "404" if gone else None))
    return out


def outage_lines(
    lines: Sequence[Line], span_secs: float, outage_at: float, outage_secs: float
) -> list[Line]:
    """``lines`` squeezed into ``span_secs``, every answer from ``outage_at`` seconds in, for
    ``outage_secs``, turned into a 502 or 503 (alternately)."""
    squeezed = _squeezed(lines, span_secs)
    start = squeezed[0][1]
    out = []
    for index, (line, when, client) in enumerate(squeezed):
        offset = (when - start).total_seconds()
        failing = outage_at <= offset < outage_at + outage_secs
        status = ("502" if index % 2 else "503") if failing else None
        out.append(_rewritten(line, when, client, status))
    return out
