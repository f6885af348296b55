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

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Final, NamedTuple

from lwsyslog.canonical import CANONICAL_FIELDS, canonical_fields
from lwsyslog.detection.signatures import Candidate, Signature
from lwsyslog.events import Event, reader
from lwsyslog.matching.fold import fold
from lwsyslog.matching.literals import Requirement
from lwsyslog.matching.scanner import ENGINES, LiteralScanner, compile_literals, engine_name
from lwsyslog.normalize import EventView, raw_source, undecoded

__all__ = [
    "CACHE_ENTRIES",
    "MAX_CACHED_CHARS",
    "Confirm",
    "Confirmer",
    "LogPlan",
    "Selected",
    "strongest_clause",
]

#: Values remembered per event attribute; when full the cache starts afresh (no per-hit
#: bookkeeping on the hot path).
CACHE_ENTRIES = 4096
#: Longer values are not cached: they rarely repeat, and the cache must stay small in bytes
#: (4,096 values of at most 1 KiB each per attribute) whatever the lines hold.
MAX_CACHED_CHARS: Final = 1024

Confirm = Callable[[int, str, str], str | None]
"""A detector's confirmation of a local signature: ``(owner, field, text) -> fragment``."""

Confirmer = Callable[[int, str], Callable[[str], str | None]]
"""A detector's confirmation of one rule on one field, made at start-up: ``(owner, field) ->
(text -> fragment)``."""


class Selected(NamedTuple):
    """A candidate and the detector (by position) it belongs to."""

    detector: int
    candidate: Candidate


_NOTHING: Final[tuple[Selected, ...]] = ()


class _Slot(NamedTuple):
    detector: int
    signature: Signature
    # What the slot gives when its rule needs no confirmation here: made once, shared.
    selected: Selected
    # A local signature's confirmation on its field's text (None: evaluated on the event).
    confirm: Callable[[str], str | None] | None
    # For a field cut from the text scanned (a target's path or query): the literals that
    # selected the signature, one of which the field itself must hold for a match there.
    within: tuple[str, ...] = ()


def strongest_clause(requirement: Requirement) -> Requirement:
    """The one clause of ``requirement`` least likely to occur in ordinary text: the one
    whose most common literal (as scanned) is rarest, fewer literals on a tie.

    Every clause is necessary, so one of them selects a superset of what all of them select;
    the rule's confirmation decides. Scanning for the rest only costs a reported hit per
    common literal (``/``, ``=``, ``or``) on nearly every line.
    """
    if len(requirement) <= 1:
        return requirement
    best = max(requirement, key=_clause_rarity)
    return (best,)


# Characters that ordinary URLs, User-Agents and Referers rarely hold: a literal with one is
# rarer than a longer literal of letters ("<" selects fewer lines than "img" or "or"), or
# than one with a common character before them ("/img" is in many a site's image paths).
_RARE_CHARS = frozenset("<>\"'`${}|\\^~[]!*#@\n")
_RARE_WEIGHT = 4


def _rarity(literal: str) -> int:
    return len(literal) + (_RARE_WEIGHT - 1) * sum(
        1 for char in literal if char in _RARE_CHARS or not char.isascii()
    )


def _clause_rarity(clause: frozenset[str]) -> tuple[int, int]:
    scanned = _scanned_literals(clause)
    return (min(map(_rarity, scanned)), -len(scanned))


@lru_cache(maxsize=4096)
def _scanned_literals(clause: frozenset[str]) -> tuple[str, ...]:
    """What is scanned for ``clause``: a text meets the clause only if it holds one of these.

    A line break counts as a space (the scanned text's are made spaces too), so the variants
    that white space gives a literal (``bash -c``, ``bash\n-c``) are one; and a literal that
    holds a shorter one of the clause adds nothing (``$(`` occurs wherever ``$(true`` does).
    Remembered per clause: the rule pack's checks, every log's plan and every field's selector
    ask about the same clauses, some of thousands of literals.
    """
    kept: list[str] = []
    # Ties in text order: the same literals in the same order in every process, so a stored
    # matching database (lwsyslog.matching.dbcache) is found again by its key.
    spelled = {literal.replace("\n", " ") for literal in clause}
    for literal in sorted(spelled, key=lambda text: (len(text), text)):
        if not any(shorter in literal for shorter in kept):
            kept.append(literal)
    return tuple(kept)


class _Selector:
    """The literals of some signatures in one scanner; says which signatures are satisfied.

    A signature is satisfied when its strongest clause is: each literal maps to the slots it
    satisfies, so one hit (the usual case when anything is hit) is one lookup.
    """

    def __init__(self, slots: Sequence[_Slot], engine: str | None) -> None:
        self.slots = tuple(slots)
        literals: dict[str, list[int]] = {}
        always: list[int] = []
        for index, slot in enumerate(self.slots):
            requirement = slot.signature.requirement
            if requirement is None:
                always.append(index)
                continue
            for strings in strongest_clause(requirement):
                for literal in _scanned_literals(strings):
                    owners = literals.setdefault(literal, [])
                    if index not in owners:
                        owners.append(index)
        self._always = tuple(self.slots[index] for index in always)
        self._indexes = tuple(frozenset((*always, *owners)) for owners in literals.values())
        self._owners = tuple(
            tuple(self.slots[index] for index in sorted(indexes)) for indexes in self._indexes
        )
        # Literals that select the same signatures share a number: a text holding several of
        # one rule's literals (``-r`` and ``-n`` in ``/blog/1-release-notes``) selects that
        # rule without a union of sets.
        numbers: dict[frozenset[int], int] = {}
        self._same = tuple(numbers.setdefault(indexes, len(numbers)) for indexes in self._indexes)
        self._literals = list(literals)
        if any(not literal for literal in self._literals):
            raise ValueError("a literal must not be empty")
        #: The engine that scans (the scanner itself is compiled at the first scan: a field
        #: a log never has, or an error log's fields in a log of access lines, cost nothing).
        self.engine = engine or engine_name()
        if self.engine not in ENGINES:
            raise ValueError(f"unknown matching engine {self.engine!r}")
        self._scanner: LiteralScanner | None = None
        self._find: Callable[[str], list[int]] = self._compile_and_find

    @property
    def scanner(self) -> LiteralScanner:
        """The compiled scanner of the literals."""
        if self._scanner is None:
            self._scanner = compile_literals(self._literals, self.engine)
            self._find = self._scanner.find
        return self._scanner

    def _compile_and_find(self, text: str) -> list[int]:
        return self.scanner.find(text)

    def select(self, text: str) -> Sequence[_Slot]:
        """The signatures ``text`` satisfies."""
        if "\n" in text:
            text = text.replace("\n", " ")
        found = self._find(text)
        if not found:
            return self._always
        first = found[0]
        if len(found) == 1:
            return self._owners[first]
        same = self._same
        number = same[first]
        for index in found:
            if same[index] != number:
                break
        else:
            return self._owners[first]
        indexes = self._indexes
        slots = self.slots
        return [
            slots[index] for index in sorted(frozenset().union(*map(indexes.__getitem__, found)))
        ]


class _Unit:
    """One text scanned for a set of fields: the decoded text, the raw one, or both at once."""

    def __init__(self, log: str, scanned: str, slots: Sequence[_Slot], engine: str | None) -> None:
        self.field = scanned
        decoded = [slot for slot in slots if slot.signature.form == "decoded"]
        raw = [slot for slot in slots if slot.signature.form == "raw"]
        self.decoded = _Selector(decoded, engine) if decoded else None
        self.raw = _Selector(raw, engine) if raw else None
        self.both = _Selector([*decoded, *raw], engine) if decoded and raw else None

    def select(self, view: EventView) -> Sequence[_Slot]:
        """The signatures this event's text satisfies, in either form."""
        decoded_text = view.lower(self.field) if self.decoded is not None else ""
        if self.raw is None:
            assert self.decoded is not None
            # A canonical field is empty on most lines: no scan of nothing then.
            return self.decoded.select(decoded_text) if decoded_text else ()
        raw_text = fold(view.raw(self.field))
        if self.both is not None and raw_text == decoded_text:
            return self.both.select(raw_text)
        chosen = list(self.raw.select(raw_text)) if raw_text else []
        if self.decoded is not None and decoded_text:
            chosen.extend(self.decoded.select(decoded_text))
        return chosen


class _Source:
    """One event attribute: its scan units, and what each value gave, cached."""

    def __init__(self, log: str, attribute: str, units: Sequence[_Unit]) -> None:
        self.attribute = attribute
        self.read = reader(log, attribute)
        self.units = tuple(units)
        self.cache: dict[str, tuple[Selected, ...]] = {}
        self.get = self.cache.get
        # The usual shape: the attribute's own text is all that is scanned, besides the
        # canonical forms of a target (empty on most lines). A value with nothing to decode
        # is then its own decoded text, and (in ASCII) its case-folded raw text too:
        # lower-cased once, scanned once for both forms, without the view.
        main = next((unit for unit in self.units if unit.field == attribute), None)
        others = [unit for unit in self.units if unit is not main]
        self._direct: _Selector | None = None
        self._canonical: tuple[tuple[str, _Selector], ...] = ()
        if main is not None and all(unit.field in CANONICAL_FIELDS for unit in others):
            self._direct = main.both or main.decoded or main.raw
            self._canonical = tuple(_any_selector(unit) for unit in others)

    def fill(
        self, raw: str, event: Event, view: EventView | None
    ) -> tuple[tuple[Selected, ...], EventView | None]:
        """:meth:`scan` ``event`` (whose attribute is ``raw``) and cache the result for
        ``raw``; the view it needed (made when ``view`` is ``None`` and the value must be
        decoded) goes back with the result."""
        direct = self._direct
        if direct is not None and raw.isascii() and undecoded(raw):
            lowered = raw.lower()
            slots = direct.select(lowered)
            found = self._confirmed(slots, _texts(self.attribute, lowered)) if slots else _NOTHING
            if self._canonical:
                found = self._canonical_found(lowered, found)
        else:
            if view is None:
                view = EventView(event)
            found = self.scan(view)
        if len(raw) <= MAX_CACHED_CHARS:
            cache = self.cache
            if len(cache) >= CACHE_ENTRIES:
                cache.clear()
            cache[raw] = found
        return found, view

    def _canonical_found(self, lowered: str, found: tuple[Selected, ...]) -> tuple[Selected, ...]:
        """``found`` and what the canonical forms of the target ``lowered`` (a value with
        nothing to decode, lower-cased) give."""
        cut = lowered.find("?")
        path = lowered if cut < 0 else lowered[:cut]
        texts = canonical_fields(path, path, lowered)
        if texts is None:
            return found
        for field, selector in self._canonical:
            text = texts[field]
            if text:
                slots = selector.select(text)
                if slots:
                    found += self._confirmed(slots, texts.__getitem__)
        return found

    def scan(self, view: EventView, confirm: bool = True) -> tuple[Selected, ...]:
        """Scan the attribute's texts and confirm local signatures (on the decoded text);
        without ``confirm``, every selected rule is a candidate to evaluate."""
        selected: list[Selected] = []
        for unit in self.units:
            selected.extend(self._confirmed(unit.select(view), view.lower, confirm))
        return tuple(selected) if selected else _NOTHING

    @staticmethod
    def _confirmed(
        slots: Sequence[_Slot], lower: Callable[[str], str], confirm: bool = True
    ) -> tuple[Selected, ...]:
        """The candidates ``slots`` give: a local signature confirmed on its field's decoded,
        lower-cased text (``lower(field)``), any other as it is (a field with no text gives
        nothing)."""
        selected: list[Selected] = []
        for slot in slots:
            signature = slot.signature
            text = lower(signature.field)
            if not text:
                continue
            search = slot.confirm
            if search is None or not confirm:
                selected.append(slot.selected)
                continue
            if slot.within and not _holds_one(text, slot.within):
                continue  # the literal was elsewhere in the target: no match in this field
            fragment = search(text)
            if fragment is not None:
                selected.append(
                    Selected(slot.detector, Candidate(signature.owner, signature.field, fragment))
                )
        return tuple(selected) if selected else _NOTHING


def _holds_one(text: str, literals: tuple[str, ...]) -> bool:
    """Whether ``text`` (a field's decoded, lower-cased text) holds one of ``literals`` as
    the scan looks for them (a line break counts as a space). A text that is not ASCII
    counts as holding one: only its confirmation decides."""
    if not text.isascii():
        return True
    if "\n" in text:
        text = text.replace("\n", " ")
    for literal in literals:  # noqa: SIM110  (a loop: any() over a generator costs twice)
        if literal in text:
            return True
    return False


def _texts(attribute: str, lowered: str) -> Callable[[str], str]:
    """The decoded, lower-cased text of each field read from an attribute whose value needs
    no decoding (``lowered``: the value lower-cased): the value itself, and for a target its
    path and query (split at the first "?", as :class:`EventView` splits them)."""
    if attribute != "target":
        return {attribute: lowered}.__getitem__
    cut = lowered.find("?")
    if cut < 0:
        return {"target": lowered, "path": lowered, "query": ""}.__getitem__
    return {"target": lowered, "path": lowered[:cut], "query": lowered[cut + 1 :]}.__getitem__


# Which text each field's literals are looked for in: the decoded target holds the decoded
# path and query (split at the first "?"), so one scan serves all three; a canonical target
# holds its path likewise.
_SCANNED_IN = {
    "path": "target",
    "query": "target",
    "canonical_path": "canonical_target",
    "servlet_path": "servlet_target",
    "traversal_path": "traversal_target",
}


def _any_selector(unit: _Unit) -> tuple[str, _Selector]:
    """A canonical unit's field and the selector that scans it for a value with nothing to
    decode (its decoded and raw texts are one)."""
    selector = unit.both or unit.decoded or unit.raw
    assert selector is not None
    return unit.field, selector


class LogPlan:
    """The sources of one log type (``access`` or ``error``) and their scanners."""

    def __init__(
        self,
        log: str,
        signatures: Sequence[Sequence[Signature]],
        engine: str | None = None,
        confirmers: Sequence[Confirmer] = (),
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
                candidate = Candidate(signature.owner, signature.field, None)
                search = (
                    confirmers[detector](signature.owner, signature.field)
                    if signature.local
                    else None
                )
                within: tuple[str, ...] = ()
                if search is not None and scanned != signature.field and signature.requirement:
                    # A match in the field holds a literal of each clause (the analysis'
                    # promise): the scan of the whole target may have found it elsewhere.
                    within = tuple(
                        literal
                        for strings in strongest_clause(signature.requirement)
                        for literal in _scanned_literals(strings)
                    )
                slot = _Slot(detector, signature, Selected(detector, candidate), search, within)
                by_text.setdefault((attribute, scanned), []).append(slot)
        units: dict[str, list[_Unit]] = {}
        for (attribute, scanned), slots in by_text.items():
            units.setdefault(attribute, []).append(_Unit(log, scanned, slots, engine))
        self.sources = tuple(_Source(log, attribute, found) for attribute, found in units.items())
        # What select() needs of each source, looked up once.
        self._readers = tuple((source.read, source.get, source.fill) for source in self.sources)
        self.engine = next(
            (
                selector.engine
                for source in self.sources
                for unit in source.units
                for selector in (unit.decoded, unit.raw)
                if selector is not None
            ),
            engine or "",
        )

    def select(
        self, event: Event, view: EventView | None = None
    ) -> tuple[tuple[Selected, ...], EventView | None]:
        """Every candidate of every detector on ``event`` (cached per attribute value), and
        the event's view when one was needed (``view``, or one made here): most events need
        none."""
        found = _NOTHING
        for read, get, fill in self._readers:
            raw = read(event)
            if raw:
                hit = get(raw)
                if hit is None:
                    hit, view = fill(raw, event, view)
                if hit:
                    found = found + hit if found else hit
        return found, view

    def selected(self, event: Event, view: EventView) -> tuple[Selected, ...]:
        """Every rule the scan selects on ``event``, before any confirmation and without the
        caches (for ``explain``)."""
        found: list[Selected] = []
        for source in self.sources:
            if source.read(event):
                found.extend(source.scan(view, confirm=False))
        return tuple(found)
