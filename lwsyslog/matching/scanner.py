"""Find which of many literal strings occur in a text, in one pass: Hyperscan, or ``re``.

:func:`compile_literals` builds a :class:`LiteralScanner` for a list of strings;
:meth:`LiteralScanner.find` returns the indexes of those that occur in a text. Both are
lower-cased by the caller (:func:`lwsyslog.matching.fold.fold`), so the comparison is exact.
Matching is linear in the text whatever it holds. Two engines give the same answers:

``hyperscan``  the multi-pattern engine Suricata uses (the ``hyperscan`` wheel bundles the
               library): one scan of the text for every literal, each reported once;
``re``         the fallback where Hyperscan cannot be installed: one search of a trie-shaped
               alternation of every literal says whether any occurs (the usual answer on
               benign text is no), then a substring test per literal.

The engine is chosen once per process (:func:`engine_name`); ``LWSYSLOG_MATCHER=re`` forces
the fallback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from functools import cache
from typing import Any, Final, Protocol

from lwsyslog.matching import dbcache

__all__ = ["ENGINES", "LiteralScanner", "compile_literals", "engine_name"]

ENGINES = ("hyperscan", "re")
#: Texts this long or longer are scanned for their one-character literals with ``in`` (see
#: :class:`_HyperscanScanner`); shorter ones cost less in one scan.
LONG_TEXT: Final = 1024
# The shortest run of a character that a long text's runs are cut from (see _Long).
_CANARY = 8
_TrieNode = dict[str, "_TrieNode"]
_END = ""


class LiteralScanner(Protocol):
    """Which literals occur in a text."""

    @property
    def engine(self) -> str:
        """The engine that scans (``hyperscan`` or ``re``)."""

    def find(self, text: str) -> list[int]:
        """Indexes of the literals that occur in ``text`` (each once, any order)."""


@cache
def engine_name() -> str:
    """The engine of this process: Hyperscan when it loads and works, else ``re``."""
    if os.environ.get("LWSYSLOG_MATCHER", "") == "re":
        return "re"
    try:
        _HyperscanScanner(["probe"]).find("a probe")
    except Exception:  # not installed, or no usable CPU support: the fallback is correct too
        return "re"
    return "hyperscan"


def compile_literals(literals: Sequence[str], engine: str | None = None) -> LiteralScanner:
    """A scanner for ``literals`` (non-empty, lower-cased) with ``engine`` (default: the
    process's, :func:`engine_name`)."""
    if any(not literal for literal in literals):
        raise ValueError("a literal must not be empty")
    chosen = engine or engine_name()
    if chosen not in ENGINES:
        raise ValueError(f"unknown matching engine {chosen!r} (known: {', '.join(ENGINES)})")
    if not literals:
        return _NothingScanner(chosen)
    if chosen == "hyperscan":
        return _HyperscanScanner(literals)
    return _ReScanner(literals)


def _encode(text: str) -> bytes:
    # Lone surrogates can come from a JSON escape; they never match a literal anyway.
    return text.encode("utf-8", "surrogatepass")


class _NothingScanner:
    """No literal at all: nothing ever occurs."""

    def __init__(self, engine: str) -> None:
        self.engine = engine

    def find(self, text: str) -> list[int]:
        """Always empty."""
        return []


class _HyperscanScanner:
    """All literals in one Hyperscan block-mode database (the pure literal compiler).

    A literal reported once is not reported again, but Hyperscan still finds and sets aside
    each of its later occurrences, 8 ns each: a field of 60,000 ``"`` (a literal ``"`` and a
    literal ``""`` at every position) cost 1 ms, a hundred times a field of words. A text of
    :data:`LONG_TEXT` characters or more is therefore scanned another way (:class:`_Long`).
    """

    engine = "hyperscan"

    def __init__(self, literals: Sequence[str]) -> None:
        self._literals = tuple(literals)
        self._scan = _database(range(len(literals)), self._literals).scan
        self._long: _Long | None = None

    def find(self, text: str) -> list[int]:
        """One scan of ``text``; each literal is reported at most once."""
        if len(text) >= LONG_TEXT:
            if self._long is None:
                self._long = _Long(self._literals)
            return self._long.find(text)
        found: list[int] = []
        self._scan(text.encode("utf-8", "surrogatepass"), _record, 0, found)
        return found


class _Long:
    """How a long text is scanned: the one-character literals are looked for with ``in``
    (a ``memchr``, whatever the text holds), the others in a database without them.

    Left in it are the literals of one repeated character (``""``, ``..``), found again at
    each position of a run of it. A run longer than any in a literal is the same to every
    literal as a run one longer than those: so the database also holds a long run (the
    *canary*, 8 characters) of each of these characters, and a scan that meets one stops;
    the runs that long of that character are then cut to one longer than those of the
    literals and the text scanned again, which gives the same literals without the
    occurrences. (Shorter runs are left: at most one such occurrence per character.)
    """

    def __init__(self, literals: Sequence[str]) -> None:
        self._singles = tuple(
            (index, literal) for index, literal in enumerate(literals) if len(literal) == 1
        )
        ids = [index for index, literal in enumerate(literals) if len(literal) > 1]
        longest: dict[str, int] = {}
        for index in ids:
            for char, run in _runs(literals[index]):
                longest[char] = max(longest.get(char, 0), run)
        repeated = sorted({literals[index][0] for index in ids if len(set(literals[index])) == 1})
        # Per canary, in id order: the runs its scan cuts, and the cut run (a replacement
        # template: its backslashes doubled). Only runs of _CANARY or more are cut: the cost
        # of a cut grows with the number of runs, and a shorter run costs little to scan.
        canaries = [char * max(longest[char] + 2, _CANARY) for char in repeated]
        self._cuts = tuple(
            (
                re.compile(f"{re.escape(canary[0])}{{{len(canary)},}}"),
                (canary[0] * (longest[canary[0]] + 1)).replace("\\", "\\\\"),
            )
            for canary in canaries
        )
        self._first_canary = len(literals)
        self._scan: Any = None
        if ids:
            self._scan = _database(
                [*ids, *range(self._first_canary, self._first_canary + len(canaries))],
                [*(literals[index] for index in ids), *canaries],
            ).scan

    def find(self, text: str) -> list[int]:
        """The literals in ``text`` (each once, any order)."""
        found = self._scan_cut(text) if self._scan is not None else []
        found.extend(index for index, literal in self._singles if literal in text)
        return found

    def _scan_cut(self, text: str) -> list[int]:
        """The database's literals in ``text``, whose long runs are cut first when a scan
        meets one (then scanned again: at most once more per character, whose runs are all
        cut by then)."""
        import hyperscan  # noqa: PLC0415  (a Hyperscan scanner has it)

        while True:
            found: list[int] = []
            try:
                self._scan(
                    text.encode("utf-8", "surrogatepass"),
                    _record_or_stop,
                    0,
                    (self._first_canary, found),
                )
            except hyperscan.ScanTerminated:
                cut, short = self._cuts[found[-1] - self._first_canary]
                text = cut.sub(short, text)
                continue
            return found


def _database(ids: Sequence[int], literals: Sequence[str]) -> Any:
    """A Hyperscan block-mode database of ``literals``, reporting ``ids``: loaded from the
    process's database cache when it holds one (:mod:`lwsyslog.matching.dbcache`), else
    compiled (and stored there)."""
    import hyperscan  # noqa: PLC0415  (optional: the re engine stands in without it)

    expressions = [_encode(literal) for literal in literals]
    flags = hyperscan.HS_FLAG_SINGLEMATCH
    store = dbcache.active()
    key = ""
    if store is not None:
        key = dbcache.cache_key(
            b"hyperscan literal block",
            str(getattr(hyperscan, "__version__", "")).encode(),
            dbcache.host_fingerprint(),
            str(flags).encode(),
            ",".join(str(ident) for ident in ids).encode(),
            *expressions,
        )
        loaded = _load(hyperscan, store.get(key))
        if loaded is not None:
            return loaded
    database = hyperscan.Database()
    database.compile(
        expressions=expressions,
        ids=list(ids),
        elements=len(literals),
        flags=flags,
        literal=True,
    )
    if store is not None:
        store.put(key, hyperscan.dumpb(database))
    return database


def _load(hyperscan: Any, blob: bytes | None) -> Any:
    """The database serialized in ``blob``, ready to scan; ``None`` when there is none or
    the library refuses it (another version, another CPU): it is then compiled again."""
    if blob is None:
        return None
    try:
        database = hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK)
        # A loaded database has no scratch space; a compiled one makes its own.
        database.scratch = hyperscan.Scratch(database)
    except hyperscan.error:
        return None
    return database


def _record(ident: int, start: int, end: int, flags: int, found: Any) -> None:
    """Hyperscan's match callback: the scan's list of literal ids is its context."""
    found.append(ident)


def _record_or_stop(ident: int, start: int, end: int, flags: int, context: Any) -> bool:
    """:func:`_record` for :class:`_Long`, whose context is ``(first canary, found)``: a
    canary stops the scan (it is the last id in the list)."""
    first, found = context
    found.append(ident)
    return bool(ident >= first)


def _runs(literal: str) -> list[tuple[str, int]]:
    """Each run of one character in ``literal`` and its length."""
    return [(match.group()[0], len(match.group())) for match in _RUN.finditer(literal)]


_RUN = re.compile(r"(.)\1*", re.DOTALL)


class _ReScanner:
    """The fallback: a trie-shaped alternation says whether anything occurs, then ``in``."""

    engine = "re"

    def __init__(self, literals: Sequence[str]) -> None:
        self._literals = tuple(literals)
        self._any = re.compile(_trie_pattern(self._literals), re.DOTALL).search

    def find(self, text: str) -> list[int]:
        """The literals found in ``text``."""
        if self._any(text) is None:
            return []
        return [index for index, literal in enumerate(self._literals) if literal in text]


def _trie_pattern(words: Sequence[str]) -> str:
    """A regex matching any of ``words``, prefixes shared: one branch per next character.

    ``re`` tries alternatives one after another at every position; a trie keeps that to one
    branch per character. A word ending at a node makes its longer extensions redundant:
    the search only has to say whether some word occurs.
    """
    trie: _TrieNode = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[_END] = {}

    def build(node: _TrieNode) -> str:
        if _END in node:
            return ""
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items())]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return build(trie)
