"""Per-key tallies over a sliding window, in time buckets: how many answers of each kind a key
got lately (successes and errors of a client, 5xx answers of a web host), bounded in bytes.

Each key holds ``BUCKETS + 1`` buckets of ``window_secs / BUCKETS`` seconds (more when a longer
window must be summed too), each with a count per kind, so :meth:`Tallies.since` sums a window
to within one bucket whatever the traffic: a client that sent 100,000 good requests costs the
same record as one that sent two. At most ``capacity`` keys are held; a new key past that
replaces the one the clock hand reaches (keys are only opened by rare events, such as a
client's first missing page, so a simple rotation is enough). Nothing of a key but a 64-bit
digest of its name is kept.
"""

from __future__ import annotations

from array import array

__all__ = ["BUCKETS", "Tallies", "ring_size", "tally_bytes"]

#: Buckets per window: the sums are exact to within one bucket (an eighth of the window).
BUCKETS = 8
_RING = BUCKETS + 1
_DICT_ENTRY_BYTES = 104


def tally_bytes(kinds: int, ring: int = _RING) -> int:
    """Bytes one key costs in a :class:`Tallies` counting ``kinds`` kinds in ``ring`` buckets."""
    return ring * kinds * 4 + 8 + 8 + 8 + _DICT_ENTRY_BYTES


def ring_size(window_secs: float, longest_secs: float = 0.0) -> int:
    """Buckets per key of tallies over ``window_secs`` that sum windows up to
    ``longest_secs`` too."""
    return max(_RING, int(longest_secs // (max(window_secs, 1.0) / BUCKETS)) + 2)


class Tallies:
    """Counts per key and kind in time buckets (see the module docstring)."""

    def __init__(
        self, window_secs: float, capacity: int, kinds: int = 2, longest_secs: float = 0.0
    ) -> None:
        if capacity < 1 or kinds < 1:
            raise ValueError("capacity and kinds must be >= 1")
        self.kinds = kinds
        self.capacity = capacity
        self.width = max(window_secs, 1.0) / BUCKETS
        # Windows up to longest_secs can be summed too (more buckets of the same width).
        self.ring = ring_size(window_secs, longest_secs)
        self._slots: dict[int, int] = {}
        #: ``hash(key)`` of every key held (read-only: the hot path's membership test; a
        #: dict, which compiled code tests directly).
        self.held: dict[int, int] = self._slots
        self._owners = array("q")
        self._newest = array("q")  # index of each key's newest bucket
        self._until = array("d")  # after this time a key's answers are no longer counted
        self._counts = array("I")
        self._zeros = array("I", bytes(4 * self.ring * kinds))
        self._hand = 0
        self.evictions = 0

    @property
    def keys(self) -> int:
        """How many keys are held now."""
        return len(self._slots)

    @property
    def bytes(self) -> int:
        """The most the tallies can take, in bytes."""
        return self.capacity * tally_bytes(self.kinds, self.ring)

    def __contains__(self, key: str) -> bool:
        return hash(key) in self._slots

    def open(self, key: str, now: float, until: float = float("inf")) -> None:
        """Tally ``key`` from ``now`` (its answers up to ``until``; a later ``until`` extends
        it)."""
        owner = hash(key)
        slot = self._slots.get(owner)
        if slot is not None:
            self._until[slot] = max(self._until[slot], until)
            return
        self._record(owner, now, until)

    def open_and_add(self, key: str, now: float, until: float, kind: int = 0) -> None:
        """:meth:`open` ``key``, then :meth:`add` one ``kind`` at ``now`` (``until`` is not
        before ``now``): what a probe does, in one look-up for a key not tallied yet."""
        owner = hash(key)
        slot = self._slots.get(owner)
        if slot is not None:
            self._until[slot] = max(self._until[slot], until)
            self.add(key, now, kind)
            return
        slot = self._record(owner, now, until)
        # Every bucket of the new record is empty and ``now`` falls in its newest.
        kinds = self.kinds
        self._counts[(slot * self.ring + int(now // self.width) % self.ring) * kinds + kind] = 1

    def _record(self, owner: int, now: float, until: float) -> int:
        """A record for a key not tallied yet, every bucket empty, the newest that of ``now``
        (the clock hand's when all ``capacity`` are taken)."""
        size = self.ring * self.kinds
        if len(self._slots) < self.capacity:
            slot = len(self._slots)
            self._owners.append(owner)
            self._newest.append(0)
            self._until.append(0.0)
            self._counts.frombytes(bytes(4 * size))
        else:
            slot = self._hand
            self._hand = (slot + 1) % self.capacity
            del self._slots[self._owners[slot]]
            self._owners[slot] = owner
            self._counts[slot * size : (slot + 1) * size] = self._zeros
            self.evictions += 1
        # Every bucket is empty: the ring starts at this one, with nothing to clear.
        self._newest[slot] = int(now // self.width)
        self._until[slot] = until
        self._slots[owner] = slot
        return slot

    def add(self, key: str, when: float, kind: int = 0, amount: int = 1) -> bool:
        """Count ``amount`` of ``kind`` at ``when`` for ``key`` if it is tallied and open then
        (True when counted or too old to matter)."""
        slot = self._slots.get(hash(key))
        if slot is None or when > self._until[slot]:
            return False
        bucket = int(when // self.width)
        newest = self._newest[slot]
        kinds = self.kinds
        ring = self.ring
        base = slot * ring * kinds
        counts = self._counts
        if bucket > newest:
            # Buckets between the newest and this one are empty: clear them (at most the ring).
            for old in range(max(newest + 1, bucket - ring + 1), bucket + 1):
                start = base + (old % ring) * kinds
                for position in range(start, start + kinds):
                    counts[position] = 0
            self._newest[slot] = bucket
        elif bucket <= newest - ring:
            return True  # older than the ring: outside every window
        position = base + (bucket % ring) * kinds + kind
        counts[position] = min(counts[position] + amount, 0xFFFFFFFF)
        return True

    def since(self, key: str, start: float) -> tuple[int, ...]:
        """Each kind's count for ``key`` from the bucket of ``start`` to its newest (zeros when
        ``key`` is not tallied)."""
        slot = self._slots.get(hash(key))
        kinds = self.kinds
        if slot is None:
            return (0,) * kinds
        ring = self.ring
        newest = self._newest[slot]
        first = max(int(start // self.width), newest - ring + 1)
        base = slot * ring * kinds
        totals = [0] * kinds
        counts = self._counts
        for bucket in range(first, newest + 1):
            start_at = base + (bucket % ring) * kinds
            for kind in range(kinds):
                totals[kind] += counts[start_at + kind]
        return tuple(totals)
