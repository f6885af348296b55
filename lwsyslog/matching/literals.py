"""The literal text a regular expression cannot match without: a necessary condition.

:func:`literal_requirement` walks a pattern's parse tree (``re._parser``, the parser ``re``
itself uses) and returns up to three *clauses*, sets of strings such that every match of the
pattern contains a string of each clause: ``\\(\\s*\\)\\s*\\{`` needs ``(`` and ``)`` and ``{``;
``union\\s+select`` needs ``select`` and ``union``. Rules are selected by a multi-literal scan
of each field, and a rule's pattern runs only on fields where each of its clauses is met. The
strings are lower-cased, as the scanned texts are: a clause only has to be necessary.

A node of the tree is described by the strings it can match when they are few and short
(``exact``) and by its clauses. A sequence joins exact runs (``[;|]cat`` is two strings) and
keeps the most selective clauses of its parts; an alternation keeps, for each rank, the union
of its branches' clauses of that rank (whichever branch matched, its clause is in the union),
and any clause every branch needs on its own.
A construct the analysis does not understand contributes nothing; a zero-width assertion
(anchor, look-around) matches the empty string.

Rules read *decoded* text, in which every run of white space is one character (a space, or a
newline where the run held a line break: :func:`lwsyslog.normalize.decode`). With
``single_spaces`` the analysis uses that: ``\\s`` is one of ``" "`` and ``"\\n"``, ``\\s*`` adds
the empty string, so ``;\\s*cat`` is the exact strings ``;cat``, ``; cat`` and ``;\\ncat``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from re import _constants as constants  # type: ignore[attr-defined]
from re import _parser as parser  # type: ignore[attr-defined]
from typing import Any

from lwsyslog.matching import requirements_table

__all__ = ["MAX_EXACT", "Requirement", "literal_requirement", "required_literals"]

Requirement = tuple[frozenset[str], ...]
"""Clauses that every match satisfies together: one string of each set occurs."""

#: Largest set of alternative strings tracked exactly (``[ab][cd]`` is four strings).
MAX_EXACT = 64
#: Longest string tracked exactly; longer runs keep their most selective part.
MAX_LITERAL_CHARS = 48
#: Most clauses kept for one pattern.
MAX_CLAUSES = 3
#: Largest character class expanded into alternatives.
_MAX_CLASS = 12
_SPACES = frozenset({" ", "\n"})


#: Most characters a node's first (or last) character is tracked among.
_MAX_EDGE = 16
#: Most strings a run of text joined to the character before or after it may give.
_MAX_EDGE_STRINGS = 256
_DIGITS = frozenset("0123456789")
#: Most branches of an alternation whose clauses are each tried as shared by all branches.
_MAX_SHARED_FROM = 32


@dataclass(frozen=True, slots=True)
class _Info:
    """What a node can match: ``exact`` every string (when few and short, else ``None``);
    ``clauses`` sets of strings that every match contains one of, each. When ``exact`` is
    unknown: ``first`` and ``last`` the characters a non-empty match can start and end with
    (``None``: too many to list), ``nullable`` whether it can match the empty string (``True``
    when unsure: a character before or after a run of text is only known past a node that
    cannot be empty)."""

    exact: frozenset[str] | None
    clauses: tuple[frozenset[str], ...] = ()
    first: frozenset[str] | None = None
    last: frozenset[str] | None = None
    nullable: bool = True


_EMPTY = _Info(frozenset({""}))
_UNKNOWN = _Info(None)
# Exactly one character, any of too many to list.
_ONE_CHAR = _Info(None, nullable=False)


def _first(info: _Info) -> frozenset[str] | None:
    if info.exact is not None:
        return frozenset(text[0] for text in info.exact if text)
    return info.first


def _last(info: _Info) -> frozenset[str] | None:
    if info.exact is not None:
        return frozenset(text[-1] for text in info.exact if text)
    return info.last


def _nullable(info: _Info) -> bool:
    return "" in info.exact if info.exact is not None else info.nullable


def _edge(parts: list[_Info], indexes: range, edge: Any) -> frozenset[str] | None:
    """The characters that can come first (``edge``: :func:`_first`) or last (:func:`_last`)
    of the parts at ``indexes``, in that order: the union up to the first part that cannot be
    empty; ``None`` when a part's are unknown, there are too many, or every part can be empty
    (then what comes lies outside the sequence)."""
    chars: set[str] = set()
    for index in indexes:
        part = parts[index]
        own = edge(part)
        if own is None:
            return None
        chars.update(own)
        if len(chars) > _MAX_EDGE:
            return None
        if not _nullable(part):
            return frozenset(chars)
    return None


def _joined(left: frozenset[str], right: frozenset[str]) -> frozenset[str] | None:
    """Every string of ``left`` joined to every one of ``right``, if not too many or long."""
    if len(left) * len(right) > _MAX_EDGE_STRINGS:
        return None
    joined = frozenset(a + b for a in left for b in right)
    return None if any(len(text) > MAX_LITERAL_CHARS + 1 for text in joined) else joined


def _selectivity(strings: frozenset[str]) -> tuple[int, int]:
    # Longer shortest string first (rarer in text), then fewer alternatives.
    return (min(len(s) for s in strings), -len(strings))


def _usable(strings: frozenset[str] | None) -> bool:
    return bool(strings) and all(strings)  # type: ignore[arg-type]


def _implies(chosen: frozenset[str], clause: frozenset[str]) -> bool:
    """True when every string of ``chosen`` contains a string of ``clause``: ``clause`` then
    holds whenever ``chosen`` does, and checking it adds nothing."""
    return all(any(part in whole for part in clause) for whole in chosen)


def _pick(candidates: list[frozenset[str]]) -> tuple[frozenset[str], ...]:
    """The most selective clauses, none implied by one kept before it."""
    kept: list[frozenset[str]] = []
    # Ties in selectivity are broken by the strings themselves, not by set order (which
    # changes with each process's string hashing): the same rules get the same clauses.
    unique = sorted(set(candidates), key=sorted)
    for clause in sorted(unique, key=_selectivity, reverse=True):
        if len(kept) == MAX_CLAUSES:
            break
        if not any(_implies(chosen, clause) for chosen in kept):
            kept.append(clause)
    return tuple(kept)


def _exact_clause(exact: frozenset[str] | None) -> list[frozenset[str]]:
    return [exact] if exact is not None and _usable(exact) else []


def _product(left: frozenset[str], right: frozenset[str]) -> frozenset[str] | None:
    # The longest joined string is the two longest joined, and there are at least as many
    # joined strings as on either side: both limits are known before joining.
    if len(left) == 1 == len(right):  # most calls: a run of literal text, one more character
        (head,) = left
        (tail,) = right
        return None if len(head) + len(tail) > MAX_LITERAL_CHARS else frozenset((head + tail,))
    if not left or not right:
        return frozenset()
    if len(left) > MAX_EXACT or len(right) > MAX_EXACT:
        return None
    if max(map(len, left)) + max(map(len, right)) > MAX_LITERAL_CHARS:
        return None
    if len(left) == 1:
        (head,) = left
        return frozenset(head + b for b in right)
    if len(right) == 1:
        (tail,) = right
        return frozenset(a + tail for a in left)
    joined = frozenset(a + b for a in left for b in right)
    return None if len(joined) > MAX_EXACT else joined


def _edged(parts: list[_Info], start: int, end: int) -> list[frozenset[str]]:
    """Clauses for the run of exact parts ``start:end`` with the character before it or the
    one after it: ``or`` in ``\\bor\\s*\\(*\\d`` is always followed by a space, a ``(``
    or a digit, so ``or(``, ``or1``... select far fewer texts than ``or``.

    The run's parts that can be empty at either end are left to the edge (they are part of
    what may come before or after); the strings of the rest are joined to the characters that
    can come right before them (the last one of the nearest part that cannot be empty) and
    right after them.
    """
    while start < end and _nullable(parts[start]):
        start += 1
    while end > start and _nullable(parts[end - 1]):
        end -= 1
    if start >= end:
        return []
    core: frozenset[str] = frozenset({""})
    for part in parts[start:end]:
        assert part.exact is not None  # a run is made of parts known exactly
        joined_core = _product(core, part.exact)
        if joined_core is None:
            return []
        core = joined_core
    clauses = []
    after = _edge(parts, range(end, len(parts)), _first)
    if after:
        joined = _joined(core, after)
        if joined is not None:
            clauses.append(joined)
    before = _edge(parts, range(start - 1, -1, -1), _last)
    if before:
        joined = _joined(before, core)
        if joined is not None:
            clauses.append(joined)
    return clauses


def _shared(ranked: list[tuple[frozenset[str], ...]]) -> list[frozenset[str]]:
    """The clauses of a branch that every branch needs (one of its own clauses implies it):
    each is a clause of the alternation on its own.

    The union rank by rank mixes a rare clause of one branch with a common one of another (a
    line break every branch needs, joined to the ``=`` or ``:`` some branch ranks first); a
    clause all branches share keeps its own selectivity. Past :data:`_MAX_SHARED_FROM`
    branches only the first one's clauses are tried, so that a long alternation costs linear
    time at start-up, not the square of its branches.
    """
    sources = ranked if len(ranked) <= _MAX_SHARED_FROM else ranked[:1]
    tried = dict.fromkeys(clause for branch in sources for clause in branch)
    return [
        clause
        for clause in tried
        if all(any(_implies(own, clause) for own in branch) for branch in ranked)
    ]


class _Walker:
    """The analysis of one pattern (see the module docstring)."""

    def __init__(self, single_spaces: bool, ascii_classes: bool) -> None:
        self.single_spaces = single_spaces
        # \d is the ten ASCII digits only in ASCII mode (RE2's, or re.ASCII); else any
        # Unicode digit, too many to list.
        self.ascii = ascii_classes

    def sequence(self, items: Any) -> _Info:
        parts = [self.node(op, value) for op, value in items]
        candidates: list[frozenset[str]] = []
        exact: frozenset[str] | None = frozenset({""})
        run: frozenset[str] = frozenset({""})  # exact strings of the current run of parts
        start = 0  # where the run began
        for index, part in enumerate(parts):
            candidates.extend(part.clauses)
            if part.exact is None:
                candidates.extend(_exact_clause(run))
                candidates.extend(_edged(parts, start, index))
                run, exact, start = frozenset({""}), None, index + 1
                continue
            joined = _product(run, part.exact)
            if joined is None:  # too many or too long: the run so far is a clause of its own
                candidates.extend(_exact_clause(run))
                candidates.extend(_edged(parts, start, index))
                joined, start = part.exact, index
            run = joined
            if exact is not None:
                exact = _product(exact, part.exact)
        candidates.extend(_exact_clause(run))
        candidates.extend(_edged(parts, start, len(parts)))
        candidates.extend(_exact_clause(exact))
        if exact is not None:
            return _Info(exact, _pick([c for c in candidates if _usable(c)]))
        return _Info(
            None,
            _pick([c for c in candidates if _usable(c)]),
            first=_edge(parts, range(len(parts)), _first),
            last=_edge(parts, range(len(parts) - 1, -1, -1), _last),
            nullable=all(_nullable(part) for part in parts),
        )

    def alternation(self, branches: list[_Info]) -> _Info:
        exact: frozenset[str] | None = frozenset()
        for info in branches:
            if exact is None or info.exact is None:
                exact = None
                break
            exact = exact | info.exact
            if len(exact) > MAX_EXACT:
                exact = None
                break
        ranked = [self._ranked(info) for info in branches]
        clauses: list[frozenset[str]] = []
        if all(ranked):
            for rank in range(max(len(r) for r in ranked)):
                clauses.append(frozenset().union(*(r[min(rank, len(r) - 1)] for r in ranked)))
            clauses.extend(_shared(ranked))
        firsts, lasts = [_first(info) for info in branches], [_last(info) for info in branches]
        return _Info(
            exact,
            _pick(clauses),
            first=None if None in firsts else frozenset().union(*firsts),  # type: ignore[arg-type]
            last=None if None in lasts else frozenset().union(*lasts),  # type: ignore[arg-type]
            nullable=any(_nullable(info) for info in branches),
        )

    @staticmethod
    def _ranked(info: _Info) -> tuple[frozenset[str], ...]:
        if info.clauses:
            return info.clauses
        return tuple(_exact_clause(info.exact))

    def repeat(self, low: int, high: int, sub: _Info) -> _Info:
        if high == 0:
            return _EMPTY
        if low == high == 1:
            return sub
        first, last = _first(sub), _last(sub)
        if low == 0:
            if high == 1 and sub.exact is not None:
                return _Info(sub.exact | {""})
            if self.single_spaces and sub.exact is not None and sub.exact <= _SPACES:
                # A run of white space in decoded text is one character.
                return _Info(sub.exact | {""})
            return _Info(None, first=first, last=last, nullable=True)
        if sub.exact is None:
            return _Info(None, sub.clauses, first=first, last=last, nullable=sub.nullable)
        if self.single_spaces and sub.exact <= _SPACES:
            return _Info(sub.exact)  # \s+ is one character in decoded text
        # At least ``low`` copies in a row: every match contains one of their concatenations.
        strings = frozenset({""})
        for _ in range(min(low, 4)):
            joined = _product(strings, sub.exact)
            if joined is None:
                break
            strings = joined
        exact = strings if low == high and low <= 4 and strings != frozenset({""}) else None
        clauses = _pick([*sub.clauses, *_exact_clause(strings)])
        return _Info(exact, clauses, first=first, last=last, nullable="" in sub.exact)

    def char_class(self, items: list[tuple[Any, Any]]) -> _Info:
        chars: set[str] = set()
        for op, value in items:
            if op is constants.LITERAL:
                chars.add(chr(value).lower())
            elif op is constants.RANGE:
                low, high = value
                if high - low >= _MAX_EDGE:
                    return _ONE_CHAR
                chars.update(chr(code).lower() for code in range(low, high + 1))
            elif op is constants.CATEGORY and self._is_space(value):
                chars.update(_SPACES)
            elif op is constants.CATEGORY and value is constants.CATEGORY_DIGIT and self.ascii:
                chars.update(_DIGITS)
            else:  # NEGATE, other categories (\w...): too many characters to list
                return _ONE_CHAR
            if len(chars) > _MAX_EDGE:
                return _ONE_CHAR
        exact = frozenset(chars)
        if not exact:
            return _ONE_CHAR
        if len(exact) > _MAX_CLASS:  # too many to join into strings; known as an edge
            return _Info(None, first=exact, last=exact, nullable=False)
        return _Info(exact, (exact,))

    def _is_space(self, value: Any) -> bool:
        return self.single_spaces and value in (
            constants.CATEGORY_SPACE,
            constants.CATEGORY_UNI_SPACE,
        )

    def node(self, op: Any, value: Any) -> _Info:
        if op is constants.LITERAL:
            exact = frozenset({chr(value).lower()})
            return _Info(exact, (exact,))
        if op is constants.IN:
            return self.char_class(value)
        if op is constants.CATEGORY and self._is_space(value):
            return _Info(_SPACES, (_SPACES,))
        if op is constants.CATEGORY and value is constants.CATEGORY_DIGIT and self.ascii:
            return _Info(None, first=_DIGITS, last=_DIGITS, nullable=False)
        if op in (constants.ANY, constants.NOT_LITERAL, constants.CATEGORY):
            return _ONE_CHAR
        if op is constants.SUBPATTERN:
            return self.sequence(value[3])
        if op is constants.BRANCH:
            return self.alternation([self.sequence(branch) for branch in value[1]])
        if op in (constants.MAX_REPEAT, constants.MIN_REPEAT, constants.POSSESSIVE_REPEAT):
            low, high, sub = value
            return self.repeat(low, high, self.sequence(sub))
        if op is constants.ATOMIC_GROUP:
            return self.sequence(value)
        if op in (constants.AT, constants.ASSERT, constants.ASSERT_NOT):
            return _EMPTY
        return _UNKNOWN  # ANY, NOT_LITERAL, other categories, GROUPREF, ...


@lru_cache(maxsize=4096)
def literal_requirement(
    pattern: str, flags: int = 0, *, single_spaces: bool = False
) -> Requirement | None:
    """Up to :data:`MAX_CLAUSES` clauses every match of ``pattern`` satisfies together (one
    lower-cased string of each set occurs), most selective first; ``None`` when unknown.
    ``single_spaces``: the text has no run of white space longer than one character.

    Remembered per pattern: the rules of a reload (or of a rule class instantiated again with
    other options) are analysed once, and the built-in rules' patterns were analysed ahead of
    time (:mod:`lwsyslog.matching.requirements_table`). Raises ``re.error`` for a pattern
    ``re`` cannot compile.
    """
    if RECORD is None:
        known, found = requirements_table.lookup(pattern, flags, single_spaces)
        if known:
            return found
    walker = _Walker(single_spaces, ascii_classes=bool(flags & re.ASCII))
    info = walker.sequence(parser.parse(pattern, flags))
    requirement = info.clauses or None
    if RECORD is not None:
        key = requirements_table.entry_key(pattern, flags, single_spaces)
        RECORD[key] = None if requirement is None else [sorted(c) for c in requirement]
    return requirement


#: When a dict, every analysis is made afresh (the table left aside) and recorded in it by
#: its table key: how the table is written.
RECORD: dict[str, list[list[str]] | None] | None = None


def required_literals(pattern: str, flags: int = 0) -> frozenset[str] | None:
    """Lower-cased strings one of which every match of ``pattern`` contains, or ``None``."""
    requirement = literal_requirement(pattern, flags)
    return None if requirement is None else requirement[0]
