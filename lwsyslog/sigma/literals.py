"""The literal text a Sigma rule cannot match without, per Sigma field.

Most SigmaHQ web rules need some literal text in some field (``union select`` in
``cs-uri-query``, ``gobuster/`` in the User-Agent). The compiler derives, for each rule, a
*requirement*: a set of ``(field, literal)`` pairs, at least one of which must be present
for the rule to match (a necessary condition, never a sufficient one). The detect stage looks
for those literals together with every other rule's (:mod:`lwsyslog.detection.plan`), so a
benign event costs no Sigma evaluation at all. Rules without a requirement (a bare status
test, a ``not``) are evaluated on every event of their log.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sigma.types import SigmaString

__all__ = ["FieldLiterals", "literal_of"]

FieldLiterals = frozenset[tuple[str, str]] | None
"""``(lower-case sigma field, lower-case literal)`` pairs, one of which a match needs."""


def literal_of(value: SigmaString) -> str | None:
    """The longest ASCII run of plain text in a wildcard string, lower-cased, if any.

    Non-ASCII text is left out because ``str.lower()`` and ``re.IGNORECASE`` disagree on a
    few non-ASCII letters (final sigma); an ASCII run is matched the same way by both.
    """
    best = ""
    for part in value.iter_parts():
        if isinstance(part, str):
            for run in re.findall(r"[\x00-\x7f]+", part):
                if len(run) > len(best):
                    best = run
    return best.lower() or None
