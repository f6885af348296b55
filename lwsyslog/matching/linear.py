"""Confirming a rule's pattern in linear time: RE2 where the pattern fits it, else ``re``.

A rule's pattern runs only on fields the literal scan selected, but an attacker controls that
text too: ``re`` backtracks, so a pattern such as ``\\{\\{[^}]{0,200}?...`` over 8,000 ``{``
costs tens of milliseconds. RE2 (the ``google-re2`` wheel) matches in time linear in the text
whatever the pattern, with the same leftmost-first semantics as ``re``. Every built-in rule
pattern compiles in RE2 (``tests/unit/test_rule_cost.py`` checks it); a pattern RE2 cannot
compile (look-around, atomic groups, back-references) stays with ``re``, and so does every
pattern where the wheel is missing.

RE2's classes are ASCII (``\\d``, ``\\w``, ``\\b``); the rules read decoded text whose odd
white space was already folded into plain spaces (:func:`lwsyslog.normalize.decode`).

RE2 has no look-around; a pattern that needs context around what it reports matches the
context and names the reported part ``(?P<frag>...)``: the search then gives that group. A
pattern whose branches need different context names one group per branch (``frag``,
``frag1``, ``frag2``...): the search gives the first of them that took part in the match,
and the whole match when none did. RE2 finds where the match lies without groups (its DFA:
asking it for groups costs tens of nanoseconds per matched character, milliseconds for a
match of kilobytes); the groups come from ``re`` matching the pattern anchored there, in
ASCII mode so that both engines read the classes alike (RE2 with groups when ``re`` differs).

RE2 has no back-references either. :func:`verified_search` covers a pattern that needs one
(``'a'='a``): RE2 finds where a match can start, the ``re`` pattern confirms it there.
:func:`checked_search` covers a test no regular expression states (a count of quotes before
the match): RE2 finds each match, a bounded function of the text and the match confirms it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from re import _constants as constants  # type: ignore[attr-defined]
from re import _parser as parser  # type: ignore[attr-defined]
from typing import Any, NamedTuple

__all__ = [
    "FRAGMENT_GROUP",
    "LinearSearch",
    "PatternLike",
    "Regex",
    "Search",
    "checked_search",
    "linear_search",
    "re2_available",
    "verified_search",
]

FRAGMENT_GROUP = "frag"
"""The group whose text a search reports, when the pattern has one (``frag1``... also)."""

Search = Callable[[str], str | None]
Span = tuple[int, int]
_FRAGMENT_NAME = re.compile(rf"{FRAGMENT_GROUP}\d*")


# Flags that are a pattern's own at the start of its text: "(?i)...".
_INLINE_FLAGS = frozenset("aiLmsux")


class Regex:
    """A regular expression's text and flags, compiled by ``re`` only when something asks for
    the compiled pattern (:attr:`compiled`).

    What a built-in rule's pattern is written as: its search runs in RE2
    (:func:`linear_search`), which needs the text alone, and compiling all of them with ``re``
    as well cost every start about 30 ms for patterns nothing ran. ``flags`` is what
    ``re.compile(pattern, flags).flags`` gives (``re.UNICODE`` added unless ``re.ASCII``);
    a pattern that opens with flags of its own (``(?i)``) is compiled at once to read them.
    """

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self._given = int(flags)
        self._compiled: re.Pattern[str] | None = None
        self.flags = self._given if self._given & re.ASCII else self._given | re.UNICODE
        if pattern.startswith("(?") and pattern[2:3] in _INLINE_FLAGS:
            self.flags = self.compiled.flags

    @property
    def compiled(self) -> re.Pattern[str]:
        """The pattern compiled by ``re`` (the first use compiles it)."""
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self._given)
        return self._compiled

    @property
    def is_compiled(self) -> bool:
        """Whether :attr:`compiled` was asked for yet."""
        return self._compiled is not None

    def search(self, text: str) -> re.Match[str] | None:
        """``re``'s search of the pattern in ``text``."""
        return self.compiled.search(text)

    def __repr__(self) -> str:
        return f"Regex({self.pattern!r}, {self._given})"


PatternLike = re.Pattern[str] | Regex
"""A pattern :func:`linear_search` takes: compiled by ``re``, or not yet (:class:`Regex`)."""


def _compiled(pattern: PatternLike) -> re.Pattern[str]:
    return pattern.compiled if isinstance(pattern, Regex) else pattern


class LinearSearch(NamedTuple):
    """A compiled search: ``search(text)`` gives the first match's text or ``None``."""

    search: Search
    engine: str  # "re2" or "re"
    reason: str  # why "re" (empty for RE2)
    pattern: PatternLike  # what the engine runs (for a verified search, the candidates)


@cache
def _re2() -> Any:
    try:
        import re2  # noqa: PLC0415  (optional: re stands in where the wheel is missing)
    except ImportError:
        return None
    return re2


def re2_available() -> bool:
    """True when the RE2 bindings can be imported."""
    return _re2() is not None


def _re2_source(pattern: str) -> str:
    # Python spellings RE2 writes differently (most patterns have neither: no re.sub then,
    # which costs more than the check at start-up's hundreds of patterns).
    source = pattern
    if "\\u" in source:
        source = re.sub(r"(?<!\\)((?:\\\\)*)\\u([0-9a-fA-F]{4})", r"\1\\x{\2}", source)
    if "\\Z" in source:
        source = re.sub(r"(?<!\\)((?:\\\\)*)\\Z", r"\1\\z", source)
    return source


def _without_groups(pattern: str) -> str:
    """``pattern`` with every capturing group made non-capturing (``(`` and ``(?P<name>``
    become ``(?:``). RE2 then finds the match with its DFA alone."""
    out: list[str] = []
    index, size, in_class = 0, len(pattern), False
    while index < size:
        char = pattern[index]
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern.startswith("^]", index + 1) or pattern.startswith("]", index + 1):
                # A "]" right after "[" or "[^" is a member, not the end.
                skip = 3 if pattern[index + 1] == "^" else 2
                out.append(pattern[index : index + skip])
                index += skip
                continue
        elif char == "(":
            if not pattern.startswith("?", index + 1):
                out.append("(?:")
                index += 1
                continue
            if pattern.startswith("?P<", index + 1):
                out.append("(?:")
                index = pattern.index(">", index) + 1
                continue
        out.append(char)
        index += 1
    return "".join(out)


def _compile_re2(pattern: PatternLike, source: str, capture: bool) -> tuple[Any, str]:
    """``source`` (a spelling of ``pattern``) compiled by RE2, with ``pattern``'s flags
    (``None`` and the reason when it cannot be)."""
    re2 = _re2()
    if re2 is None:
        return None, "RE2 is not installed"
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = not pattern.flags & re.IGNORECASE
    options.dot_nl = bool(pattern.flags & re.DOTALL)
    options.never_capture = not capture
    if pattern.flags & re.MULTILINE:
        options.posix_syntax = True
        options.one_line = False
    try:
        return re2.compile(_re2_source(source), options), ""
    except re2.error as error:
        # The bindings raise the library's message as bytes: shown as text, not b'...'.
        message = error.args[0] if error.args else error
        if isinstance(message, bytes):
            return None, message.decode("utf-8", "replace")
        return None, str(message)


def _fragment_groups(pattern: re.Pattern[str]) -> tuple[str, ...]:
    names = sorted(pattern.groupindex, key=pattern.groupindex.__getitem__)
    return tuple(name for name in names if _FRAGMENT_NAME.fullmatch(name))


def _longest_reporting(pattern: re.Pattern[str], groups: tuple[str, ...]) -> int:
    """The longest match of ``pattern`` that a fragment group can take part in: the longest
    of its top-level branches that hold one (a longer match reports all of itself)."""
    numbers = {pattern.groupindex[name] for name in groups}
    tree = parser.parse(pattern.pattern, pattern.flags)
    branches = [tree]
    if len(tree.data) == 1 and tree.data[0][0] is constants.BRANCH:
        branches = tree.data[0][1][1]
    widths = [branch.getwidth()[1] for branch in branches if numbers & set(_groups_in(branch))]
    return int(max(widths, default=0))


def _groups_in(items: Any) -> Iterator[int]:
    """The numbers of the groups in a parsed pattern (``re._parser``'s tree)."""
    for op, value in items:
        if op is constants.SUBPATTERN:
            yield value[0]
            yield from _groups_in(value[-1])
        elif op is constants.BRANCH:
            for branch in value[1]:
                yield from _groups_in(branch)
        elif op in (constants.MAX_REPEAT, constants.MIN_REPEAT, constants.POSSESSIVE_REPEAT):
            yield from _groups_in(value[2])
        elif op is constants.ATOMIC_GROUP:
            yield from _groups_in(value)
        elif op in (constants.ASSERT, constants.ASSERT_NOT):
            yield from _groups_in(value[1])


def _reporter(groups: tuple[str, ...]) -> Callable[[Any], str]:
    """The text a match reports: its first fragment group that took part, else all of it."""
    if not groups:
        return lambda match: str(match.group(0))

    def first(match: Any) -> str:
        for name in groups:
            found = match.group(name)
            if found is not None:
                return str(found)
        return str(match.group(0))

    return first


def _span_finder(compiled: Any) -> Callable[[str, int], Span | None]:
    """``(text, pos) -> span`` of ``compiled``'s first match at or after ``pos``, in characters.

    The ``re2`` module's ``search`` builds a generator, a match object and an offset table per
    call (about 2 us); an ASCII text (nearly every decoded field) has the same offsets in
    bytes and characters, so RE2's own ``Match`` runs on its bytes directly. Any other text
    goes through ``search``.
    """
    search = compiled.search
    regexp = getattr(compiled, "_regexp", None)
    match = getattr(regexp, "Match", None)
    unanchored = getattr(getattr(_re2(), "_Anchor", None), "UNANCHORED", None)
    if match is None or unanchored is None:

        def general(text: str, pos: int) -> Span | None:
            found = search(text, pos)
            return None if found is None else found.span()

        return general

    def spans(text: str, pos: int) -> Span | None:
        if text.isascii():
            data = text.encode("ascii")
            span: Span = match(unanchored, data, pos, len(data))[0]
            return None if span[0] < 0 else span
        found = search(text, pos)
        return None if found is None else found.span()

    return spans


class _Reporting(NamedTuple):
    """What reports a fragment group once RE2 found a match: compiled at the first match
    (most patterns never match on a given stream, and start-up compiles none of this).

    The group is read by RE2 too, over the match alone. ``re`` anchored at the match's start
    would backtrack over attacker-written text: a rule's ``(?P<frag>(?:a|aa)*c|a*)`` took 12 s
    on 40 ``a`` (and doubled with each two more).
    """

    captured: Any
    longest: int
    report: Callable[[Any], str]

    @classmethod
    def of(cls, pattern: PatternLike) -> _Reporting:
        # The groups are read from this ASCII compilation: numbers and names do not depend
        # on the flags.
        ascii_pattern = re.compile(pattern.pattern, (pattern.flags & ~re.UNICODE) | re.ASCII)
        groups = _fragment_groups(ascii_pattern)
        captured, _ = _compile_re2(pattern, pattern.pattern, capture=True)
        longest = _longest_reporting(ascii_pattern, groups)
        return cls(captured, longest, _reporter(groups))


def linear_search(pattern: PatternLike) -> LinearSearch:
    """The search of ``pattern`` by RE2 when it compiles there, else by ``re``.

    ``re`` compiles a :class:`Regex` only when RE2 cannot take it (then at once: a pattern
    neither compiles is an error here) or when a match must report a fragment group.
    """
    plain, reason = _compile_re2(pattern, _without_groups(pattern.pattern), capture=False)
    if plain is None:
        compiled = _compiled(pattern)
        search = compiled.search
        report = _reporter(_fragment_groups(compiled))

        def by_re(text: str) -> str | None:
            match = search(text)
            return None if match is None else report(match)

        return LinearSearch(by_re, "re", reason, pattern)
    find = _span_finder(plain)
    # A fragment group is spelled "(?P<frag": without one, a match reports all of itself.
    if f"(?P<{FRAGMENT_GROUP}" not in pattern.pattern:

        def whole(text: str) -> str | None:
            span = find(text, 0)
            return None if span is None else text[span[0] : span[1]]

        return LinearSearch(whole, "re2", "", pattern)
    reporting = cache(lambda: _Reporting.of(pattern))  # at the first match

    def with_groups(text: str) -> str | None:
        span = find(text, 0)
        if span is None:
            return None
        start, end = span
        captured, longest, report = reporting()
        if end - start > longest:
            return text[start:end]
        return report(captured.fullmatch(text, start, end))

    return LinearSearch(with_groups, "re2", "", pattern)


def verified_search(
    candidates: PatternLike, exact: re.Pattern[str], *, lead: int, tries: int
) -> LinearSearch:
    """The search of ``exact`` (which RE2 cannot run, e.g. for a back-reference), in time
    linear in the text.

    ``candidates`` is a pattern RE2 runs that matches wherever ``exact`` does, starting at the
    same place or up to ``lead`` characters before (context it matched first). The search
    takes the candidates from left to right and tries ``exact`` anchored at each of those
    places (``exact`` must do bounded work at one position); the first that matches is the
    first match of ``exact``. After ``tries`` candidates that ``exact`` does not confirm it
    stops and reports the next candidate: a text made of that many near-misses is treated as
    a match (fails closed), which bounds the work an attacker can make it do.
    """
    compiled, reason = _compile_re2(candidates, _without_groups(candidates.pattern), False)
    engine = "re" if compiled is None else "re2"
    find = _span_finder(_compiled(candidates) if compiled is None else compiled)
    anchored = exact.match

    def run(text: str) -> str | None:
        pos = 0
        tried = -1  # positions up to here were tried already
        for _ in range(tries):
            candidate = find(text, pos)
            if candidate is None:
                return None
            start = candidate[0]
            for place in range(max(start, tried + 1), start + lead + 1):
                confirmed = anchored(text, place)
                if confirmed is not None:
                    return confirmed.group()
            tried = start + lead
            pos = start + 1
        candidate = find(text, pos)
        return None if candidate is None else text[candidate[0] : candidate[1]]

    return LinearSearch(run, engine, reason, candidates)


Check = Callable[[str, int, int], bool]
"""``(text, start, end) -> bool``: whether a candidate match at ``text[start:end]`` counts."""


def checked_search(pattern: Regex, check: Check, *, tries: int) -> LinearSearch:
    """The search of ``pattern`` (RE2) for its first match that ``check`` confirms.

    The matches are taken from left to right (the next one starting after the last one's
    start); ``check`` must cost at most time linear in the text. After ``tries`` matches that
    it does not confirm the search stops and reports the next match: a text made of that many
    near-misses is treated as a match (fails closed), which bounds the work an attacker can
    make it do. A match reports its fragment group as :func:`linear_search` does.
    """
    compiled, reason = _compile_re2(pattern, _without_groups(pattern.pattern), False)
    engine = "re" if compiled is None else "re2"
    find = _span_finder(_compiled(pattern) if compiled is None else compiled)
    reporting = cache(lambda: _Reporting.of(pattern))  # at the first match

    def report(text: str, start: int, end: int) -> str:
        captured, longest, name = reporting()
        if captured is None or end - start > longest:
            return text[start:end]
        return name(captured.fullmatch(text, start, end))

    def run(text: str) -> str | None:
        pos = 0
        for _ in range(tries):
            span = find(text, pos)
            if span is None:
                return None
            if check(text, *span):
                return report(text, *span)
            pos = span[0] + 1
        span = find(text, pos)
        return None if span is None else report(text, *span)

    return LinearSearch(run, engine, reason, pattern)
