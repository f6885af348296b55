"""Label values fit to show: escaped like ``lwsyslog status`` shows them, bounded, distinct.

A host name is whatever a syslog header said, so it may carry a terminal escape, a bidi
override or 5,000 characters. The exposition format only escapes ``\\``, ``"`` and newline,
and Grafana or ``curl`` show the rest raw. A value that is not printable, or too long, is
escaped as :func:`lwsyslog.sanitize.sanitize` does (``\\x1b``, ``\\u202e``), cut at
:data:`MAX_LABEL_CHARS` with an ellipsis, and tagged with a hash of the original value.

Backslashes are left to the exposition format, which escapes them itself; the tag is what
keeps a changed value apart from any other one, a value cut short from its longer siblings
and an escaped ``ESC`` from a host literally named ``\\x1b``.
"""

from __future__ import annotations

import hashlib

from lwsyslog.sanitize import char_escape

__all__ = ["MAX_LABEL_CHARS", "label_value"]

MAX_LABEL_CHARS = 255
"""The longest label value shown (the status command shows host names as long)."""

_DIGEST_CHARS = 16
_CUT = "…"


def label_value(text: str) -> str:
    """``text`` as a label value: unchanged when printable and short enough, else escaped,
    cut to :data:`MAX_LABEL_CHARS` and tagged with ``" #"`` and a hash of ``text``."""
    if len(text) <= MAX_LABEL_CHARS and text.isprintable():
        return text
    tag = f" #{_digest(text)}"
    shown, cut = _escaped_within(text, MAX_LABEL_CHARS - len(tag) - len(_CUT))
    return f"{shown}{_CUT if cut else ''}{tag}"


def _digest(text: str) -> str:
    # Lone surrogates (a JSON "\ud800") have no UTF-8 form; they still hash.
    data = text.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:_DIGEST_CHARS]


def _escaped_within(text: str, budget: int) -> tuple[str, bool]:
    """``text`` escaped, up to ``budget`` characters and never half an escape; cut or not."""
    parts: list[str] = []
    used = 0
    for char in text:
        part = char if char.isprintable() else char_escape(char)
        if used + len(part) > budget:
            return "".join(parts), True
        parts.append(part)
        used += len(part)
    return "".join(parts), False
