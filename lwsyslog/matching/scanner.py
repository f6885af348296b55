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
from typing import Any, Protocol

__all__ = ["ENGINES", "LiteralScanner", "compile_literals", "engine_name"]

ENGINES = ("hyperscan", "re")
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
    """All literals in one Hyperscan block-mode database (the pure literal compiler)."""

    engine = "hyperscan"

    def __init__(self, literals: Sequence[str]) -> None:
        import hyperscan  # noqa: PLC0415  (optional: the re engine stands in without it)

        flags = hyperscan.HS_FLAG_SINGLEMATCH
        self._database = hyperscan.Database()
        self._database.compile(
            expressions=[_encode(literal) for literal in literals],
            ids=list(range(len(literals))),
            elements=len(literals),
            flags=flags,
            literal=True,
        )
        self._scan = self._database.scan

    def find(self, text: str) -> list[int]:
        """One scan of ``text``; each literal is reported at most once."""
        found: list[int] = []
        self._scan(text.encode("utf-8", "surrogatepass"), _record, 0, found)
        return found


def _record(ident: int, start: int, end: int, flags: int, found: Any) -> None:
    """Hyperscan's match callback: the scan's list of literal ids is its context."""
    found.append(ident)


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
