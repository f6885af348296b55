"""Writes :data:`~lwsyslog.formats.directives.PARSED_TABLE`: the built-in formats, parsed.

``python -m lwsyslog.formats.items_build [PATH]`` parses every format of
:data:`~lwsyslog.formats.logformat.BUILTIN_FORMATS` with the grammar and writes the table
(default: into the package).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lwsyslog.formats import directives
from lwsyslog.formats.logformat import BUILTIN_FORMATS

__all__ = ["current", "main"]


def current() -> dict[str, list[str | dict[str, object]]]:
    """Every built-in format's items as the grammar gives them now, by format string."""
    return {
        fmt: directives.table_entry(directives.parse_with_grammar(fmt))
        for fmt in sorted(set(BUILTIN_FORMATS.values()))
    }


def main(argv: list[str] | None = None) -> int:
    """Write the table (to the package, or to the path given); returns the exit status."""
    args = sys.argv[1:] if argv is None else argv
    package = Path(directives.__file__).resolve().parent.parent
    target = Path(args[0]) if args else package / directives.PARSED_TABLE
    entries = current()
    target.write_text(json.dumps(entries, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(entries)} formats written to {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
