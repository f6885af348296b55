"""Section 3: real third-party logs — a 2004 honeypot, three scanner runs, two benign logs.

Each file runs through its own fresh pipeline, in file order, except the scanner runs: their
lines are wrapped in an extra pair of double quotes (removed first) and acunetix's file order is
shuffled, so they are also put in time order (what a live collector would have seen) before
the scan. On the benign logs every alert is listed with its line and a hand-made reading
(``notes.real_log_note``): a real probe, or a false alarm and why.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from detection import notes
from detection.engine import Line, ScanResult, merge_by_time, read_lines, scan, unwrap_quoted
from detection.markdown import code, counts, pct, table
from detection.section import Section
from detection.tools import carries_payload
from lwsyslog.categories import PAYLOAD_CATEGORIES

__all__ = ["LOGS", "RealLog", "measure"]


@dataclass(frozen=True, slots=True)
class RealLog:
    """One real log: its path under ``public/``, how to read it, and whether it is benign."""

    label: str
    path: str
    benign: bool = False
    wrapped: bool = False


LOGS = (
    RealLog("honeynet access 2004", "honeynet_redhat71_httpd_access_log_2004.log"),
    RealLog("honeynet error 2004", "honeynet_redhat71_httpd_error_log_2004.log"),
    RealLog("acunetix (DVWA)", "ocatak_apache-http-logs/acunetix.txt", wrapped=True),
    RealLog("netsparker (DVWA)", "ocatak_apache-http-logs/netsparker.txt", wrapped=True),
    RealLog("w3af (DVWA)", "ocatak_apache-http-logs/w3af.txt", wrapped=True),
    RealLog("elastic (benign)", "elastic_examples_apache_logs.log", benign=True),
    RealLog("loghub error (benign)", "loghub_Apache_2k_error.log", benign=True),
)


@dataclass(slots=True)
class _Outcome:
    log: RealLog
    lines: int
    result: ScanResult
    as_is_unparsed: int
    as_is_bad_client: int
    backward_steps: int


def measure(data: Path) -> Section:
    """Scan every real log and tabulate lines, findings and alerts."""
    outcomes = [_scan(log, data / "public") for log in LOGS]
    doc = [_summary_table(outcomes), ""]
    doc += [_alerts_table(outcomes), ""]
    wrapped = [o for o in outcomes if o.log.wrapped]
    doc += ["#### The scanner files' format", ""]
    for o in wrapped:
        doc.append(
            f"- {o.log.label}: {o.lines} lines, combined format wrapped in one more pair of "
            f'double quotes (`"1.2.3.4 - - [...] "GET …" … "UA""`); as the file stands '
            f"{o.as_is_unparsed} lines are unparsed and {o.as_is_bad_client} parse with a client "
            f"address that is not an IP (the leading quote kept); {o.backward_steps} times the "
            "time goes back from one line to the next in file order. Measured after removing "
            "the quotes, in time order."
        )
    doc.append("")
    details = []
    for o in outcomes:
        if o.log.benign:
            doc += _benign_alerts(o)
        details += _flagged_details(o)
    headline = [
        f"{o.log.label}: {o.lines} lines, {len(o.result.flagged())} flagged "
        f"({pct(len(o.result.flagged()), o.lines)}), {len(o.result.alerts)} alerts, "
        f"{len(o.result.unparsed())} unparsed"
        for o in outcomes
    ]
    return Section("real-logs", "Real logs", "\n".join(doc), "\n".join(details), headline)


def _scan(log: RealLog, public: Path) -> _Outcome:
    lines = read_lines(public / log.path)
    as_is_unparsed = as_is_bad_client = 0
    backward = 0
    if log.wrapped:
        as_is = scan(lines)
        as_is_unparsed = len(as_is.unparsed())
        as_is_bad_client = _bad_clients(as_is)
        lines = unwrap_quoted(lines)
        ordered = merge_by_time(lines)
        backward = _backward_steps(lines)
        lines = ordered
    return _Outcome(log, len(lines), scan(lines), as_is_unparsed, as_is_bad_client, backward)


def _bad_clients(result: ScanResult) -> int:
    """Parsed lines whose client field is not an IP address (a format read wrongly)."""
    bad = 0
    for verdict in result.verdicts:
        if verdict.log == "unparsed" or not verdict.client_ip:
            continue
        try:
            ipaddress.ip_address(verdict.client_ip)
        except ValueError:
            bad += 1
    return bad


def _backward_steps(lines: list[Line]) -> int:
    """How often file order goes back in time (0 for a log written as requests came)."""
    order = {id(line): rank for rank, line in enumerate(merge_by_time(lines))}
    ranks = [order[id(line)] for line in lines]
    return sum(1 for a, b in itertools.pairwise(ranks) if b < a)


def _summary_table(outcomes: list[_Outcome]) -> str:
    header = (
        "log",
        "lines",
        "access",
        "error",
        "unparsed",
        "client not an IP",
        "flagged lines",
        "flagged %",
        "payload lines",
        "with payload finding",
        "categories (flagged lines)",
    )
    rows = []
    for o in outcomes:
        kinds = Counter(v.log for v in o.result.verdicts)
        unparsed = Counter(v.unparsed_reason for v in o.result.unparsed())
        unparsed_text = str(sum(unparsed.values()))
        if unparsed:
            unparsed_text += f" ({counts(unparsed)})"
        flagged = len(o.result.flagged())
        payload = [v for v in o.result.verdicts if carries_payload(v)]
        caught = sum(1 for v in payload if PAYLOAD_CATEGORIES.intersection(v.categories))
        rows.append(
            (o.log.label, o.lines, kinds["access"], kinds["error"], unparsed_text,
             _bad_clients(o.result), flagged,
             pct(flagged, o.lines), len(payload), f"{caught} ({pct(caught, len(payload))})",
             counts(o.result.categories(), 20))
        )  # fmt: skip
    return table(header, rows)


def _alerts_table(outcomes: list[_Outcome]) -> str:
    rows = []
    for o in outcomes:
        keys = len({a.key for a in o.result.alerts})
        rows.append(
            (o.log.label, len(o.result.alerts), keys, counts(o.result.alerts_by_rule(), 30))
        )
    return table(("log", "alerts", "distinct keys", "alerts by rule"), rows)


def _benign_alerts(o: _Outcome) -> list[str]:
    out = [f"#### Every alert on {o.log.label} (`{o.log.path}`)", ""]
    if not o.result.alerts:
        return [*out, "None.", ""]
    by_line = {v.line.number: v for v in o.result.verdicts}
    for alert in o.result.alerts:
        verdict = by_line.get(alert.last.line)
        text = verdict.line.text if verdict else alert.sample
        reading = notes.real_log_note(o.log.path, alert.rule, alert.last.line)
        rules = f" — line rules: {', '.join(verdict.rules)}" if verdict and verdict.rules else ""
        out.append(
            f"- line {alert.last.line}: **{alert.rule}** ({alert.severity.value}, key "
            f"{alert.key}, count {alert.count}){rules}\n  {code(text, 240)}\n"
            f"  reading: {reading or 'TODO: not yet classified'}"
        )
    return [*out, ""]


def _flagged_details(o: _Outcome) -> list[str]:
    out = [f"## {o.log.label}: flagged lines by rule (first 5 each)", ""]
    seen: dict[str, int] = Counter()
    for verdict in o.result.flagged():
        for rule, field_name, fragment in verdict.matches:
            seen[rule] += 1
            if seen[rule] <= 5:
                out.append(
                    f"- {rule} line {verdict.line.number} {field_name}={code(fragment, 80)}: "
                    f"{code(verdict.line.text, 200)}"
                )
    missed = [
        v
        for v in o.result.verdicts
        if carries_payload(v) and not PAYLOAD_CATEGORIES.intersection(v.categories)
    ]
    out += ["", f"Payload lines without a payload finding: {len(missed)}; first 40:", ""]
    out += [
        f"- line {v.line.number} ({', '.join(v.rules) or 'no finding'}): {code(v.line.text, 240)}"
        for v in missed[:40]
    ]
    out += ["", f"Alerts: {len(o.result.alerts)}", ""]
    for alert in o.result.alerts[:200]:
        out.append(
            f"- line {alert.last.line} {alert.rule} {alert.severity.value} key {alert.key}: "
            f"{code(alert.message, 200)}"
        )
    return [*out, ""]
