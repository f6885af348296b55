r"""The literal text a regular expression cannot match without: a necessary condition.

:func:`required_literals` walks a pattern's parse tree (``re._parser``, the parser ``re``
itself uses) and returns a set of strings such that every match of the pattern contains at
least one of them, or ``None`` when no such set is known (a pattern of only classes and
wildcards). :func:`literal_requirement` goes one step further for a pattern that is a
sequence: up to three such sets that every match satisfies together (``\(\s*\)\s*\{``
needs ``(`` and ``)`` and ``{``). Rules are then selected by a multi-literal scan of each
field, and the pattern itself runs only on the fields where its literals occur. The strings
are lower-cased, as the scanned texts are: a literal only has to be necessary, never
sufficient.

The analysis is conservative: a construct it does not understand contributes nothing, and a
zero-width assertion (anchor, look-around) matches the empty string.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from re import _constants as constants  # type: ignore[attr-defined]
from re import _parser as parser  # type: ignore[attr-defined]
from typing import Any

__all__ = ["MAX_EXACT", "Requirement", "literal_requirement", "required_literals"]

Requirement = tuple[frozenset[str], ...]
"""Sets of strings that every match satisfies together: one string of each set occurs."""

#: Largest set of alternative strings tracked exactly (``[ab][cd]`` is four strings).
MAX_EXACT = 64
#: Longest string tracked exactly; longer runs keep their most selective part.
MAX_LITERAL_CHARS = 48
#: Largest character class expanded into alternatives.
_MAX_CLASS = 12


@dataclass(frozen=True, slots=True)
class _Info:
    """What a node can match: ``exact`` every string (when few and short), ``required`` a set
    one of which every match contains (``None``: unknown), ``together`` further such sets
    that hold at the same time (from the parts of a sequence)."""

    exact: frozenset[str] | None
    required: frozenset[str] | None
    together: tuple[frozenset[str], ...] = ()


_EMPTY = _Info(frozenset({""}), None)
_UNKNOWN = _Info(None, None)
_MAX_TOGETHER = 3


def _selectivity(strings: frozenset[str]) -> tuple[int, int]:
    # Longer shortest literal first (rarer in text), then fewer alternatives.
    return (min(len(s) for s in strings), -len(strings))


def _best(*candidates: frozenset[str] | None) -> frozenset[str] | None:
    usable = [c for c in candidates if c and all(c)]
    return max(usable, key=_selectivity) if usable else None


def _from_exact(exact: frozenset[str] | None) -> frozenset[str] | None:
    if exact is None or not exact or "" in exact:
        return None
    return exact


def _literal(char: str, ignore_case: bool) -> _Info:
    text = char.lower()
    exact = frozenset({text})
    return _Info(exact, exact)


def _class(items: list[tuple[Any, Any]], ignore_case: bool) -> _Info:
    chars: set[str] = set()
    for op, value in items:
        if op is constants.LITERAL:
            chars.add(chr(value).lower())
        elif op is constants.RANGE:
            low: int
            high: int
            low, high = value
            if high - low >= _MAX_CLASS:
                return _UNKNOWN
            chars.update(chr(code).lower() for code in range(low, high + 1))
        else:  # NEGATE, CATEGORY (\d, \s...): too many characters to list
            return _UNKNOWN
        if len(chars) > _MAX_CLASS:
            return _UNKNOWN
    exact = frozenset(chars)
    return _Info(exact, exact) if exact else _UNKNOWN


def _concat(parts: list[_Info]) -> _Info:
    exact: set[str] | None = {""}
    required: list[frozenset[str] | None] = []
    run: set[str] | None = {""}  # exact strings of the current run of exact parts
    for part in parts:
        required.append(part.required)
        if part.exact is None:
            required.append(_from_exact(frozenset(run)) if run is not None else None)
            run = {""}
            exact = None
            continue
        if run is not None:
            product = {a + b for a in run for b in part.exact}
            if len(product) > MAX_EXACT or any(len(s) > MAX_LITERAL_CHARS for s in product):
                required.append(_from_exact(frozenset(run)))
                run = set(part.exact)
                exact = None
            else:
                run = product
        if exact is not None:
            product = {a + b for a in exact for b in part.exact}
            exact = product if len(product) <= MAX_EXACT else None
    if run is not None:
        required.append(_from_exact(frozenset(run)))
    frozen = frozenset(exact) if exact is not None else None
    known = [r for r in required if r and all(r)]
    for part in parts:
        known.extend(part.together)
    together = tuple(sorted(set(known), key=_selectivity, reverse=True)[:_MAX_TOGETHER])
    return _Info(frozen, _best(_from_exact(frozen), *required), together)


def _alternation(branches: Iterable[_Info]) -> _Info:
    infos = list(branches)
    exact: set[str] | None = set()
    required: set[str] | None = set()
    for info in infos:
        if exact is not None and info.exact is not None:
            exact |= info.exact
            if len(exact) > MAX_EXACT:
                exact = None
        else:
            exact = None
        branch = _best(info.required, _from_exact(info.exact))
        if required is not None and branch is not None:
            required |= branch
        else:
            required = None
    frozen = frozenset(exact) if exact is not None else None
    return _Info(frozen, frozenset(required) if required else None)


def _repeat(low: int, high: int, sub: _Info) -> _Info:
    if low == 0:
        return _Info(frozenset({""}) if high == 0 else None, None)
    if low == high == 1:
        return sub
    required = _best(sub.required, _from_exact(sub.exact))
    if sub.exact is None:
        return _Info(None, required, sub.together)
    # At least ``low`` copies in a row: every match contains one of their concatenations.
    strings = {""}
    for _ in range(min(low, 4)):
        product = {a + b for a in strings for b in sub.exact}
        if len(product) > MAX_EXACT or any(len(s) > MAX_LITERAL_CHARS for s in product):
            break
        strings = product
    repeated = _from_exact(frozenset(strings))
    exact = frozenset(strings) if low == high and low <= 4 and len(strings) > 1 else None
    return _Info(exact, _best(repeated, required))


def _sequence(items: Any, ignore_case: bool) -> _Info:
    return _concat([_node(op, value, ignore_case) for op, value in items])


def _node(op: Any, value: Any, ignore_case: bool) -> _Info:
    if op is constants.LITERAL:
        return _literal(chr(value), ignore_case)
    if op is constants.IN:
        return _class(value, ignore_case)
    if op is constants.SUBPATTERN:
        _group, add_flags, _del_flags, sub = value
        return _sequence(sub, ignore_case or bool(add_flags & re.IGNORECASE))
    if op is constants.BRANCH:
        _unused, branches = value
        return _alternation(_sequence(branch, ignore_case) for branch in branches)
    if op in (constants.MAX_REPEAT, constants.MIN_REPEAT, constants.POSSESSIVE_REPEAT):
        low, high, sub = value
        return _repeat(low, high, _sequence(sub, ignore_case))
    if op is constants.ATOMIC_GROUP:
        return _sequence(value, ignore_case)
    if op in (constants.AT, constants.ASSERT, constants.ASSERT_NOT):
        return _EMPTY
    return _UNKNOWN  # ANY, NOT_LITERAL, CATEGORY, GROUPREF, ...


def required_literals(pattern: str, flags: int = 0) -> frozenset[str] | None:
    """Lower-cased strings one of which every match of ``pattern`` contains, or ``None``.

    Raises ``re.error`` for a pattern ``re`` cannot compile.
    """
    tree = parser.parse(pattern, flags)
    ignore_case = bool(tree.state.flags & re.IGNORECASE)
    info = _sequence(tree, ignore_case)
    return _best(info.required, _from_exact(info.exact))


def literal_requirement(pattern: str, flags: int = 0) -> Requirement | None:
    """Up to three sets of lower-cased strings that every match of ``pattern`` satisfies
    together (one string of each set occurs), most selective first; ``None`` when unknown.

    Raises ``re.error`` for a pattern ``re`` cannot compile.
    """
    tree = parser.parse(pattern, flags)
    info = _sequence(tree, bool(tree.state.flags & re.IGNORECASE))
    best = _best(info.required, _from_exact(info.exact))
    if best is None:
        return None
    together = [best]
    for group in info.together:
        if len(together) == _MAX_TOGETHER:
            break
        if not any(_implies(chosen, group) for chosen in together):
            together.append(group)
    return tuple(together)


def _implies(chosen: frozenset[str], group: frozenset[str]) -> bool:
    """True when any string of ``chosen`` contains a string of ``group``: then ``group``
    holds whenever ``chosen`` does and checking it adds nothing."""
    return all(any(part in whole for part in group) for whole in chosen)
