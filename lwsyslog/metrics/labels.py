"""Label values fit to show: escaped like ``lwsyslog status`` shows them, bounded, distinct.

A host name is whatever a syslog header said, so it may carry a terminal escape, a bidi
override or 5,000 characters. The exposition format only escapes ``\\``, ``"`` and newline,
and Grafana or ``curl`` show the rest raw. A value that is not printable, or too long, is
escaped as :func:`lwsyslog.sanitize.sanitize` does (``\\x1b``, ``\\u202e``), cut at
:data:`MAX_LABEL_CHARS` with an ellipsis, and tagged with a hash of the original value.

Backslashes are left to the exposition format, which escapes them itself; the tag is what
keeps a changed value apart from any other one, a value cut short from its longer siblings
and an escaped ``ESC`` from a host literally named ``\\x1b``.

Their number is bounded too (:class:`HostSeries`): every host a line names would be a series,
and a sender that keeps making up names would make series without end.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from lwsyslog.sanitize import char_escape

__all__ = ["MAX_LABEL_CHARS", "MAX_OTHER_HOSTS", "OTHER_HOSTS", "HostSeries", "label_value"]

MAX_LABEL_CHARS = 255
"""The longest label value shown (the status command shows host names as long)."""

OTHER_HOSTS = "_other"
"""The ``host`` label of the one series that stands for every host without one of its own."""

MAX_OTHER_HOSTS = 200
"""Hosts not named in ``[hosts]`` that get a series of their own, the first seen first."""

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


class HostSeries:
    """Which web hosts get a series of their own in the per-host metrics.

    Host names come from the lines, so any sender can make up new ones, and each would be a
    new series (a name evicted and replaced, another one): Prometheus keeps every series it
    ever saw for its retention. The hosts named in ``[hosts] silent_after_secs_per_host``
    always get one; of the others, the first :data:`MAX_OTHER_HOSTS` seen do, for the life of
    the program (a name once admitted keeps its place, even while forgotten), and the rest
    share the series ``host="_other"``. Over a program's life at most the configured hosts,
    ``MAX_OTHER_HOSTS`` others and ``_other`` are ever shown.
    """

    def __init__(self, configured: Iterable[str] = (), max_others: int = MAX_OTHER_HOSTS) -> None:
        self.configured = frozenset(configured)
        self.max_others = max_others
        self._others: set[str] = set()

    def admit(self, hosts: Iterable[str]) -> frozenset[str]:
        """The hosts of ``hosts`` (and any before) with a series of their own; new ones are
        admitted while there is room (in ``hosts``' order)."""
        others = self._others
        if len(others) < self.max_others:
            configured = self.configured
            for host in hosts:
                if host not in configured and host not in others:
                    others.add(host)
                    if len(others) >= self.max_others:
                        break
        return self.configured | others
