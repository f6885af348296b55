"""The rule pack behind the common detector interface.

Each rule is one pattern over the decoded, lower-cased text of some access-log fields, like a
built-in pattern rule: its literal requirement becomes one local signature per field, so the
detect stage's one scan per field selects it and confirms it on that field's text (the verdict
cached with the text). :meth:`PackDetector.detect` only applies what the text cannot say (the
request method) and makes the findings, which carry the rule's CVEs.

A rule on ``path`` or ``target`` also reads that field as the server behind Apache sees it
(:mod:`lwsyslog.canonical`: ``/mgmt//tm/`` is ``/mgmt/tm/`` there): one more signature per
canonical field, whose finding names ``path`` or ``target`` with the fragment matched in the
canonical form.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from lwsyslog.categories import category_list
from lwsyslog.checks import Checker
from lwsyslog.detection.interface import Detector, RuleInfo, RuleVerdict
from lwsyslog.detection.signatures import Candidate, Signature
from lwsyslog.events import AccessEvent, Event
from lwsyslog.findings import Finding
from lwsyslog.normalize import EventView
from lwsyslog.rulepack.pack import FORMS, RulePack, read_fields, shown_field
from lwsyslog.rulepack.schema import PackRule, compiled_search
from lwsyslog.rules.detector import FIELD_ORDER, MAX_FRAGMENT_CHARS
from lwsyslog.settings import RuleSettings

__all__ = ["RULE_OPTIONS", "PackDetector", "pack_info"]

#: What a pack rule's ``[rules.ID]`` table takes beyond enabled, severity and allow.
RULE_OPTIONS: Mapping[str, Checker] = {"categories": category_list}
_RANK = {field: rank for rank, field in enumerate(FIELD_ORDER)}
_ACCESS = frozenset({"access"})


# Each field's place among the forms of its field (0: the field as logged).
_FORM = {name: place for names in FORMS.values() for place, name in enumerate(names)}


def _rank(field: str) -> tuple[int, int]:
    """A field's place among a rule's matches, as :meth:`PackDetector.explain` searches
    them: the field as logged before its canonical forms, which a match in the logged text
    makes needless to show."""
    return _RANK.get(shown_field(field), len(FIELD_ORDER)), _FORM.get(field, 0)


def pack_info(rule: PackRule) -> RuleInfo:
    """The catalog entry of one pack rule."""
    cves = f" ({', '.join(rule.cves)})" if rule.cves else ""
    return RuleInfo(
        id=rule.id,
        kind="event",
        severity=rule.severity,
        categories=rule.categories,
        description=f"{rule.title}{cves}",
        source=rule.file,
        logs=_ACCESS,
        cves=rule.cves,
        options=RULE_OPTIONS,
    )


class PackDetector(Detector):
    """The known-exploit rules of a :class:`RulePack`."""

    name = "rule-pack"

    def __init__(self, pack: RulePack, directories: Sequence[Path]) -> None:
        self._all = pack
        self._directories = tuple(directories)
        self._infos = tuple(pack_info(rule) for rule in pack.rules)
        self._use(pack)

    def _use(self, pack: RulePack) -> None:
        self.pack = pack
        self._rules = pack.rules
        # Each rule's search, compiled when its literals first select it (a pack read from
        # the cache compiled none): a stub stands in until then and puts the search here.
        searches: list[Callable[[str], str | None]] = []
        searches.extend(
            _first_search(searches, owner, rule.source) for owner, rule in enumerate(self._rules)
        )
        self._searches = searches
        self._signatures = tuple(
            Signature(owner, field, "decoded", rule.requirement, True)
            for owner, rule in enumerate(self._rules)
            for field in read_fields(rule)
        )

    def rules(self) -> Sequence[RuleInfo]:
        """Every rule of the pack."""
        return self._infos

    def configure(self, settings: Mapping[str, RuleSettings]) -> None:
        """Leave out the rules switched off by ``[rules.ID] enabled = false`` and give the
        rules of ``[rules.ID] categories = [...]`` those categories."""
        disabled = [rule_id for rule_id, own in settings.items() if not own.enabled]
        pack = self._all.without(disabled) if disabled else self._all
        chosen = {
            rule_id: tuple(own.options["categories"])
            for rule_id, own in settings.items()
            if "categories" in own.options
        }
        self._use(pack.with_categories(chosen) if chosen else pack)

    def signatures(self, log: str) -> Sequence[Signature]:
        """The literals that select each enabled rule, field by field (access log only)."""
        return self._signatures if log == "access" else ()

    def selecting(self, log: str) -> tuple[tuple[Callable[[Event], Any], frozenset[Any]], ...]:
        """No attribute value selects a pack rule without its literals: an event with no
        candidate of this detector needs no call (see :class:`~lwsyslog.detection.engine.
        DetectEngine`)."""
        return ()

    def confirm(self, owner: int, field: str, text: str) -> str | None:
        """The fragment rule ``owner``'s pattern matches in ``field``'s decoded text."""
        return self._searches[owner](text)

    def detect(
        self, event: Event, view: EventView, candidates: Sequence[Candidate]
    ) -> list[Finding]:
        """A finding for each confirmed candidate whose method and status conditions hold."""
        if not candidates or not isinstance(event, AccessEvent):
            return []
        best: dict[int, tuple[tuple[int, int], str, str]] = {}
        for owner, field, fragment in candidates:
            if fragment is None:
                continue
            rank = _rank(field)
            seen = best.get(owner)
            if seen is None or rank < seen[0]:
                best[owner] = (rank, field, fragment)
        findings = []
        for owner in sorted(best):
            rule = self._rules[owner]
            if not rule.applies(event.method, event.status):
                continue
            _, field, fragment = best[owner]
            findings.append(_finding(rule, event, shown_field(field), fragment))
        return findings

    def explain(
        self, event: Event, view: EventView, selected: Collection[int]
    ) -> list[RuleVerdict]:
        """Every enabled rule's verdict, each field (and canonical form) searched without the
        prefilter."""
        if not isinstance(event, AccessEvent):
            return []
        verdicts = []
        for owner, rule in enumerate(self._rules):
            field = fragment = ""
            if rule.applies(event.method, event.status):
                for name in read_fields(rule):
                    text = view.lower(name)
                    found = rule.search.search(text) if text else None
                    if found is not None:
                        field, fragment = shown_field(name), found[:MAX_FRAGMENT_CHARS]
                        break
            verdicts.append(RuleVerdict(rule.id, bool(field), field, fragment, owner in selected))
        return verdicts

    def where(self) -> str:
        """The pack directories and how many files were read."""
        shown = ", ".join(str(path) for path in self._directories)
        return f"{shown} ({len(self._all.files)} files)"


def _first_search(
    searches: list[Callable[[str], str | None]], owner: int, source: str
) -> Callable[[str], str | None]:
    """A stand-in for rule ``owner``'s search: compiles it, puts it in its place, runs it."""

    def first(text: str) -> str | None:
        search = compiled_search(source).search
        searches[owner] = search
        return search(text)

    return first


def _finding(rule: PackRule, event: AccessEvent, field: str, fragment: str) -> Finding:
    return Finding(
        rule_id=rule.id,
        categories=rule.categories,
        severity=rule.severity,
        client_ip=event.client_ip,
        origin=event.origin,
        log=event.log,
        time=event.time,
        field=field,
        fragment=fragment[:MAX_FRAGMENT_CHARS],
        cves=rule.cves,
    )
