"""Every configured detector, loaded and checked together: the detect stage of the pipeline.

:func:`load_detection` loads each rule source of :data:`~lwsyslog.detection.sources.SOURCES`,
then checks the ``[rules.ID]`` tables against the rules that really loaded (an unknown id or
option is an error naming file, line, table and key, whichever source the rule comes from),
hands each detector its settings, and returns one :class:`Detection` that the pipeline,
``lwsyslog rules``, ``explain`` and ``check-config`` all use. Per event it scans each field
once for the literals of every detector's rules (:mod:`lwsyslog.detection.plan`) and asks
each detector about the rules selected for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from lwsyslog.config_budget import check_threshold_memory
from lwsyslog.detection.engine import DetectEngine, Explanation
from lwsyslog.detection.interface import Detector, LineSequence, RuleInfo
from lwsyslog.detection.sources import SOURCES
from lwsyslog.errors import ConfigError
from lwsyslog.matching.scanner import engine_name
from lwsyslog.settings import Config, RuleSettings, ThresholdSettings
from lwsyslog.thresholds import THRESHOLD_RULES, ThresholdRule

__all__ = ["Detection", "Explanation", "load_detection"]

_SHOWN_IDS = 8


class Detection:
    """The loaded detectors and the catalog of every rule they and the thresholds define."""

    def __init__(
        self, detectors: Sequence[Detector], config: Config, engine: str | None = None
    ) -> None:
        self.detectors = tuple(detectors)
        #: The ``[rules.ID]`` settings by canonical rule id (aliases resolved).
        self.settings: Mapping[str, RuleSettings] = config.rules
        infos: list[RuleInfo] = []
        for detector in self.detectors:
            infos.extend(detector.rules())
        infos.extend(_threshold_infos(config))
        self.rules: tuple[RuleInfo, ...] = tuple(
            replace(info, enabled=config.rule_settings(info.id).enabled)
            if info.kind == "event"
            else info
            for info in infos
        )
        self._by_id = {info.id: info for info in self.rules}
        #: What runs the detectors on events (compiled: the pipeline calls it directly).
        self.detect_engine = DetectEngine(self.detectors, engine)
        #: The literal matching engine in use (``hyperscan`` or ``re``).
        self.engine = self.detect_engine.engine
        self.detect = self.detect_engine.detect
        self.explain = self.detect_engine.explain
        #: The enabled rules over a client's successive lines, which the pipeline shows every
        #: line's findings after the detect stage.
        self.sequences: tuple[LineSequence, ...] = tuple(
            sequence for d in self.detectors if (sequence := d.sequence()) is not None
        )

    def configured(self, config: Config) -> Config:
        """``config`` with its ``[rules.ID]`` tables keyed by canonical rule id."""
        return replace(config, rules=self.settings)

    def rule_ids(self) -> frozenset[str]:
        """Every rule id (event and threshold rules, and their aliases)."""
        return frozenset(name for info in self.rules for name in (info.id, *info.aliases))

    def info(self, rule_id: str) -> RuleInfo | None:
        """The rule with id ``rule_id`` (``None`` when no source defines one)."""
        return self._by_id.get(rule_id)

    def thresholds(self) -> list[tuple[ThresholdRule, ThresholdSettings]]:
        """Threshold rules the detectors define (Sigma correlations), with their settings."""
        return [pair for detector in self.detectors for pair in detector.thresholds()]

    def descriptions(self) -> dict[str, str]:
        """What each event rule detects, by id (an alert's opening words)."""
        return {info.id: info.description for info in self.rules if info.kind == "event"}

    def feeding_only(self) -> frozenset[str]:
        """Ids of rules whose findings feed thresholds but never alert on their own."""
        return frozenset(info.id for info in self.rules if not info.alerts_alone)

    def summary(self) -> list[tuple[str, str, int]]:
        """``(source, where, event rules enabled)`` per detector, for ``check-config``."""
        rows = []
        for detector in self.detectors:
            ids = {info.id for info in detector.rules() if info.kind == "event"}
            enabled = sum(1 for info in self.rules if info.id in ids and info.enabled)
            rows.append((detector.name, detector.where(), enabled))
        return rows


def load_detection(config: Config, engine: str | None = None) -> Detection:
    """Load every configured rule source and check the per-rule settings against them.

    ``engine`` picks the literal matching engine (``hyperscan`` or ``re``; default: the
    process's, see :func:`~lwsyslog.matching.scanner.engine_name`). Raises
    :class:`~lwsyslog.errors.RuleError` when a rule cannot be loaded and
    :class:`~lwsyslog.errors.ConfigError` for a ``[rules.ID]`` table that names no loaded
    rule or an option the rule does not take, and for a source's threshold rule (a Sigma
    correlation) that ``[alerts] memory_budget_bytes`` cannot hold beside the others.
    """
    detectors = [d for d in (source.load(config) for source in SOURCES) if d is not None]
    infos = [info for detector in detectors for info in detector.rules()]
    settings = _canonical_settings(config.rules, infos)
    for detector in detectors:
        own = {info.id for info in detector.rules()}
        detector.configure({rule_id: s for rule_id, s in settings.items() if rule_id in own})
    check_threshold_memory(
        config.thresholds,
        config.memory_budget_bytes,
        lambda path: config.location(*path),
        extra=[pair for detector in detectors for pair in detector.thresholds()],
        files={info.id: info.source for info in infos if info.kind == "threshold"},
    )
    canonical = replace(config, rules=settings)
    return Detection(detectors, canonical, engine or _engine(config.detection_engine))


def _engine(configured: str) -> str | None:
    if configured == "auto":
        return None
    if configured == "hyperscan" and engine_name() != "hyperscan":
        raise ConfigError(
            "Hyperscan is not installed or does not work on this machine "
            '(pip install hyperscan), or set engine = "auto"',
            table="detection",
            key="engine",
        )
    return configured


def _canonical_settings(
    tables: Mapping[str, RuleSettings], infos: Iterable[RuleInfo]
) -> dict[str, RuleSettings]:
    by_name: dict[str, RuleInfo] = {}
    for rule in infos:
        if rule.kind != "event":
            continue
        by_name[rule.id] = rule
        for alias in rule.aliases:
            by_name.setdefault(alias, rule)
    settings: dict[str, RuleSettings] = {}
    for name, table in tables.items():
        info = by_name.get(name)
        if info is None:
            known = sorted({i.id for i in by_name.values()})
            shown = ", ".join(known[:_SHOWN_IDS]) + (", ..." if len(known) > _SHOWN_IDS else "")
            raise ConfigError(
                f"no loaded rule has this id (known: {shown}; `lwsyslog rules` lists all)",
                file=table.where.file,
                line=table.where.line,
                table="rules",
                key=name,
            )
        _check_options(name, table, info)
        settings[info.id] = table
    return settings


def _check_options(name: str, table: RuleSettings, info: RuleInfo) -> None:
    for key, value in table.options.items():
        check = info.options.get(key)
        problem = (
            f"rule {info.id} takes no option {key!r} (it takes: enabled, severity, allow"
            + "".join(f", {option}" for option in info.options)
            + ")"
            if check is None
            else check(value)
        )
        if problem:
            raise ConfigError(
                problem,
                file=table.where.file,
                line=table.lines.get(key, table.where.line),
                table=f"rules.{name}",
                key=key,
            )


def _threshold_infos(config: Config) -> list[RuleInfo]:
    # Every built-in threshold has a table in the built-in defaults, so settings always exist.
    infos = []
    for rule in THRESHOLD_RULES:
        settings = config.thresholds[rule.id]
        infos.append(
            RuleInfo(
                id=rule.id,
                kind="threshold",
                severity=settings.severity,
                categories=rule.categories,
                description=f"{rule.description} ({settings.count} in {settings.window_secs:g}s)",
                enabled=settings.enabled,
            )
        )
    return infos
