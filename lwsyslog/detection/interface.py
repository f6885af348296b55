"""The one shape every detection source has: built-in rules and Sigma rule sets alike.

A :class:`Detector` owns the event rules of one source. It lists them as :class:`RuleInfo`
(what ``lwsyslog rules`` prints and alerts are described with), declares for each rule the
literal text it cannot match a field without (its :class:`Signature` objects: the detect
stage scans each field once for the literals of every detector), turns the rules the scan
selected into findings, explains its verdicts for ``lwsyslog explain``, may contribute
threshold rules (a Sigma ``event_count`` correlation) and a rule over a client's successive
lines (a :class:`LineSequence`: the built-in ``webshell-planted-fetch``), and takes per-rule
settings by id once the configuration is checked against every loaded rule. A
:class:`RuleSource` says how to
load one (and which configuration table it owns); :mod:`lwsyslog.detection.sources` lists
them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from lwsyslog.checks import Checker
from lwsyslog.detection.signatures import Candidate, Signature
from lwsyslog.events import Event
from lwsyslog.findings import Finding
from lwsyslog.normalize import EventView
from lwsyslog.settings import Config, RuleSettings, ThresholdSettings
from lwsyslog.severity import Severity
from lwsyslog.thresholds import ThresholdRule

__all__ = ["Detector", "LineSequence", "RuleInfo", "RuleKind", "RuleSource", "RuleVerdict"]

RuleKind = Literal["event", "threshold", "health"]


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What a person and an alert need to know of one rule, whatever its source.

    ``source`` is ``built-in`` or the file the rule was read from. ``aliases`` are other names
    ``[rules.NAME]`` may use for it (a Sigma rule's bare id). ``alerts_alone`` is false for a
    rule whose findings only feed a threshold (a Sigma correlation's building block).
    ``options`` are the keys its ``[rules.ID]`` table takes beyond enabled/severity/allow.
    """

    id: str
    kind: RuleKind
    severity: Severity
    categories: tuple[str, ...]
    description: str
    source: str = "built-in"
    logs: frozenset[str] = frozenset({"access", "error"})
    alerts_alone: bool = True
    aliases: tuple[str, ...] = ()
    enabled: bool = True
    cves: tuple[str, ...] = ()
    options: Mapping[str, Checker] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    """What one rule says about one event, for ``lwsyslog explain``.

    ``selected`` tells whether the prefilter chose the rule for evaluation (a rule that matches
    without being selected is a bug in its prefilter: detection would miss it).
    """

    rule_id: str
    matched: bool
    field: str = ""
    fragment: str = ""
    selected: bool = False


class Detector(ABC):
    """The event rules of one source."""

    #: Short name of the source, for ``check-config`` and diagnostics (``built-in``, ``sigma``).
    name: str

    @abstractmethod
    def rules(self) -> Sequence[RuleInfo]:
        """Every rule of the source, event rules and threshold rules, enabled or not."""

    @abstractmethod
    def configure(self, settings: Mapping[str, RuleSettings]) -> None:
        """Take the per-rule settings (by canonical id; rules without an entry keep their
        defaults): drop disabled rules, apply options. Called once, before any event."""

    def signatures(self, log: str) -> Sequence[Signature]:
        """What selects each enabled rule on events of ``log`` (none by default: the detector
        then gets no candidates and decides alone)."""
        return ()

    def confirm(self, owner: int, field: str, text: str) -> str | None:
        """For a local signature: the fragment rule ``owner`` matches in ``field``'s decoded
        text, or ``None``. Only called for signatures the detector marked local."""
        raise NotImplementedError(f"{self.name} declares no local signature")

    @abstractmethod
    def detect(
        self, event: Event, view: EventView, candidates: Sequence[Candidate]
    ) -> list[Finding]:
        """The findings of the enabled rules that match ``event``: the ``candidates`` the scan
        selected (local ones already confirmed) and any rule the detector selects itself."""

    @abstractmethod
    def explain(
        self, event: Event, view: EventView, selected: Collection[int]
    ) -> list[RuleVerdict]:
        """Every enabled rule's verdict on ``event``, evaluated without any prefilter;
        ``selected`` holds the owners the scan chose."""

    def thresholds(self) -> Sequence[tuple[ThresholdRule, ThresholdSettings]]:
        """Threshold rules the source defines over its own findings (none by default)."""
        return ()

    def sequence(self) -> LineSequence | None:
        """The source's rule over a client's successive lines, if it has an enabled one (none
        by default); called after :meth:`configure`."""
        return None

    def where(self) -> str:
        """Where the rules were loaded from, for ``check-config``."""
        return self.name


class LineSequence(Protocol):
    """A rule whose finding on a line depends on the same client's earlier lines: the
    pipeline shows it each line's findings of every detector, and it may add its own."""

    #: False while no earlier line can make a finding of it: then it needs only the lines
    #: that have findings.
    armed: bool

    def observe(self, event: Event, findings: list[Finding]) -> list[Finding]:
        """``event``'s findings, with the rule's own when it has one."""
        ...


class RuleSource(Protocol):
    """How one kind of rules is loaded, and the configuration table it owns, if any."""

    @property
    def name(self) -> str:
        """The source's name (``built-in``, ``sigma``)."""

    @property
    def table(self) -> str:
        """Top-level configuration table of the source (``""``: none)."""

    @property
    def schema(self) -> Mapping[str, Checker]:
        """The keys of :attr:`table` and their checks."""

    def load(self, config: Config) -> Detector | None:
        """The source's detector, or ``None`` when the configuration asks for none.

        Raises :class:`~lwsyslog.errors.RuleError` naming the file and the reason when a
        rule cannot be loaded.
        """
