"""Writes :mod:`lwsyslog.matching.requirements_table`'s table for the built-in rules as they are.

``python -m lwsyslog.matching.requirements_build [PATH]`` analyses every pattern the built-in
rules and the shipped rule pack ask about (the table left aside) and writes the table
(default: into the package).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lwsyslog.matching import literals
from lwsyslog.matching.requirements_table import FORMAT, TABLE, Stored
from lwsyslog.rulepack.pack import SUFFIX, builtin_dir
from lwsyslog.rulepack.schema import read_pack
from lwsyslog.rules.source import BuiltinDetector

__all__ = ["current", "main"]


def current() -> dict[str, Stored]:
    """Every analysis the built-in rules and the shipped rule pack ask for, made now (the
    table left aside), by key."""
    literals.literal_requirement.cache_clear()
    asked: dict[str, Stored] = {}
    literals.RECORD = asked
    try:
        BuiltinDetector().configure({})
        for path in sorted(builtin_dir().glob(f"*{SUFFIX}")):
            read_pack(path)
    finally:
        literals.RECORD = None
        literals.literal_requirement.cache_clear()
    return asked


def main(argv: list[str] | None = None) -> int:
    """Write the table (to the package, or to the path given); returns the exit status."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else Path(literals.__file__).resolve().parent.parent / TABLE
    entries = current()
    lines = [f"{json.dumps(key)}: {json.dumps(value)}" for key, value in sorted(entries.items())]
    body = ",\n".join(lines)
    target.write_text(f'{{"format": {FORMAT}, "entries": {{\n{body}\n}}}}\n', encoding="utf-8")
    print(f"{len(entries)} requirements written to {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
