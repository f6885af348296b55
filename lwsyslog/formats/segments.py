"""An escape-aware LogFormat pattern matched piece by piece, its quoted values measured apart.

The escape-aware pattern reads a quoted value as runs between escapes and escapes, a regex
step per escape: a Referer of 60,000 ``\\"`` costs 1.3 ms there, ten times a line of words.
:class:`SegmentedPattern` cuts the pattern at those values (the *runs*: a value inside quotes
up to the closing quote, matched possessively) into *pieces*, matches each piece with ``re``
where the text is, and finds where each run stops with
:func:`~lwsyslog.formats.escaped_text.run_end` (one pass of RE2 over its bytes).

That gives what the whole pattern gives when no piece can end in two places: the whole
pattern could then never go back into a piece for another way on (a run is possessive, so
where it stops depends only on where it starts), and the first match of each piece is the one
the whole pattern tries first. :attr:`SegmentedPattern.exact` says whether that holds, from
what each value of a piece can match: a value that can end in one place only (a possessive
run, the bracketed time) keeps the position known; one that cannot, but never takes a blank
(a server name, which may be an IPv6 address), leaves it known again at the next literal
blank (the first blank after the last known position). A piece whose end is not known so,
and any format with such a piece, is matched whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from lwsyslog.formats.escaped_text import run_end

__all__ = ["Groups", "Part", "SegmentedPattern"]

Groups = tuple[str | Any, ...]
"""What ``re.Match.groups()`` gives for the whole pattern (``None`` for a group that took no
part, typed as typeshed types it)."""

#: A line shorter than this is matched whole: the pieces cost a few calls more, and a step
#: per escape over a few hundred escapes costs less than that.
SEGMENTED_FROM = 2048

_BLANKS = frozenset(" \t")
_KNOWN, _BEFORE_BLANK, _UNKNOWN = 0, 1, 2


class Part(NamedTuple):
    """One element of the pattern: literal text, or a directive's value (one group)."""

    regex: str
    literal: str | None = None  # the text a literal part matches; None for a value
    single_end: bool = False  # the value can end in one place only
    blank_free: bool = False  # the value never takes a space or a tab
    run: bool = False  # a quoted value running to the next unescaped quote (possessive)


def _piece_ends_known(parts: Sequence[Part]) -> bool:
    """True when ``parts`` (a piece, from a known start) can end in one place only."""
    state = _KNOWN
    for part in parts:
        if part.literal is not None:
            for char in part.literal:
                if state == _BEFORE_BLANK and char in _BLANKS:
                    state = _KNOWN
        elif part.single_end and state == _KNOWN:
            continue
        elif part.blank_free and state != _UNKNOWN:
            state = _BEFORE_BLANK
        else:
            state = _UNKNOWN
    return state == _KNOWN


class SegmentedPattern:
    """``re.compile("".join(parts) + tail)``, matched piece by piece when :attr:`exact`."""

    __slots__ = ("_pieces", "exact", "pattern")

    def __init__(self, parts: Sequence[Part], tail: str) -> None:
        self.pattern = re.compile("".join(part.regex for part in parts) + tail)
        pieces: list[list[Part]] = [[]]
        for part in parts:
            if part.run:
                pieces.append([])
            else:
                pieces[-1].append(part)
        # The last piece ends at the end of the line: only the others must end in one place.
        self.exact = len(pieces) > 1 and all(_piece_ends_known(piece) for piece in pieces[:-1])
        compiled = [re.compile("".join(part.regex for part in piece)) for piece in pieces]
        compiled[-1] = re.compile(compiled[-1].pattern + tail)
        self._pieces: tuple[Callable[[str, int], re.Match[str] | None], ...] = tuple(
            piece.match for piece in compiled
        )
        if sum(piece.groups for piece in compiled) + len(pieces) - 1 != self.pattern.groups:
            raise ValueError("a run must be one group")  # a guard: each value is one group

    def match(self, text: str) -> Groups | None:
        """The groups of the whole pattern's match of ``text``, or ``None``."""
        if self.exact and len(text) >= SEGMENTED_FROM:
            return self.match_pieces(text)
        found = self.pattern.match(text)
        return None if found is None else found.groups()

    def match_pieces(self, text: str) -> Groups | None:
        """:meth:`match` piece by piece whatever the length (only when :attr:`exact`)."""
        data = text.encode("ascii") if text.isascii() else None
        groups: list[str | None] = []
        pos = 0
        last = len(self._pieces) - 1
        for index, piece in enumerate(self._pieces):
            found = piece(text, pos)
            if found is None:
                return None
            groups.extend(found.groups())
            if index == last:
                break
            pos = found.end()
            end = run_end(text, data, pos)
            groups.append(text[pos:end])
            pos = end
        return tuple(groups)
