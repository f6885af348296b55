"""Referer echoes: the assets of a results page repeat its URL, attack string and all.

A search for ``<script>alert(1)</script>`` answered 200 is one request; the page it returns
then loads its styles, scripts and images, each with the search's URL in its Referer header,
so each line has a finding of the same rule. Counted as attacks, one search raised
``attack-repeat`` and ``urgent-burst`` besides the search's own alert. A line whose findings
are all in its Referer is an *echo*, which those two rules count once, when:

- the Referer is an ``http`` or ``https`` URL with a plain host name whose path and query are
  a request target, with a finding, that the same client sent the same web host within the
  rule's window (the page it came from, already counted); or
- the line asks for a static asset and its Referer is one already counted for the client
  within the window (a page loading twenty images counts once).

Everything else counts as before: a finding in the request target always counts (many payloads,
or one payload in many targets), and a Referer payload sent to many dynamic pages counts each
time unless it is the URL of the client's own earlier, counted request.

Per client, the 64-bit digests of the last :data:`ECHO_DEPTH` targets and Referers counted,
with their times, are kept in fixed-size records (never the values: an 8 KB Referer costs 8
bytes), for at most ``capacity`` clients. A full table forgets its oldest client: forgetting
only makes echoes count again (as before), never hides an attack, so it is not counted among
the threshold evictions (which warn that an attacker may lose events).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Final

from lwsyslog.events import AccessEvent, ErrorEvent
from lwsyslog.findings import Finding

__all__ = ["ECHO_DEPTH", "RefererEchoes", "referer_target"]

#: Targets and Referers remembered per client: a page's own URL and those of a few pages
#: opened beside it (an attacker's own fill it at once: then its echoes count again).
ECHO_DEPTH: Final = 4
_HOST_CHARS: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:[]"
)
# A key's dict entry (hash table slot, key and value ints), as the window store counts it.
_DICT_ENTRY_BYTES: Final = 104
_NEVER: Final = float("-inf")


def referer_target(referer: str) -> str | None:
    """The path and query of a Referer that is an ``http``/``https`` URL whose authority is a
    plain host name (and port): ``/`` when it has no path. ``None`` for anything else (a
    Shellshock function, a host name holding a payload)."""
    if referer.startswith("https://"):
        start = 8
    elif referer.startswith("http://"):
        start = 7
    else:
        return None
    slash = referer.find("/", start)
    authority = referer[start:] if slash < 0 else referer[start:slash]
    if not authority or not _HOST_CHARS.issuperset(authority):
        return None
    return "/" if slash < 0 else referer[slash:]


class RefererEchoes:
    """Which lines a per-client attack rule counts, its Referer echoes once (module doc)."""

    def __init__(self, capacity: int, window_secs: float) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.capacity = capacity
        self.evictions = 0
        self._window_secs = window_secs
        self._slots: dict[int, int] = {}
        self._owners = array("q")
        self._digests = array("q")
        self._times = array("d")
        self._heads = bytearray()
        self._hand = 0  # the next slot a new client takes when full: the oldest

    @staticmethod
    def record_bytes() -> int:
        """Bytes one client costs: its digests, their times, its ring position, its key."""
        return ECHO_DEPTH * (8 + 8) + 1 + 8 + _DICT_ENTRY_BYTES

    def counts(
        self, key: str, event: AccessEvent | ErrorEvent, findings: Sequence[Finding], static: bool
    ) -> bool:
        """Whether ``event`` (of client ``key``, with ``findings``; ``static``: it asks for a
        static asset) counts, remembering what later echoes are matched against."""
        when = event.time
        if when is None or not isinstance(event, AccessEvent):
            return True
        site = event.origin.host
        if any(finding.field != "referer" for finding in findings):
            self._remember(key, f"t\0{site}\0{event.vhost}\0{event.target}", when)
            return True
        since = when - self._window_secs
        referer = event.referer
        path = referer_target(referer)
        if path is not None and self._holds(key, f"t\0{site}\0{event.vhost}\0{path}", since):
            return False
        value = f"r\0{site}\0{event.vhost}\0{referer}"
        if static and self._holds(key, value, since):
            return False
        self._remember(key, value, when)
        return True

    def _holds(self, key: str, value: str, since: float) -> bool:
        slot = self._slots.get(hash(key))
        if slot is None:
            return False
        digest = hash(value)
        digests = self._digests
        times = self._times
        for position in range(slot * ECHO_DEPTH, (slot + 1) * ECHO_DEPTH):
            if digests[position] == digest and times[position] >= since:
                return True
        return False

    def _remember(self, key: str, value: str, when: float) -> None:
        owner = hash(key)
        slot = self._slots.get(owner)
        if slot is None:
            slot = self._new_slot(owner)
        digest = hash(value)
        base = slot * ECHO_DEPTH
        digests = self._digests
        for position in range(base, base + ECHO_DEPTH):
            if digests[position] == digest:
                self._times[position] = max(self._times[position], when)
                return
        head = self._heads[slot]
        digests[base + head] = digest
        self._times[base + head] = when
        self._heads[slot] = head + 1 if head + 1 < ECHO_DEPTH else 0

    def _new_slot(self, owner: int) -> int:
        slots = self._slots
        if len(slots) < self.capacity:
            slot = len(slots)
            self._owners.append(owner)
            self._digests.extend([0] * ECHO_DEPTH)
            self._times.extend([_NEVER] * ECHO_DEPTH)
            self._heads.append(0)
        else:
            slot = self._hand
            self._hand = slot + 1 if slot + 1 < self.capacity else 0
            del slots[self._owners[slot]]
            self.evictions += 1
            self._owners[slot] = owner
            base = slot * ECHO_DEPTH
            for position in range(base, base + ECHO_DEPTH):
                self._digests[position] = 0
                self._times[position] = _NEVER
            self._heads[slot] = 0
        slots[owner] = slot
        return slot
