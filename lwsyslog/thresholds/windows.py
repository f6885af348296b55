"""Sliding windows for many keys in fixed-size records: memory bounded in bytes, not payloads.

A :class:`WindowStore` keeps, for up to ``capacity`` keys, the last ``depth`` events of each
(time, and where they were logged), the categories seen since the last crossing, the end of
the key's cooldown and, for windows that count distinct values, a 64-bit digest of each
recent value (never the value itself: a path an attacker pads to 8 KB costs 8 bytes here).
Everything lives in flat arrays (grown by doubling up to ``capacity`` records), so a key costs
the same few hundred bytes whatever its events held, and a flood of new keys cannot grow
memory past :attr:`WindowStore.bytes`. When the store is full, a key not used since the
clock hand last passed is evicted (the CLOCK approximation of LRU: one reference bit per
record, no reordering per event; a new key starts without the bit, so one-off keys go before
keys that came back), and evictions are counted.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import Final, NamedTuple

from lwsyslog.events import Origin

__all__ = ["ORIGIN_MAX_CHARS", "ORIGIN_SLOTS", "Hit", "OriginTable", "WindowStore", "record_bytes"]

#: Distinct origins (file, or web host and log) remembered by name; more map to one
#: "unknown" entry, whose alerts still carry their line numbers.
ORIGIN_SLOTS: Final = 65_535
#: ... and at most this many characters of their names in all: a name comes from a syslog
#: header, which a sender writes (4 MiB of ASCII; the table would otherwise hold 65,535
#: names of any length for good).
ORIGIN_MAX_CHARS: Final = 4 * 1024 * 1024

# Bytes a key costs besides its arrays: its dict entry (hash table slot, key and value ints).
_DICT_ENTRY_BYTES = 104
# Records allocated at first; the arrays double from there up to the capacity.
_FIRST_RECORDS = 256
# The end of a cooldown that never began.
_NEVER: Final = float("-inf")


def record_bytes(depth: int, distinct: bool) -> int:
    """Bytes one key's record costs in a store of that shape."""
    per_event = 8 + 8 + 4 + (8 if distinct else 0)  # time, line, origin id, value digest
    return depth * per_event + 2 + 2 + 8 + 8 + 8 + 1 + _DICT_ENTRY_BYTES


class OriginTable:
    """Origins (name, host, tag) by small integer id, bounded at :data:`ORIGIN_SLOTS` and
    :data:`ORIGIN_MAX_CHARS`."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str, str], int] = {}
        self._names: list[tuple[str, str, str]] = [("<many sources>", "", "")]
        self._chars = 0
        # The last source asked about and its id: lines come in runs from one source (a
        # scanned file is one), so most asks cost three string comparisons, no tuple.
        self._last: tuple[str, str, str] = ("", "", "")
        self._last_id = -1

    def id_of(self, origin: Origin) -> int:
        """The id of ``origin``'s source (0 once the table is full)."""
        last = self._last
        if (
            self._last_id >= 0
            and origin.name == last[0]
            and origin.host == last[1]
            and origin.tag == last[2]
        ):
            return self._last_id
        key = (origin.name, origin.host, origin.tag)
        found = self._ids.get(key)
        if found is None:
            chars = self._chars + len(key[0]) + len(key[1]) + len(key[2])
            if len(self._names) > ORIGIN_SLOTS or chars > ORIGIN_MAX_CHARS:
                return 0
            self._chars = chars
            found = len(self._names)
            self._ids[key] = found
            self._names.append(key)
        self._last = key
        self._last_id = found
        return found

    def origin(self, ident: int, line: int) -> Origin:
        """The origin of source ``ident`` at ``line``."""
        name, host, tag = self._names[ident]
        return Origin(name, line, host, tag)


class Hit(NamedTuple):
    """A window that reached its count: the material for a crossing."""

    events: int
    first: Origin
    last: Origin
    first_time: float
    categories: int  # bit mask


class WindowStore:
    """The windows of one threshold rule (see the module docstring).

    ``depth`` events are kept per key; :meth:`add` reports a :class:`Hit` when the key holds
    ``needed`` events whose oldest is at most ``window_secs`` old (``window_secs`` negative:
    no age limit) and the key is not in its cooldown.
    """

    def __init__(
        self,
        depth: int,
        capacity: int,
        origins: OriginTable,
        *,
        distinct: bool = False,
    ) -> None:
        if depth < 1 or capacity < 1:
            raise ValueError("depth and capacity must be >= 1")
        self.depth = depth
        self.capacity = capacity
        self.distinct = distinct
        self.evictions = 0
        self._origins = origins
        self._times = array("d")
        self._lines = array("q")
        self._sources = array("I")
        self._values = array("q")
        self._heads = array("H")
        self._filled = array("H")
        self._quiet = array("d")
        self._categories = array("Q")
        self._owners = array("q")
        self._referenced = bytearray()
        self._allocated = 0
        self._slots: dict[int, int] = {}
        self._hand = 0
        self._grow()

    @property
    def keys(self) -> int:
        """How many keys are held now."""
        return len(self._slots)

    @property
    def bytes(self) -> int:
        """The most the store can take, in bytes (when it holds ``capacity`` keys)."""
        return self.capacity * record_bytes(self.depth, self.distinct)

    def _grow(self) -> None:
        """Make room for more records: twice as many, up to ``capacity``."""
        new = min(self.capacity, max(_FIRST_RECORDS, 2 * self._allocated))
        more = new - self._allocated
        per_key = more * self.depth
        self._times.frombytes(bytes(8 * per_key))
        self._lines.frombytes(bytes(8 * per_key))
        self._sources.frombytes(bytes(4 * per_key))
        if self.distinct:
            self._values.frombytes(bytes(8 * per_key))
        self._heads.frombytes(bytes(2 * more))
        self._filled.frombytes(bytes(2 * more))
        self._quiet.extend(array("d", [float("-inf")]) * more)
        self._categories.frombytes(bytes(8 * more))
        self._owners.frombytes(bytes(8 * more))
        self._referenced.extend(bytes(more))
        self._allocated = new

    def add(
        self,
        key: str,
        when: float,
        origin: Origin,
        *,
        needed: int,
        window_secs: float,
        cooldown_secs: float,
        categories: int = 0,
        value: str | None = None,
        accept: Callable[[float], bool] | None = None,
    ) -> Hit | None:
        """Count one event for ``key``; a :class:`Hit` when its window crosses.

        ``accept``, when given, is asked (with the time of the window's oldest event) before a
        crossing is reported: when it says no, the window does not cross and no cooldown
        starts (a rule's further condition, such as a share of errors).
        """
        owner = hash(key)
        held = self._slots.get(owner)
        slot: int
        if held is None:
            # A new record is empty: nothing to read back (most keys of a log of many new
            # clients are seen once).
            slot = self._new_slot(owner)
            filled = 0
            head = 0
        else:
            slot = held
            self._referenced[slot] = 1
            filled = self._filled[slot]
            head = self._heads[slot]  # next position to write
        depth = self.depth
        base = slot * depth
        digest = None
        if value is not None and self.distinct:
            digest = hash(value)
            if filled and digest in self._values[base : base + filled]:
                return None
        position = base + head
        self._times[position] = when
        self._lines[position] = origin.line
        self._sources[position] = self._origins.id_of(origin)
        if digest is not None:
            self._values[position] = digest
        head = head + 1 if head + 1 < depth else 0
        self._heads[slot] = head
        if filled < depth:
            filled += 1
            self._filled[slot] = filled
        if categories:
            self._categories[slot] |= categories
        if filled < needed or when < self._quiet[slot]:
            return None
        oldest = base + (head - filled) % depth
        first_time = self._times[oldest]
        if window_secs >= 0 and when - first_time > window_secs:
            return None
        if accept is not None and not accept(first_time):
            return None
        self._quiet[slot] = when + cooldown_secs
        seen = self._categories[slot]
        self._categories[slot] = 0
        first = self._origins.origin(self._sources[oldest], self._lines[oldest])
        return Hit(filled, first, origin, first_time, seen)

    def clear(self, key: str) -> None:
        """Forget ``key``'s events (its record stays, empty)."""
        slot = self._slots.get(hash(key))
        if slot is not None:
            self._filled[slot] = 0
            self._heads[slot] = 0

    def count(self, key: str) -> int:
        """How many events ``key`` holds now (0 for an unknown key)."""
        slot = self._slots.get(hash(key))
        return 0 if slot is None else self._filled[slot]

    def oldest_time(self, key: str) -> float | None:
        """The time of ``key``'s oldest held event (``None`` when it holds none)."""
        slot = self._slots.get(hash(key))
        if slot is None or not self._filled[slot]:
            return None
        head = self._heads[slot]
        return self._times[slot * self.depth + (head - self._filled[slot]) % self.depth]

    def _new_slot(self, owner: int) -> int:
        """A record for a key not held yet (evicting one when the store is full); the caller
        sets its head and fill, the events it holds."""
        slots = self._slots
        if len(slots) < self.capacity:
            slot = len(slots)
            if slot == self._allocated:
                self._grow()
        else:
            slot = self._evict()
            del slots[self._owners[slot]]
        slots[owner] = slot
        self._owners[slot] = owner
        # A new key starts unreferenced: a flood of one-off keys evicts its own members before
        # any key that came back (the attacker the flood was meant to push out). Its head and
        # fill are written by add(), which asked for the record.
        self._referenced[slot] = 0
        self._quiet[slot] = _NEVER
        self._categories[slot] = 0
        return slot

    def _evict(self) -> int:
        referenced = self._referenced
        hand = self._hand
        capacity = self.capacity
        while referenced[hand]:
            referenced[hand] = 0
            hand = hand + 1 if hand + 1 < capacity else 0
        self._hand = hand + 1 if hand + 1 < capacity else 0
        self.evictions += 1
        return hand
