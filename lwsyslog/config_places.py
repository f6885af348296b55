"""Where a key of a TOML configuration file was set: tomllib reports no positions, so the
lines of dotted names are found by a pass over the file's text, and the loader remembers the
file and line of every table and key for errors found after the files are merged."""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from functools import lru_cache
from typing import Any

from lwsyslog.settings import Location

__all__ = ["Places", "line_index", "line_of", "nearest_line"]


class Places:
    """Where each ``[rules.ID]`` table and option, each ``[crawlers.catalog.ID]`` table, and
    each table and key of any kind (``keys``) was last set, for errors found later."""

    def __init__(self, rule_keys: Container[str]) -> None:
        self._rule_keys = rule_keys
        self.tables: dict[str, Location] = {}
        self.options: dict[tuple[str, str], int | None] = {}
        self.crawlers: dict[str, Location] = {}
        self.keys: dict[tuple[str, ...], Location] = {}

    def find(self, path: tuple[str, ...], default: str) -> Location:
        """Where ``path`` was last set, else the nearest table around it, else ``default``."""
        for size in range(len(path), 0, -1):
            place = self.keys.get(path[:size])
            if place is not None:
                return place
        return Location(default)

    def file_line(self, path: tuple[str, ...], default: str) -> tuple[str, int | None]:
        """:meth:`find` as a pair, for the modules that do not know :class:`Location`."""
        place = self.find(path, default)
        return place.file, place.line

    def note(self, data: Mapping[str, Any], text: str, name: str) -> None:
        self._note_keys(data, (), line_index(text), name, None)
        for crawler_id in data.get("crawlers", {}).get("catalog", {}):
            line = line_of(text, ("crawlers", "catalog"), crawler_id)
            self.crawlers[crawler_id] = Location(name, line)
        for rule_id, values in data.get("rules", {}).items():
            self.tables[rule_id] = Location(name, line_of(text, ("rules",), rule_id))
            for key in values:
                if key not in self._rule_keys:
                    self.options[rule_id, key] = line_of(text, ("rules", rule_id), key)

    def _note_keys(
        self,
        data: Mapping[str, Any],
        path: tuple[str, ...],
        index: Mapping[tuple[str, ...], int],
        name: str,
        outer: int | None,
    ) -> None:
        for key, value in data.items():
            here = (*path, key)
            # A key inside an inline table has no line of its own: that of the table.
            line = index.get(here, outer)
            self.keys[here] = Location(name, line)
            if isinstance(value, dict):
                self._note_keys(value, here, index, name, line)


def nearest_line(text: str, path: tuple[str, ...]) -> int | None:
    """The line of ``path`` in ``text``, else of the nearest table around it."""
    index = line_index(text)
    for size in range(len(path), 0, -1):
        line = index.get(path[:size])
        if line is not None:
            return line
    return None


def line_of(text: str, path: tuple[str, ...], key: str) -> int | None:
    """Best-effort line of ``key`` in table ``path`` (tomllib reports no positions): the first
    header or assignment whose dotted name starts with ``path`` and ``key``."""
    return line_index(text).get((*path, key))


@lru_cache(maxsize=16)
def line_index(text: str) -> dict[tuple[str, ...], int]:
    """The first line of every dotted-name prefix that a header or assignment of ``text``
    spells: one pass per file, where a scan per key looked up made start-up walk the
    defaults thousands of times."""
    index: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = _dotted(header.group(1))
            name = table
        else:
            assignment = _ASSIGNMENT.match(line)
            if not assignment:
                continue
            name = (*table, *_dotted(assignment.group(1)))
        for size in range(1, len(name) + 1):
            index.setdefault(name[:size], number)
    return index


_HEADER = re.compile(r"^\s*\[\[?([^\]]+)\]")
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z0-9_.\-\"' ]+?)\s*=")


def _dotted(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in text.split("."))
