"""Per-key tallies over a sliding window, in time buckets: how many answers of each kind a key
got lately (successes and errors of a client, 5xx answers of a web host), bounded in bytes.

Each key holds ``BUCKETS + 1`` buckets of ``window_secs / BUCKETS`` seconds, each with a count
per kind, so :meth:`Tallies.since` sums a window to within one bucket whatever the traffic:
a client that sent 100,000 good requests costs the same record as one that sent two. At most
``capacity`` keys are held; a new key past that replaces the one the clock hand reaches
(keys are only opened by rare events, such as a client's first missing page, so a simple
rotation is enough). Nothing of a key but a 64-bit digest of its name is kept.
"""

from __future__ import annotations

from array import array

__all__ = ["BUCKETS", "Tallies", "tally_bytes"]

#: Buckets per window: the sums are exact to within one bucket (an eighth of the window).
BUCKETS = 8
_RING = BUCKETS + 1
_DICT_ENTRY_BYTES = 104


def tally_bytes(kinds: int) -> int:
    """Bytes one key costs in a :class:`Tallies` counting ``kinds`` kinds."""
    return _RING * kinds * 4 + 8 + 8 + _DICT_ENTRY_BYTES


class Tallies:
    """Counts per key and kind in time buckets (see the module docstring)."""

    def __init__(self, window_secs: float, capacity: int, kinds: int = 2) -> None:
        if capacity < 1 or kinds < 1:
            raise ValueError("capacity and kinds must be >= 1")
        self.kinds = kinds
        self.capacity = capacity
        self.width = max(window_secs, 1.0) / BUCKETS
        self._slots: dict[int, int] = {}
        self._owners = array("q")
        self._newest = array("q")  # index of each key's newest bucket
        self._counts = array("I")
        self._hand = 0
        self.evictions = 0

    @property
    def keys(self) -> int:
        """How many keys are held now."""
        return len(self._slots)

    @property
    def bytes(self) -> int:
        """The most the tallies can take, in bytes."""
        return self.capacity * tally_bytes(self.kinds)

    def __contains__(self, key: str) -> bool:
        return hash(key) in self._slots

    def open(self, key: str) -> None:
        """Start tallying ``key`` (nothing when it is tallied already)."""
        owner = hash(key)
        if owner in self._slots:
            return
        if len(self._slots) < self.capacity:
            slot = len(self._slots)
            self._owners.append(owner)
            self._newest.append(-(1 << 62))
            self._counts.frombytes(bytes(4 * _RING * self.kinds))
        else:
            slot = self._hand
            self._hand = (slot + 1) % self.capacity
            del self._slots[self._owners[slot]]
            self._owners[slot] = owner
            self._newest[slot] = -(1 << 62)
            self.evictions += 1
        self._slots[owner] = slot

    def add(self, key: str, when: float, kind: int = 0, amount: int = 1) -> bool:
        """Count ``amount`` of ``kind`` at ``when`` for ``key`` if it is tallied (True then)."""
        slot = self._slots.get(hash(key))
        if slot is None:
            return False
        bucket = int(when // self.width)
        newest = self._newest[slot]
        kinds = self.kinds
        base = slot * _RING * kinds
        counts = self._counts
        if bucket > newest:
            # Buckets between the newest and this one are empty: clear them (at most the ring).
            for old in range(max(newest + 1, bucket - _RING + 1), bucket + 1):
                start = base + (old % _RING) * kinds
                counts[start : start + kinds] = array("I", bytes(4 * kinds))
            self._newest[slot] = newest = bucket
        elif bucket <= newest - _RING:
            return True  # older than the ring: outside every window
        position = base + (bucket % _RING) * kinds + kind
        counts[position] = min(counts[position] + amount, 0xFFFFFFFF)
        return True

    def since(self, key: str, start: float) -> tuple[int, ...]:
        """Each kind's count for ``key`` from the bucket of ``start`` to its newest (zeros when
        ``key`` is not tallied)."""
        slot = self._slots.get(hash(key))
        kinds = self.kinds
        if slot is None:
            return (0,) * kinds
        newest = self._newest[slot]
        first = max(int(start // self.width), newest - _RING + 1)
        base = slot * _RING * kinds
        totals = [0] * kinds
        counts = self._counts
        for bucket in range(first, newest + 1):
            start_at = base + (bucket % _RING) * kinds
            for kind in range(kinds):
                totals[kind] += counts[start_at + kind]
        return tuple(totals)
