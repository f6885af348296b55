"""Section 6: false alerts per 100,000 lines on real logs of ordinary sites, and what the rules
added in round 2 (the new built-in rules and the known-exploit rule pack) raise there.

The logs: the elastic access log (a personal site, 10,000 lines), the loghub Apache error log
(2,000 lines) and three IIS sites' W3C logs (``public/iis_w3c``: production traffic of small
sites, scanners included). Each runs through a fresh pipeline with the built-in defaults, in
file order. Every alert a round-2 rule raises, and every line it flags at medium or worse, is
listed with the line so each can be read; the earlier rules' alerts on these logs are counted
and read in section 3 (elastic, loghub); the IIS sites' are counted by rule in the table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from detection.engine import ScanResult, read_lines, scan
from detection.markdown import code, counts, table
from detection.section import Section
from lwsyslog.rulepack.pack import RulePack, builtin_dir
from lwsyslog.severity import Severity

__all__ = ["LOGS", "ROUND2_BUILTIN", "measure"]

LOGS = (
    ("elastic (access)", "elastic_examples_apache_logs.log"),
    ("loghub (error)", "loghub_Apache_2k_error.log"),
    ("IIS knowit W3SVC1", "iis_w3c/knowit_peru_W3SVC1.log"),
    ("IIS knowit W3SVC2", "iis_w3c/knowit_peru_W3SVC2.log"),
    ("IIS waikolai W3SVC20", "iis_w3c/waikolai_W3SVC20.log"),
)

#: Built-in rules added in round 2.
ROUND2_BUILTIN = frozenset(
    {
        "header-injection-crlf", "header-injection-probe", "protocol-null-byte",
        "sqli-quote-statement", "sqli-value-statement", "sqli-leading-condition",
        "command-injection-encoded-ampersand", "sensitive-source-disclosure",
        "sensitive-encoded-suffix", "command-injection-leading-separator",
    }
)  # fmt: skip


@dataclass(slots=True)
class _Log:
    label: str
    lines: int
    result: ScanResult


def measure(data: Path) -> Section:
    """Alerts per 100k lines on each benign log, and every round-2 alert and flag on them."""
    round2 = ROUND2_BUILTIN | {rule.id for rule in RulePack.load([builtin_dir()]).rules}
    logs = []
    for label, name in LOGS:
        path = data / "public" / name
        if path.exists():
            lines = read_lines(path)
            logs.append(_Log(label, len(lines), scan(lines)))
    rows = []
    listed: list[str] = []
    for log in logs:
        alerts = log.result.alerts
        single = [a for a in alerts if a.window_secs == 0]
        new_alerts = [a for a in alerts if a.rule in round2]
        flagged = [
            v
            for v in log.result.verdicts
            if any(
                rule in round2 and severity.rank >= Severity.MEDIUM.rank
                for rule, severity in v.rule_severities
            )
        ]
        rows.append(
            [
                log.label,
                log.lines,
                len(alerts),
                _per_100k(len(alerts), log.lines),
                _per_100k(len(single), log.lines),
                len(new_alerts),
                _per_100k(len(new_alerts), log.lines),
                len(flagged),
                counts(Counter(a.rule for a in alerts), 8),
            ]
        )
        for alert in new_alerts:
            listed.append(
                f"- {log.label}, line {alert.last.line}: **{alert.rule}** ({alert.severity}) "
                f"{code(alert.sample, 220)}"
            )
        for verdict in flagged[:40]:
            rules = ", ".join(r for r in verdict.rules if r in round2)
            listed.append(
                f"- {log.label}, line {verdict.line.number}: flagged by {rules} "
                f"{code(verdict.line.text, 220)}"
            )
    doc = [
        table(
            [
                "log",
                "lines",
                "alerts (all rules)",
                "alerts per 100k lines",
                "single-line alerts per 100k",
                "alerts by round-2 rules",
                "round-2 alerts per 100k",
                "lines flagged >= medium by round-2 rules",
                "alerts by rule",
            ],
            rows,
        ),
        "",
        "#### Every alert and medium-or-worse flag of a round-2 rule on these logs",
        "",
        *(listed or ["None."]),
    ]
    headline = [
        f"{row[0]}: {row[3]} alerts per 100k lines ({row[6]} from round-2 rules)" for row in rows
    ]
    return Section("false-alerts", "False alerts on ordinary sites", "\n".join(doc), "", headline)


def _per_100k(part: int, whole: int) -> str:
    return "-" if whole == 0 else f"{100_000 * part / whole:.1f}"
