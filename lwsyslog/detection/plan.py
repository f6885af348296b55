"""One scan per field for every rule of every detector: the detect stage's plan for one log.

At start-up the signatures of all detectors are grouped by the event attribute their field is
read from (an access event's ``target``, ``path`` and ``query`` all come from its target, so
their literals are looked for in the decoded target in one scan: a literal in the path or the
query is a literal in the target). Per attribute and form there is one
:class:`~lwsyslog.matching.scanner.LiteralScanner` holding every literal of every signature;
when the decoded text and the case-folded raw text are the same (no encoding at all, the
usual case) one scan serves both forms.

What an attribute value gives (the candidates, with local rules already confirmed) is cached
per value, bounded: a User-Agent or Referer seen before costs one dict lookup.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import NamedTuple

from lwsyslog.detection.signatures import Candidate, Signature
from lwsyslog.events import Event
from lwsyslog.matching.fold import fold
from lwsyslog.matching.literals import Requirement
from lwsyslog.matching.scanner import LiteralScanner, compile_literals
from lwsyslog.normalize import EventView, raw_source

__all__ = [
    "CACHE_ENTRIES",
    "MAX_CACHED_CHARS",
    "Confirm",
    "LogPlan",
    "Selected",
    "strongest_clause",
]

#: Values remembered per event attribute; when full the cache starts afresh (no per-hit
#: bookkeeping on the hot path).
CACHE_ENTRIES = 4096
#: Longer values are not cached: they rarely repeat, and the cache must stay small in bytes
#: (4,096 values of at most 1 KiB each per attribute) whatever the lines hold.
MAX_CACHED_CHARS = 1024

Confirm = Callable[[int, str, str], str | None]
"""A detector's confirmation of a local signature: ``(owner, field, text) -> fragment``."""


class Selected(NamedTuple):
    """A candidate and the detector (by position) it belongs to."""

    detector: int
    candidate: Candidate


_NOTHING: tuple[Selected, ...] = ()


class _Slot(NamedTuple):
    detector: int
    signature: Signature
    groups: int  # how many requirement groups must all be hit


def strongest_clause(requirement: Requirement) -> Requirement:
    """The one clause of ``requirement`` least likely to occur in ordinary text: its shortest
    literal is the longest (fewer literals on a tie).

    Every clause is necessary, so one of them selects a superset of what all of them select;
    the rule's confirmation decides. Scanning for the rest only costs a reported hit per
    common literal (``/``, ``=``, ``or``) on nearly every line.
    """
    if len(requirement) <= 1:
        return requirement
    best = max(requirement, key=lambda clause: (min(map(len, clause)), -len(clause)))
    return (best,)


class _Selector:
    """The literals of some signatures in one scanner; says which signatures are satisfied."""

    def __init__(self, slots: Sequence[_Slot], engine: str | None) -> None:
        self.slots = tuple(slots)
        literals: dict[str, int] = {}
        owners: list[list[tuple[int, int]]] = []
        always: list[int] = []
        for index, slot in enumerate(self.slots):
            requirement = slot.signature.requirement
            if requirement is None:
                always.append(index)
                continue
            for group, strings in enumerate(strongest_clause(requirement)):
                for literal in strings:
                    position = literals.setdefault(literal, len(literals))
                    if position == len(owners):
                        owners.append([])
                    owners[position].append((index, group))
        self._owners = tuple(tuple(entry) for entry in owners)
        self._always = tuple(always)
        self.scanner: LiteralScanner = compile_literals(list(literals), engine)

    def select(self, text: str) -> list[int]:
        """Indexes into :attr:`slots` of the signatures ``text`` satisfies."""
        found = self.scanner.find(text)
        if not found:
            return list(self._always)
        hits: dict[int, int] = {}
        owners = self._owners
        for literal in found:
            for index, group in owners[literal]:
                hits[index] = hits.get(index, 0) | (1 << group)
        slots = self.slots
        chosen = [index for index, mask in hits.items() if mask == (1 << slots[index].groups) - 1]
        return [*self._always, *chosen] if self._always else chosen


class _Unit:
    """One text scanned for a set of fields: the decoded text, the raw one, or both at once."""

    def __init__(self, log: str, scanned: str, slots: Sequence[_Slot], engine: str | None) -> None:
        self.field = scanned
        decoded = [slot for slot in slots if slot.signature.form == "decoded"]
        raw = [slot for slot in slots if slot.signature.form == "raw"]
        self.decoded = _Selector(decoded, engine) if decoded else None
        self.raw = _Selector(raw, engine) if raw else None
        self.both = _Selector([*decoded, *raw], engine) if decoded and raw else None

    def select(self, view: EventView) -> list[_Slot]:
        """The signatures this event's text satisfies, in either form."""
        decoded_text = view.lower(self.field) if self.decoded is not None else ""
        if self.raw is None:
            assert self.decoded is not None
            return [self.decoded.slots[i] for i in self.decoded.select(decoded_text)]
        raw_text = fold(view.raw(self.field))
        if self.both is not None and raw_text == decoded_text:
            return [self.both.slots[i] for i in self.both.select(raw_text)]
        chosen = [self.raw.slots[i] for i in self.raw.select(raw_text)] if raw_text else []
        if self.decoded is not None and decoded_text:
            chosen.extend(self.decoded.slots[i] for i in self.decoded.select(decoded_text))
        return chosen


class _Source:
    """One event attribute: its scan units, and what each value gave, cached."""

    def __init__(self, attribute: str, units: Sequence[_Unit]) -> None:
        self.attribute = attribute
        self.read = operator.attrgetter(attribute)
        self.units = tuple(units)
        self.cache: dict[str, tuple[Selected, ...]] = {}
        self.get = self.cache.get

    def fill(self, raw: str, view: EventView, confirms: Sequence[Confirm]) -> tuple[Selected, ...]:
        """:meth:`scan` the event ``raw`` came from and cache the result for ``raw``."""
        found = self.scan(view, confirms)
        if len(raw) <= MAX_CACHED_CHARS:
            cache = self.cache
            if len(cache) >= CACHE_ENTRIES:
                cache.clear()
            cache[raw] = found
        return found

    def scan(
        self, view: EventView, confirms: Sequence[Confirm], confirm: bool = True
    ) -> tuple[Selected, ...]:
        """Scan the attribute's texts and confirm local signatures (on the decoded text);
        without ``confirm``, every selected rule is a candidate to evaluate."""
        selected: list[Selected] = []
        for unit in self.units:
            for slot in unit.select(view):
                signature = slot.signature
                field = signature.field
                text = view.lower(field)
                if not text:
                    continue
                if not (signature.local and confirm):
                    selected.append(
                        Selected(slot.detector, Candidate(signature.owner, field, None))
                    )
                    continue
                fragment = confirms[slot.detector](signature.owner, field, text)
                if fragment is not None:
                    selected.append(
                        Selected(slot.detector, Candidate(signature.owner, field, fragment))
                    )
        return tuple(selected) if selected else _NOTHING


# Which text each field's literals are looked for in: the decoded target holds the decoded
# path and query (split at the first "?"), so one scan serves all three.
_SCANNED_IN = {"path": "target", "query": "target"}


class LogPlan:
    """The sources of one log type (``access`` or ``error``) and their scanners."""

    def __init__(
        self,
        log: str,
        signatures: Sequence[Sequence[Signature]],
        engine: str | None = None,
    ) -> None:
        by_text: dict[tuple[str, str], list[_Slot]] = {}
        for detector, owned in enumerate(signatures):
            for signature in owned:
                if not raw_source(log, signature.field):
                    continue  # the field is always empty on this log
                scanned = signature.field
                if log == "access":
                    scanned = _SCANNED_IN.get(scanned, scanned)
                attribute = raw_source(log, scanned)
                groups = len(strongest_clause(signature.requirement or ()))
                slot = _Slot(detector, signature, groups)
                by_text.setdefault((attribute, scanned), []).append(slot)
        units: dict[str, list[_Unit]] = {}
        for (attribute, scanned), slots in by_text.items():
            units.setdefault(attribute, []).append(_Unit(log, scanned, slots, engine))
        self.sources = tuple(_Source(attribute, found) for attribute, found in units.items())
        self.engine = next(
            (
                selector.scanner.engine
                for source in self.sources
                for unit in source.units
                for selector in (unit.decoded, unit.raw)
                if selector is not None
            ),
            engine or "",
        )

    def select(
        self, event: Event, view: EventView, confirms: Sequence[Confirm]
    ) -> tuple[Selected, ...]:
        """Every candidate of every detector on ``event`` (cached per attribute value)."""
        found = _NOTHING
        for source in self.sources:
            raw = source.read(event)
            if raw:
                hit = source.get(raw)
                if hit is None:
                    hit = source.fill(raw, view, confirms)
                if hit:
                    found += hit
        return found

    def selected(self, event: Event, view: EventView) -> tuple[Selected, ...]:
        """Every rule the scan selects on ``event``, before any confirmation and without the
        caches (for ``explain``)."""
        found: list[Selected] = []
        for source in self.sources:
            if source.read(event):
                found.extend(source.scan(view, (), confirm=False))
        return tuple(found)
