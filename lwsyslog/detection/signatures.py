"""What a detector tells the detect stage about its rules, and what it gets back.

A :class:`Signature` says: rule ``owner`` (an index the detector chose) can only match field
``field`` of an event when every group of its ``requirement`` has one of its literals in the
field's text. The detect stage scans each field once for the literals of every signature of
every detector (:mod:`lwsyslog.detection.plan`) and hands each detector its
:class:`Candidate` rules. A ``local`` signature's verdict depends on that field's text alone:
its rule is confirmed on the text right away (and the verdict cached with the text); any other
candidate is evaluated on the whole event by its detector.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from lwsyslog.canonical import CANONICAL_FIELDS
from lwsyslog.matching.literals import Requirement

__all__ = ["SCANNED_FIELDS", "Candidate", "Form", "Signature"]

Form = Literal["decoded", "raw"]
"""``decoded``: the field as rules read it (every encoding undone, lower-cased); ``raw``: as
parsed (Apache's own escaping undone), case-folded: what Sigma rules match."""

#: The text fields a signature can name.
SCANNED_FIELDS = frozenset(
    {"target", "path", "query", "user_agent", "referer", "cookie", "headers", "user", "message"}
    | CANONICAL_FIELDS.keys()
)


class Signature(NamedTuple):
    """Literals that one rule cannot match one field without (see the module docstring).

    ``requirement`` ``None``: every event with a non-empty field is a candidate.
    """

    owner: int
    field: str
    form: Form
    requirement: Requirement | None
    local: bool


class Candidate(NamedTuple):
    """A rule the scan selected on one field. For a local signature ``fragment`` is what the
    rule matched there (a confirmed match); otherwise ``None``: evaluate on the event."""

    owner: int
    field: str
    fragment: str | None
