"""Run lines through one in-process :class:`~lwsyslog.pipeline.Pipeline` and keep every verdict.

The pipeline is the one ``lwsyslog scan`` drives, built from the built-in defaults
(``load_config([])``, plus an override file where a section passes one), so a measurement
never depends on ``/etc/lwsyslog`` of the machine.
"""

from __future__ import annotations

import heapq
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lwsyslog.alerts import Alert
from lwsyslog.config import load_config
from lwsyslog.events import Origin, Unparsed
from lwsyslog.formats import LineParser
from lwsyslog.pipeline import LineResult, Pipeline
from lwsyslog.severity import Severity

__all__ = [
    "AlertRow",
    "Line",
    "ScanResult",
    "Verdict",
    "iter_counts",
    "merge_by_time",
    "new_pipeline",
    "read_lines",
    "scan",
    "sort_by_time",
    "unwrap_quoted",
]


@dataclass(frozen=True, slots=True)
class Line:
    """One input line: where it came from and its text (invalid UTF-8 already replaced)."""

    name: str
    number: int
    text: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the engine made of one line."""

    line: Line
    log: str
    client_ip: str
    rules: tuple[str, ...]
    categories: tuple[str, ...]
    severity: Severity | None
    matches: tuple[tuple[str, str, str], ...]
    unparsed_reason: str = ""
    code: str = ""
    message: str = ""
    #: Each finding's rule and severity (after the pipeline's settings and escalation).
    rule_severities: tuple[tuple[str, Severity], ...] = ()

    @property
    def flagged(self) -> bool:
        """True when at least one rule matched the line."""
        return bool(self.rules)

    def at_least(self, severity: Severity) -> bool:
        """True when a finding of ``severity`` or worse was raised on the line."""
        return self.severity is not None and self.severity.rank >= severity.rank


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One alert with the line that raised it."""

    rule: str
    key: str
    categories: tuple[str, ...]
    severity: Severity
    count: int
    first: Origin
    last: Origin
    message: str
    sample: str
    #: 0 for an alert raised by a single line's findings, the window of a threshold's.
    window_secs: float = 0.0


@dataclass(slots=True)
class ScanResult:
    """Every verdict and alert of one scan."""

    verdicts: list[Verdict] = field(default_factory=list)
    alerts: list[AlertRow] = field(default_factory=list)

    def flagged(self) -> list[Verdict]:
        """Verdicts of lines with at least one finding."""
        return [v for v in self.verdicts if v.flagged]

    def unparsed(self) -> list[Verdict]:
        """Verdicts of lines that fit no format."""
        return [v for v in self.verdicts if v.log == "unparsed"]

    def categories(self) -> Counter[str]:
        """Flagged lines per category."""
        return Counter(c for v in self.verdicts for c in v.categories)

    def alerts_by_rule(self) -> Counter[str]:
        """Alerts per rule id."""
        return Counter(a.rule for a in self.alerts)

    def by_line(self) -> dict[tuple[str, int], Verdict]:
        """Verdicts keyed by (source name, line number)."""
        return {(v.line.name, v.line.number): v for v in self.verdicts}


def new_pipeline(config_toml: str = "") -> Pipeline:
    """A pipeline with the built-in defaults and no sinks (alerts come back per line).

    ``config_toml`` is read as one override file on top of the defaults, the way a user's
    ``/etc/lwsyslog/lwsyslog.d/*.toml`` is (only where a section says it configures something).
    """
    if not config_toml:
        return Pipeline(load_config([]))
    with tempfile.TemporaryDirectory(prefix="lwsyslog-bench-") as directory:
        path = Path(directory) / "measurement.toml"
        path.write_text(config_toml, encoding="utf-8")
        return Pipeline(load_config([path]))


def read_lines(path: Path, name: str | None = None) -> list[Line]:
    """The lines of ``path`` as ``lwsyslog scan`` reads them (bytes, ``\\n`` or ``\\r\\n`` cut)."""
    label = name or path.name
    lines = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            cut = 2 if raw.endswith(b"\r\n") else 1 if raw.endswith(b"\n") else 0
            text = raw[: len(raw) - cut].decode("utf-8", "replace")
            lines.append(Line(label, number, text))
    return lines


def unwrap_quoted(lines: Iterable[Line]) -> list[Line]:
    """Lines with one surrounding pair of double quotes removed (the ocatak files' wrapping)."""
    out = []
    for line in lines:
        text = line.text
        if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
            text = text[1:-1]
        out.append(Line(line.name, line.number, text))
    return out


def merge_by_time(*sources: Sequence[Line]) -> list[Line]:
    """Interleave several logs by event time, the order a live collector would see them.

    Each source keeps its own order (a stable sort by time per source, then a merge); a line
    without a time keeps the time of the line before it.
    """
    parser = LineParser()
    keyed = []
    for index, source in enumerate(sources):
        last = 0.0
        items = []
        for position, line in enumerate(source):
            event = parser.parse(line.text, Origin(line.name, line.number))
            when = None if isinstance(event, Unparsed) else event.time
            last = last if when is None else when
            items.append((last, index, position, line))
        items.sort(key=lambda item: (item[0], item[2]))
        keyed.append(items)
    return [item[3] for item in heapq.merge(*keyed, key=lambda item: (item[0], item[1]))]


def sort_by_time(lines: Sequence[Line]) -> list[Line]:
    """``lines`` in event-time order (stable), for logs whose file order was shuffled."""
    return merge_by_time(lines)


def scan(lines: Iterable[Line], pipeline: Pipeline | None = None) -> ScanResult:
    """Run ``lines`` through ``pipeline`` (a fresh one by default), keeping every verdict."""
    engine = pipeline or new_pipeline()
    result = ScanResult()
    for line in lines:
        outcome = engine.process(line.text, Origin(line.name, line.number))
        result.verdicts.append(_verdict(line, outcome))
        result.alerts.extend(_alert_row(alert) for alert in outcome.alerts)
    return result


def _verdict(line: Line, outcome: LineResult) -> Verdict:
    event = outcome.event
    if isinstance(event, Unparsed):
        return Verdict(line, "unparsed", "", (), (), None, (), unparsed_reason=event.reason.value)
    findings = outcome.findings
    categories: list[str] = []
    for finding in findings:
        categories.extend(c for c in finding.categories if c not in categories)
    severity = max((f.severity for f in findings), key=lambda s: s.rank) if findings else None
    return Verdict(
        line,
        event.log,
        event.client_ip,
        tuple(f.rule_id for f in findings),
        tuple(categories),
        severity,
        tuple((f.rule_id, f.field, f.fragment) for f in findings),
        code=getattr(event, "code", ""),
        message=getattr(event, "message", ""),
        rule_severities=tuple((f.rule_id, f.severity) for f in findings),
    )


def _alert_row(alert: Alert) -> AlertRow:
    return AlertRow(
        alert.rule,
        alert.key,
        alert.categories,
        alert.severity,
        alert.count,
        alert.first,
        alert.last,
        alert.message,
        alert.sample,
        alert.window_secs,
    )


def iter_counts(counter: Counter[str]) -> Iterator[tuple[str, int]]:
    """``counter`` most frequent first, ties by name."""
    return iter(sorted(counter.items(), key=lambda item: (-item[1], item[0])))
