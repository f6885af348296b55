"""The built-in rules as a rule source: every class of the registry, one detector."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from lwsyslog.checks import Checker
from lwsyslog.detection.interface import Detector, LineSequence, RuleInfo, RuleVerdict
from lwsyslog.detection.signatures import Candidate, Signature
from lwsyslog.events import Event
from lwsyslog.findings import Finding
from lwsyslog.normalize import EventView
from lwsyslog.rules.base import Rule
from lwsyslog.rules.detector import RuleEngine
from lwsyslog.rules.planted import (
    DEFAULT_WINDOW_SECS,
    PLANTED_FETCH,
    PlantedScripts,
    planted_rule_info,
)
from lwsyslog.rules.registry import ALL_RULES
from lwsyslog.settings import Config, RuleSettings

__all__ = ["BUILTIN_SOURCE", "BuiltinDetector", "BuiltinSource", "rule_info"]


def rule_info(cls: type[Rule]) -> RuleInfo:
    """The catalog entry of one built-in rule class."""
    return RuleInfo(
        id=cls.id,
        kind="event",
        severity=cls.severity,
        categories=cls.categories,
        description=cls.description,
        logs=cls.logs,
        options=cls.options,
        cves=cls.cves,
    )


class BuiltinDetector(Detector):
    """The registered rule classes, instantiated with their settings (or, for tests, the rule
    instances given as ``rules``), and ``webshell-planted-fetch`` (:mod:`.planted`), the
    built-in rule over a client's successive lines (not with ``rules`` given, unless
    ``planted``)."""

    name = "built-in"

    def __init__(
        self,
        classes: Sequence[type[Rule]] = ALL_RULES,
        rules: Sequence[Rule] | None = None,
        *,
        planted: bool | None = None,
    ) -> None:
        self._classes = tuple(classes) if rules is None else tuple(type(rule) for rule in rules)
        with_planted = rules is None if planted is None else planted
        self._infos = tuple(rule_info(cls) for cls in self._classes) + (
            (planted_rule_info(),) if with_planted else ()
        )
        self._rules = None if rules is None else tuple(rules)
        self._engine: RuleEngine | None = None
        self._planted = PlantedScripts() if with_planted else None

    @property
    def engine(self) -> RuleEngine:
        """The engine of the configured rules (before :meth:`configure`: every rule with its
        defaults, or the rules given), built when first needed: start-up builds it once."""
        if self._engine is None:
            rules = self._rules
            self._engine = RuleEngine([cls() for cls in self._classes] if rules is None else rules)
        return self._engine

    def rules(self) -> Sequence[RuleInfo]:
        """Every registered rule class."""
        return self._infos

    def configure(self, settings: Mapping[str, RuleSettings]) -> None:
        """Instantiate the enabled rules, each with its options."""
        rules = []
        for cls in self._classes:
            own = settings.get(cls.id)
            if own is None:
                rules.append(cls())
            elif own.enabled:
                rules.append(cls.configured(own.options))
        self._engine = RuleEngine(rules)
        if self._planted is not None:
            own = settings.get(PLANTED_FETCH)
            if own is not None:
                self._planted = (
                    PlantedScripts(window_secs=own.options.get("window_secs", DEFAULT_WINDOW_SECS))
                    if own.enabled
                    else None
                )

    def sequence(self) -> LineSequence | None:
        """``webshell-planted-fetch`` when it is on."""
        return self._planted

    def signatures(self, log: str) -> Sequence[Signature]:
        """The literals that select each enabled rule, field by field."""
        return self.engine.signatures(log)

    def confirm(self, owner: int, field: str, text: str) -> str | None:
        """A field-local rule's verdict on one field's decoded text."""
        return self.engine.confirm(owner, field, text)

    def confirmer(self, owner: int, field: str) -> Callable[[str], str | None]:
        """:meth:`confirm` of one rule and field as a function of the text (for the plan)."""
        return self.engine.confirmer(owner, field)

    def selecting(self, log: str) -> tuple[tuple[Callable[[Event], Any], frozenset[Any]], ...]:
        """The attribute values (status, method, message id...) that select a rule of
        ``log`` without any literal: with none of them and no candidate, no finding."""
        return self.engine.selecting(log)

    def detect(
        self, event: Event, view: EventView, candidates: Sequence[Candidate]
    ) -> list[Finding]:
        """The findings of the enabled rules that match ``event``."""
        return self.engine.detect(event, view, candidates)

    def explain(
        self, event: Event, view: EventView, selected: Collection[int]
    ) -> list[RuleVerdict]:
        """Every enabled rule's verdict, evaluated without the prefilter."""
        return self.engine.explain(event, view, selected)


class BuiltinSource:
    """Loads :class:`BuiltinDetector`; it owns no configuration table."""

    name = "built-in"
    table = ""
    schema: Mapping[str, Checker] = {}

    def load(self, config: Config) -> Detector:
        """The built-in rules (always loaded; ``[rules.ID]`` switches single ones off)."""
        return BuiltinDetector()


BUILTIN_SOURCE = BuiltinSource()
