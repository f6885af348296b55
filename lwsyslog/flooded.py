"""The type that marks a field's decoded text as flooded (its decoding met a cap).

Its own module, not compiled: a subclass of ``str`` stays an ordinary Python class, while
:mod:`lwsyslog.normalize`, which makes these texts, is compiled to C (:mod:`lwsyslog.compiled`).
"""

from __future__ import annotations

__all__ = ["FloodedText", "flooded_text"]


class FloodedText(str):
    """The lower-cased decoded text (``EventView.lower`` in :mod:`lwsyslog.normalize`) of a
    field whose decoding met a cap of distinct pieces (``EventView.flooded``). A rule
    confirmed on a field's text alone (``match_field``) is given the text, not the view: the
    type carries the flag to it (:func:`flooded_text`). Every ``str`` method returns a plain
    ``str``."""

    __slots__ = ()


def flooded_text(text: str) -> bool:
    """Whether ``text`` is the lower-cased decoded text of a field whose decoding met a cap of
    distinct pieces (see :class:`FloodedText`)."""
    return type(text) is FloodedText
