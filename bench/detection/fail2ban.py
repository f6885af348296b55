"""Section 1: fail2ban's own Apache test logs, with the expectations of their ``# failJSON:``.

``gold.jsonl`` holds one record per annotated sample line (``file``, 1-based ``lineno``,
``match``, ``host``, ``filterOptions``, ``desc``, ``line``). The rules of this measurement:

- a line fail2ban must match is a *hit* when lwsyslog raises any finding on it, and a
  *right-IP hit* when the finding's client address is fail2ban's ``host``;
- a line fail2ban must not match is a *false flag* when lwsyslog raises a finding of severity
  medium or worse on it (a low finding, such as one access-denied or auth-failure line that
  only feeds a threshold, is accepted);
- lines that fit no format are counted apart (and are misses when positive).

Each file's sample lines (comments and blank lines left out) run through one fresh pipeline
in file order, as ``lwsyslog scan FILE`` would read them. Two files get the configuration a
user of that setup would write (:data:`FILE_CONFIG`); every other file runs on the defaults.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detection import notes
from detection.engine import Verdict, new_pipeline, read_lines, scan
from detection.markdown import code, counts, table
from detection.section import Section
from lwsyslog.severity import Severity

__all__ = ["FILE_CONFIG", "FILTERS", "GoldLine", "load_gold", "measure"]

FILTERS = (
    "apache-auth",
    "apache-badbots",
    "apache-botsearch",
    "apache-fakegooglebot",
    "apache-modsecurity",
    "apache-nohome",
    "apache-noscript",
    "apache-overflows",
    "apache-pass",
    "apache-shellshock",
)
_FALSE_FLAG_AT = Severity.MEDIUM
# The LogFormat of apache-fakegooglebot's first lines: a time without zone, then the vhost,
# and mod_logio's byte counts after the User-Agent.
_FAKEGOOGLEBOT_FORMAT = (
    '%h %l %u - [%{%d/%b/%Y:%H:%M:%S}t ] %v "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %X %I %O %D'
)
_BUILT_IN_FORMATS = (
    '"vhost_combined", "vhost_combined_noport", "combined", "vhost_common", "common"'
)
#: Per-file configuration, each mirroring what fail2ban itself is told for that file:
#: apache-pass's jail option ``knocking_url = /knocking/`` becomes a watched path, and
#: apache-fakegooglebot's custom LogFormat is declared in ``access_formats`` after the
#: built-in formats (its last line is in one of those), as its user would.
FILE_CONFIG = {
    "apache-pass": '[rules.watched-path]\npaths = ["/knocking/"]\n',
    "apache-fakegooglebot": (
        f"[input]\naccess_formats = [{_BUILT_IN_FORMATS}, '{_FAKEGOOGLEBOT_FORMAT}']\n"
    ),
}


@dataclass(frozen=True, slots=True)
class GoldLine:
    """One annotated sample line and what fail2ban expects of it."""

    file: str
    lineno: int
    match: bool
    host: str
    options: dict[str, Any]
    desc: str
    line: str


@dataclass(slots=True)
class _Row:
    positives: int = 0
    hits: int = 0
    right_ip: int = 0
    negatives: int = 0
    false_flags: int = 0
    low_on_negative: int = 0
    unparsed: int = 0
    sample_lines: int = 0
    rules: Counter[str] = field(default_factory=Counter)


@dataclass(slots=True)
class _Lists:
    misses: list[str] = field(default_factory=list)
    wrong_ip: list[str] = field(default_factory=list)
    false_flags: list[str] = field(default_factory=list)
    negatives: list[str] = field(default_factory=list)


def load_gold(directory: Path) -> list[GoldLine]:
    """The records of ``gold.jsonl`` in ``directory``."""
    gold = []
    with (directory / "gold.jsonl").open(encoding="utf-8") as handle:
        for text in handle:
            if not text.strip():
                continue
            record = json.loads(text)
            gold.append(
                GoldLine(
                    record["file"],
                    int(record["lineno"]),
                    bool(record["match"]),
                    record.get("host") or "",
                    record.get("filterOptions") or {},
                    record.get("desc") or "",
                    record["line"],
                )
            )
    return gold


def measure(data: Path) -> Section:
    """Score lwsyslog against every annotated line of the ten filters' test logs."""
    directory = data / "public" / "fail2ban_apache_testlogs"
    gold = load_gold(directory)
    rows = {name: _Row() for name in FILTERS}
    lists = _Lists()
    for name in FILTERS:
        samples = [
            line
            for line in read_lines(directory / name)
            if line.text.strip() and not line.text.lstrip().startswith("#")
        ]
        verdicts = scan(samples, new_pipeline(FILE_CONFIG.get(name, ""))).by_line()
        row = rows[name]
        row.sample_lines = len(samples)
        row.unparsed = sum(1 for v in verdicts.values() if v.log == "unparsed")
        for expected in (g for g in gold if g.file == name):
            verdict = verdicts.get((name, expected.lineno))
            if verdict is None:
                raise SystemExit(f"gold.jsonl names {name}:{expected.lineno}, not a sample line")
            _score(expected, verdict, row, lists)
    doc = _doc(rows, lists)
    total_pos = sum(r.positives for r in rows.values())
    headline = [
        f"fail2ban test logs: {sum(r.hits for r in rows.values())}/{total_pos} positives flagged "
        f"({sum(r.right_ip for r in rows.values())} right IP), "
        f"{sum(r.false_flags for r in rows.values())}/"
        f"{sum(r.negatives for r in rows.values())} negatives flagged >= medium, "
        f"{sum(r.unparsed for r in rows.values())} sample lines unparsed"
    ]
    return Section("fail2ban", "fail2ban's Apache test logs", doc, headline=headline)


def _score(expected: GoldLine, verdict: Verdict, row: _Row, lists: _Lists) -> None:
    if expected.match:
        row.positives += 1
        if verdict.flagged:
            row.hits += 1
            row.rules.update(verdict.rules)
            if _same_ip(verdict.client_ip, expected.host):
                row.right_ip += 1
            else:
                lists.wrong_ip.append(_item(expected, verdict, f"client_ip {verdict.client_ip!r}"))
        else:
            lists.misses.append(_item(expected, verdict, _seen(verdict)))
        return
    row.negatives += 1
    lists.negatives.append(_item(expected, verdict, _verdict_text(verdict)))
    if verdict.at_least(_FALSE_FLAG_AT):
        row.false_flags += 1
        lists.false_flags.append(_item(expected, verdict, _flags(verdict)))
    elif verdict.flagged:
        row.low_on_negative += 1


def _same_ip(found: str, expected: str) -> bool:
    def norm(address: str) -> str:
        return address.strip("[]").lower()

    return bool(expected) and norm(found) == norm(expected)


def _seen(verdict: Verdict) -> str:
    """What the engine made of a line no rule flagged."""
    if verdict.log == "unparsed":
        return f"unparsed ({verdict.unparsed_reason})"
    if verdict.log == "error":
        what = f"error line, {verdict.code or 'no AH code'}, client {verdict.client_ip or '-'}"
        return f"{what}: no rule matched"
    return f"access line, client {verdict.client_ip or '-'}: no rule matched"


def _verdict_text(verdict: Verdict) -> str:
    if not verdict.flagged:
        return _seen(verdict)
    return f"{_flags(verdict)} (client {verdict.client_ip or '-'})"


def _flags(verdict: Verdict) -> str:
    sev = verdict.severity.value if verdict.severity else "-"
    return f"{sev}: {', '.join(verdict.rules)}"


def _item(expected: GoldLine, verdict: Verdict, seen: str) -> str:
    extra = []
    if expected.options:
        extra.append("fail2ban options " + json.dumps(expected.options, sort_keys=True))
    if expected.desc:
        extra.append("fail2ban: " + expected.desc.replace("\n", " "))
    why = notes.fail2ban_note(expected.file, expected.lineno)
    tail = f" ({'; '.join(extra)})" if extra else ""
    reason = f" — {why}" if why else " — TODO: unexplained"
    head = f"- `{expected.file}:{expected.lineno}` expects host {expected.host or '-'}{tail}"
    return f"{head}\n  {code(expected.line, 220)}\n  lwsyslog: {seen}{reason}"


def _doc(rows: dict[str, _Row], lists: _Lists) -> str:
    header = (
        "filter",
        "sample lines",
        "unparsed",
        "positives",
        "hits",
        "right IP",
        "misses",
        "negatives",
        "false flags (>= medium)",
        "low finding on negative",
    )
    body = []
    total = _Row()
    for name, row in rows.items():
        body.append(_cells(name, row))
        for attr in _Row.__slots__:
            setattr(total, attr, getattr(total, attr) + getattr(row, attr))
    body.append(_cells("**total**", total))
    parts = [table(header, body), ""]
    parts.append(
        f"Hits {total.hits}/{total.positives} lines fail2ban must match "
        f"({total.right_ip} with fail2ban's client address); false flags "
        f"{total.false_flags}/{total.negatives} lines it must not match."
    )
    parts += ["", "#### Misses (positive lines without any finding)", ""]
    parts += lists.misses or ["None."]
    parts += ["", "#### Hits with a different client address", ""]
    parts += lists.wrong_ip or ["None."]
    parts += ["", "#### False flags (negative lines with a finding >= medium)", ""]
    parts += lists.false_flags or ["None."]
    parts += ["", "#### Every negative line and what lwsyslog made of it", ""]
    parts += lists.negatives
    parts += ["", "#### Rules that flagged the positive lines", ""]
    parts += [table(("filter", "rules (lines)"), [(n, counts(r.rules)) for n, r in rows.items()])]
    return "\n".join(parts)


def _cells(name: str, row: _Row) -> list[object]:
    return [
        name,
        row.sample_lines,
        row.unparsed,
        row.positives,
        row.hits,
        row.right_ip,
        row.positives - row.hits,
        row.negatives,
        row.false_flags,
        row.low_on_negative,
    ]
