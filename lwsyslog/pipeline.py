"""The one engine: decode -> parse -> triage -> detect -> thresholds -> alerts -> sinks.

``lwsyslog scan`` and the omprog program both drive a :class:`Pipeline` line by line, so an
alert raised live and an alert raised by scanning the same lines are the same alert.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final, NamedTuple

from lwsyslog.alerts import Alert, AlertMaker
from lwsyslog.categories import PAYLOAD_CATEGORIES
from lwsyslog.crawlers.watch import crawler_watch
from lwsyslog.detection.catalog import load_detection
from lwsyslog.events import AccessEvent, ErrorEvent, Origin, Unparsed, UnparsedReason, origin_at
from lwsyslog.findings import Finding
from lwsyslog.formats import LineParser
from lwsyslog.formats.cut_line import salvage_access
from lwsyslog.observation import Observation
from lwsyslog.settings import Config
from lwsyslog.sinks.base import AlertGuard, Dispatcher, Sink
from lwsyslog.stats import RunStats
from lwsyslog.storms import StormGate
from lwsyslog.thresholds import Crossing, ThresholdEngine
from lwsyslog.triage import Triage, Urgency

__all__ = ["LineResult", "Pipeline", "parser_for"]

Clock = Callable[[], float]
_STANDARD: Final = Urgency.STANDARD
_URGENT: Final = Urgency.URGENT
_tuple_new: Final = tuple.__new__


class LineResult(NamedTuple):
    """What one line became. ``delivered`` is False while a sink still holds alerts back.

    A tuple, because one is made for every line."""

    event: AccessEvent | ErrorEvent | Unparsed
    urgency: Urgency | None = None
    findings: Sequence[Finding] = ()
    alerts: Sequence[Alert] = ()
    delivered: bool = True


class Pipeline:
    """Processes lines one at a time; never raises on the content of a line."""

    def __init__(
        self,
        config: Config,
        sinks: Sequence[Sink] = (),
        clock: Clock = _time.time,
        guard: AlertGuard | None = None,
        spool_dir: Path | None = None,
    ) -> None:
        self.config = config
        self.parser = parser_for(config)
        self.detection = load_detection(config)
        self.triage = Triage(config.urgent_statuses, config.urgent_levels)
        self.thresholds = ThresholdEngine.from_settings(
            config.thresholds,
            max_keys=config.max_keys,
            clock=clock,
            extra=self.detection.thresholds(),
            memory_budget_bytes=config.memory_budget_bytes,
        )
        self.alert_maker = AlertMaker(
            config.single_event_min_severity,
            config.cooldown_secs,
            # As many clients as a threshold rule holds within memory_budget_bytes.
            self.thresholds.capacity,
            clock=clock,
            descriptions=self.detection.descriptions(),
            not_standalone=self.detection.feeding_only(),
        )
        self.storms = StormGate(
            config.storm_max_alerts,
            config.storm_window_secs,
            clock,
            self.detection.descriptions(),
        )
        self.dispatcher = Dispatcher(
            sinks, guard=guard, spool_dir=spool_dir, hold_secs=config.messages_file_hold_secs
        )
        self.stats = RunStats()
        # Crawler verification ([crawlers]): None when off; else one call per access event.
        self.crawlers = crawler_watch(config.crawlers, config.allow)
        self._watch_crawlers = self.crawlers.observe if self.crawlers is not None else None
        if self.crawlers is not None:
            # A verified crawler's 404s are no forced browsing; a claim alone proves nothing.
            self.thresholds.trust_crawlers(self.crawlers.is_verified)
        self._max_line_bytes = config.max_line_bytes
        # Told to read error logs only, a line no format fits is not salvaged as an access line.
        self._salvages = config.log != "error"
        # The stages are compiled classes, called directly: a bound method kept in an
        # attribute would be a generic call (arguments boxed and parsed) for every line.
        self._detect_engine = self.detection.detect_engine
        self._sequences = self.detection.sequences
        self._tuned = {
            rule_id: settings
            for rule_id, settings in self.detection.settings.items()
            if settings.severity is not None or settings.allow
        }

    def process_bytes(self, data: bytes, origin: Origin) -> LineResult:
        """Decode one raw line (invalid UTF-8 replaced and counted), then :meth:`process`."""
        if len(data) > self._max_line_bytes:
            # Only the head is read (process() sees it is longer than the limit).
            data = data[: self._max_line_bytes + 1]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self.stats.invalid_utf8 += 1
            text = data.decode("utf-8", "replace")
        return self.process(text, origin)

    def process_lines(
        self,
        lines: Sequence[bytes],
        name: str,
        first: int,
        urgent: Callable[[LineResult], object] | None = None,
    ) -> int:
        """:meth:`process_bytes` each of ``lines``, numbered from ``first`` in source
        ``name``; ``urgent`` is called with each urgent line's result as it is made (before
        the next line's alerts). Returns the number of the line after the last.

        What ``lwsyslog scan`` runs per batch of lines: the loop runs compiled, where a
        Python loop cost each line a few hundred nanoseconds.
        """
        number = first
        for data in lines:
            result = self.process_bytes(data, origin_at(name, number))
            if urgent is not None and result.urgency is _URGENT:
                urgent(result)
            number += 1
        return number

    def process(self, text: str, origin: Origin) -> LineResult:
        """Run one line through every stage and deliver its alerts."""
        stats = self.stats
        stats.lines += 1
        if len(text) > self._max_line_bytes:
            return self._too_long(text, origin)
        event = self.parser.parse(text, origin)
        log = event.log
        if log == "access":
            stats.access += 1
            if self._watch_crawlers is not None:
                self._watch_crawlers(event)  # type: ignore[arg-type]
        elif log == "error":
            stats.error += 1
        else:
            return self._unparsed_line(event, text, origin, too_long=False)  # type: ignore[arg-type]
        return self._stages(event)  # type: ignore[arg-type]

    def _stages(self, event: AccessEvent | ErrorEvent) -> LineResult:
        """Detect, triage, count and (rarely) alert: everything after the parse."""
        findings = self._detect_engine.detect(event)
        for sequence in self._sequences:
            if findings or sequence.armed:
                findings = sequence.observe(event, findings)
        if findings:
            findings = self._apply_settings(findings, event)
            if findings and isinstance(event, AccessEvent) and _answered(event):
                findings = _escalate_answered(findings)
        urgency = self.triage.classify(event, bool(findings))
        crossings = self.thresholds.observe_line(event, urgency, findings)
        if urgency is _STANDARD and not crossings:
            # Made as a plain tuple is: LineResult() runs a Python-level __new__ (0.4 us).
            return _tuple_new(LineResult, (event, urgency, (), (), True))
        return self._escalate(event, urgency, findings, crossings)

    def _too_long(self, text: str, origin: Origin) -> LineResult:
        # Longer than any line Apache writes: only its head is read, as a cut line.
        text = text[: self._max_line_bytes]
        event = self.parser.parse(text, origin)
        if isinstance(event, Unparsed):
            return self._unparsed_line(event, text, origin, too_long=True)
        return self._counted(event)

    def _unparsed_line(
        self, event: Unparsed, text: str, origin: Origin, *, too_long: bool
    ) -> LineResult:
        """A line no format fits: read as a cut access line when it can be, else counted."""
        stats = self.stats
        salvaged = salvage_access(text, origin) if self._salvages else None
        if salvaged is None:
            if too_long:
                event = Unparsed(origin, text[:200], UnparsedReason.TOO_LONG)
            stats.unparsed[event.reason.value] += 1
            return LineResult(event)
        stats.cut_lines += 1
        return self._counted(salvaged)

    def _counted(self, event: AccessEvent | ErrorEvent) -> LineResult:
        if event.log == "access":
            self.stats.access += 1
            if self._watch_crawlers is not None:
                self._watch_crawlers(event)  # a cut line's User-Agent claims too
        else:
            self.stats.error += 1
        return self._stages(event)

    def _escalate(
        self,
        event: AccessEvent | ErrorEvent,
        urgency: Urgency,
        findings: list[Finding],
        crossings: Sequence[Crossing],
    ) -> LineResult:
        """The rare path: count an urgent line, make and deliver its alerts."""
        stats = self.stats
        stats.urgent += 1
        if event.client_ip:
            stats.count_client(event.client_ip)
        alerts: list[Alert] = []
        if findings:
            stats.lines_with_findings += 1
            stats.findings_by_rule.update(finding.rule_id for finding in findings)
            stats.findings_by_category.update({c for f in findings for c in f.categories})
            alerts = self.alert_maker.from_findings(Observation(event, urgency, findings))
        if crossings:
            alerts.extend(self.alert_maker.from_crossings(crossings, event.log))
        if alerts:
            answered = isinstance(event, AccessEvent) and _answered(event)
            alerts = self.dispatcher.fresh(self.storms.filter(alerts, answered=answered))
        delivered = True
        if alerts:
            stats.count_alerts(alerts)
            delivered = self.dispatcher.dispatch(alerts)
        return LineResult(event, urgency, findings, alerts, delivered)

    def _unparsed(self, origin: Origin, head: str, reason: UnparsedReason) -> LineResult:
        self.stats.unparsed[reason.value] += 1
        return LineResult(Unparsed(origin, head, reason))

    def _apply_settings(
        self, findings: list[Finding], event: AccessEvent | ErrorEvent
    ) -> list[Finding]:
        allow = self.config.allow
        path, user_agent = _path_and_agent(event)
        if allow and allow.allows(event.client_ip, path, user_agent):
            return []
        if not self._tuned:
            return findings
        kept = []
        for finding in findings:
            settings = self._tuned.get(finding.rule_id)
            if settings is None:
                kept.append(finding)
                continue
            if settings.allow and settings.allow.allows(event.client_ip, path, user_agent):
                continue
            if settings.severity is not None and settings.severity != finding.severity:
                kept.append(finding.with_severity(settings.severity))
            else:
                kept.append(finding)
        return kept

    def retry_delivery(self) -> bool:
        """Retry alerts a sink could not take; True when none is pending."""
        return self.dispatcher.retry()

    def deliver_verdicts(self, wait_secs: float = 0.0) -> None:
        """Raise the alerts of the crawler checks that came back; ``wait_secs`` (the end of
        a scan): wait that long at most for those still running."""
        if self.crawlers is not None:
            alerts = self.crawlers.settle(wait_secs) if wait_secs > 0 else self.crawlers.collect()
            if alerts:
                self._deliver(self.storms.filter(alerts))

    def deliver_due_summaries(self) -> None:
        """Deliver storm summaries whose window ended while input was quiet."""
        self._deliver(self.storms.due())

    def _deliver(self, alerts: list[Alert]) -> None:
        alerts = self.dispatcher.fresh(alerts)
        if alerts:
            self.stats.count_alerts(alerts)
            self.dispatcher.dispatch(alerts)

    def reopen(self) -> None:
        """Reopen sinks (SIGHUP)."""
        self.dispatcher.reopen()

    def close(self) -> None:
        """Deliver pending storm summaries, flush what is pending and close sinks (crawler
        checks still running are dropped, never waited for)."""
        if self.crawlers is not None:
            self.deliver_verdicts()
            self.crawlers.close()
        self._deliver(self.storms.flush())
        self.dispatcher.close()


def _path_and_agent(event: AccessEvent | ErrorEvent) -> tuple[str, str]:
    if isinstance(event, AccessEvent):
        return event.path, event.user_agent
    return "", ""


def _answered(event: AccessEvent) -> bool:
    return event.status is not None and 200 <= event.status < 300


def _escalate_answered(findings: list[Finding]) -> list[Finding]:
    """An attack the server answered with 2xx may have worked: one severity step up."""
    payload = PAYLOAD_CATEGORIES.isdisjoint
    return [
        finding if payload(finding.categories) else finding.with_severity(finding.severity.raised())
        for finding in findings
    ]


def parser_for(config: Config) -> LineParser:
    """The parse stage ``config`` describes (raises FormatError for a bad format)."""
    return LineParser(
        config.log,  # type: ignore[arg-type]
        config.access_formats,
        max_line_chars=config.max_line_bytes,
        trusted_proxies=config.trusted_proxies,
        json_keys=config.json_keys or None,
        iis_fields=config.iis_fields or None,
    )
