"""The literal requirements of the built-in rule patterns, computed ahead of time.

Analysing the patterns of every built-in rule and of the shipped rule pack
(:func:`~lwsyslog.matching.literals.literal_requirement`) costs about 100 ms, at every start
of ``lwsyslog scan`` and of the omprog program. The results depend only on the pattern text,
its flags and the ``single_spaces`` assumption, so they are stored in
``lwsyslog/data/literal-requirements.json`` under a digest of those, and looked up first. A
pattern that is not in the table (a rule added since the table was written, a Sigma rule's
regex) is analysed as before: the table only saves time.
``tests/unit/test_requirements_table.py`` checks that every stored entry is what the analysis
gives today; ``python -m lwsyslog.matching.requirements_build`` writes the table anew.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources

__all__ = ["FORMAT", "TABLE", "Stored", "entry_key", "lookup", "stored"]

#: Part of every key: raise it when the analysis changes what a requirement means (the text
#: it assumes, e.g. how decoding folds white space), and every stored entry is ignored.
FORMAT = 1
#: Where the table lives, inside the package.
TABLE = "data/literal-requirements.json"

Stored = list[list[str]] | None


def entry_key(pattern: str, flags: int, single_spaces: bool) -> str:
    """The key of one analysis in the table."""
    # int(): a RegexFlag formats as its names ("re.ASCII|re.IGNORECASE") where the compiled
    # module passes a plain int; the key must be the same either way.
    text = f"{FORMAT}\n{int(flags)}\n{int(single_spaces)}\n{pattern}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@cache
def stored() -> dict[str, Stored]:
    """The table as stored (empty when the file is missing or unreadable: it only saves
    time)."""
    try:
        text = resources.files("lwsyslog").joinpath(TABLE).read_text("utf-8")
        data = json.loads(text)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return {}
    entries = data.get("entries")
    return entries if isinstance(entries, dict) else {}


def lookup(
    pattern: str, flags: int, single_spaces: bool
) -> tuple[bool, tuple[frozenset[str], ...] | None]:
    """``(True, requirement)`` when the table holds the analysis (clauses in order, ``None``
    for "unknown"), ``(False, None)`` when it does not."""
    key = entry_key(pattern, flags, single_spaces)
    table = stored()
    if key not in table:
        return False, None
    found = table[key]
    return True, None if found is None else tuple(frozenset(clause) for clause in found)
