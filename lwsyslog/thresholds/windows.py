"""Sliding windows for many keys in fixed-size records: memory bounded in bytes, not payloads.

A :class:`WindowStore` keeps, for up to ``capacity`` keys, the last ``depth`` events of each
(time, and where they were logged), the categories seen since the last crossing, the end of
the key's cooldown and, for windows that count distinct values, a 64-bit digest of each
recent value (never the value itself: a path an attacker pads to 8 KB costs 8 bytes here).
Everything lives in flat arrays (grown by doubling up to ``capacity`` records), so a key costs
the same few hundred bytes whatever its events held, and a flood of new keys cannot grow
memory past :attr:`WindowStore.bytes`.

When the store is full, eviction is scan-resistant (segmented, as in 2Q and SLRU): a key seen
once is on probation, and probation keys are evicted first, oldest first; a key's second event
makes it protected. Protected keys (at most three quarters of the store) are evicted only once
they are demoted, by a counting CLOCK (GCLOCK: each event adds one to a record's count, up to
:data:`REFERENCE_MAX`, and the hand takes one off each time it passes; a key is demoted when
the hand finds its count at zero; no reordering per event). So a flood of one-off keys,
however large, evicts only its own kind and never a key with several events. A flood of keys
that each send two or three events is protected too, and evicts an attacker's key that keeps
sending once it brings enough keys within each of the attacker's gaps. Measured with
``WindowStore(10, 1000, ...)``, one attacker event per gap and 12 gaps, the largest flood per
gap that still lets the alert through, against a one-bit CLOCK (a count of at most 1): 350
two-event keys (100), 325 three-event keys (100), 100 four-event keys (100); with 700 idle
keys of 9 events each already held, 300 two-event keys (300). A higher cap lets idle busy
keys outlive an active attacker (at 8: 175 with the idle keys) and lengthens the hand's
longest sweep (at most cap + 1 turns). Evictions are counted and reported
(:mod:`lwsyslog.thresholds.pressure`). Evicted keys
are remembered as digests in a small Bloom filter (:class:`EvictedKeys`): a key that comes back
after its probation record was evicted (an attacker whose requests are spaced out by a flood)
is protected at once, losing only the evicted event. Evictions are counted.

An event earlier than its key's newest one by more than the window cannot be in the key's
window and is not counted. It changes nothing else either: Apache stamps a line with the time
its request *began*, so a client that holds one request open for minutes can write such a
line at will, and taking it for a clock step (forgetting the key's events and cooldown) let
one client erase its own brute force or repeat its alert every few lines.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import Final, NamedTuple

from lwsyslog.events import Origin

__all__ = [
    "MAX_DEPTH",
    "ORIGIN_MAX_CHARS",
    "ORIGIN_SLOTS",
    "REFERENCE_MAX",
    "EvictedKeys",
    "Hit",
    "OriginTable",
    "WindowStore",
    "record_bytes",
]

#: Distinct origins (file, or web host and log) remembered by name, in two generations of
#: half as many each: when the newer is full a third begins and the oldest is forgotten, so
#: a window's first event from a source not seen for 32,767 new sources names its origin
#: ``<many sources>`` (its line number is kept), and every newer source is named.
ORIGIN_SLOTS: Final = 65_535
#: ... and at most this many characters of their names in all (half per generation): a name
#: comes from a syslog header, which a sender writes (4 MiB of ASCII).
ORIGIN_MAX_CHARS: Final = 4 * 1024 * 1024
# An origin id: the generation (mod 2**16) in the high 16 bits, the slot in the low ones.
_SLOT_BITS: Final = 16
_GENERATION_SLOTS: Final = ORIGIN_SLOTS // 2
_GENERATION_CHARS: Final = ORIGIN_MAX_CHARS // 2
_MANY_SOURCES: Final = ("<many sources>", "", "")

#: The most events a window keeps per key (its ``count``): a record's fill and ring position
#: are 16-bit.
MAX_DEPTH: Final = 65_535

# Bytes a key costs besides its arrays: its dict entry (hash table slot, key and value ints).
_DICT_ENTRY_BYTES = 104
# Records allocated at first; the arrays double from there up to the capacity.
_FIRST_RECORDS = 256
# The end of a cooldown that never began.
_NEVER: Final = float("-inf")
#: Evicted keys the filter remembers per generation, per record of the store: a key comes back
#: protected if fewer than this many times the store's capacity were evicted meanwhile.
EVICTED_SPAN: Final = 4
# Bloom filter bits per remembered key, and probes: 16 and 3 give 0.3% false hits per
# generation (a one-off key protected by mistake: it is then demoted like any other).
_FILTER_BITS_PER_KEY: Final = 16
# Bytes a record costs in the filter: two generations of EVICTED_SPAN keys.
_FILTER_BYTES: Final = 2 * EVICTED_SPAN * _FILTER_BITS_PER_KEY // 8
_MASK32: Final = 0xFFFFFFFF
#: The most passes of the clock hand a key's events buy it before it is demoted.
REFERENCE_MAX: Final = 3


def record_bytes(depth: int, distinct: bool) -> int:
    """Bytes one key's record costs in a store of that shape (its share of the filter of
    evicted keys included)."""
    per_event = 8 + 8 + 4 + (8 if distinct else 0)  # time, line, origin id, value digest
    return depth * per_event + 2 + 2 + 8 + 8 + 8 + 1 + 1 + _FILTER_BYTES + _DICT_ENTRY_BYTES


def _protected_max(capacity: int) -> int:
    """How many protected keys a full store keeps: the rest is probation, room for new keys
    to show a second event."""
    return capacity - max(1, capacity // 4)


class EvictedKeys:
    """Digests of keys evicted lately: a Bloom filter in two generations of ``span`` keys each,
    so it remembers the last ``span`` to ``2 * span`` evicted keys, in a fixed number of bytes.

    No false misses within that span; false hits at about 0.6%.
    """

    def __init__(self, span: int) -> None:
        self.span = max(1, span)
        self._size = _FILTER_BITS_PER_KEY * self.span  # bits per generation
        self._current = bytearray((self._size + 7) // 8)
        self._previous = bytearray((self._size + 7) // 8)
        self._added = 0

    @property
    def bytes(self) -> int:
        """What the two generations take."""
        return len(self._current) + len(self._previous)

    def add(self, owner: int) -> None:
        """Remember the key whose ``hash()`` is ``owner``."""
        if self._added >= self.span:
            self._previous = self._current
            self._current = bytearray(len(self._previous))
            self._added = 0
        self._added += 1
        bits = self._current
        size = self._size
        first = owner & _MASK32
        step = ((owner >> 32) & _MASK32) | 1
        for probe in range(3):
            position = (first + probe * step) % size
            bits[position >> 3] |= 1 << (position & 7)

    def __contains__(self, owner: int) -> bool:
        return self._has(self._current, owner) or self._has(self._previous, owner)

    def _has(self, bits: bytearray, owner: int) -> bool:
        size = self._size
        first = owner & _MASK32
        step = ((owner >> 32) & _MASK32) | 1
        for probe in range(3):
            position = (first + probe * step) % size
            if not (bits[position >> 3] >> (position & 7)) & 1:
                return False
        return True


class OriginTable:
    """Origins (name, host, tag) by small integer id, bounded at :data:`ORIGIN_SLOTS` and
    :data:`ORIGIN_MAX_CHARS` in two generations (an id of an older one names
    ``<many sources>``)."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str, str], int] = {}
        self._names: list[tuple[str, str, str]] = [_MANY_SOURCES]
        self._previous: list[tuple[str, str, str]] = [_MANY_SOURCES]
        self._generation = 0
        self._chars = 0
        #: Generations begun after the first (each forgot the one before the last).
        self.generations = 0
        # The last source asked about and its id: lines come in runs from one source (a
        # scanned file is one), so most asks cost three string comparisons, no tuple.
        self._last: tuple[str, str, str] = ("", "", "")
        self._last_id = -1

    def id_of(self, origin: Origin) -> int:
        """The id of ``origin``'s source (0, ``<many sources>``, for a name longer than a
        generation holds)."""
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
            size = len(key[0]) + len(key[1]) + len(key[2])
            if size > _GENERATION_CHARS:
                return 0
            if len(self._names) > _GENERATION_SLOTS or self._chars + size > _GENERATION_CHARS:
                self._begin_generation()
            self._chars += size
            found = (self._generation << _SLOT_BITS) | len(self._names)
            self._ids[key] = found
            self._names.append(key)
        self._last = key
        self._last_id = found
        return found

    def _begin_generation(self) -> None:
        """The newer generation is full: it becomes the older, the older is forgotten."""
        self._previous = self._names
        self._names = [_MANY_SOURCES]
        self._ids = {}
        self._chars = 0
        self._generation = (self._generation + 1) & 0xFFFF
        self.generations += 1
        self._last_id = -1

    def origin(self, ident: int, line: int) -> Origin:
        """The origin of source ``ident`` at ``line``."""
        generation = ident >> _SLOT_BITS
        if generation == self._generation:
            names = self._names
        elif generation == (self._generation - 1) & 0xFFFF:
            names = self._previous
        else:
            names = [_MANY_SOURCES]
        slot = ident & 0xFFFF
        name, host, tag = names[slot] if slot < len(names) else _MANY_SOURCES
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

    _evicted: EvictedKeys | None

    def __init__(
        self,
        depth: int,
        capacity: int,
        origins: OriginTable,
        *,
        distinct: bool = False,
    ) -> None:
        if not 1 <= depth <= MAX_DEPTH or capacity < 1:
            raise ValueError(f"depth must be from 1 to {MAX_DEPTH}, capacity >= 1")
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
        self._protected = bytearray()
        self.protected_keys = 0
        self._protected_max = _protected_max(capacity)
        # Made at the first eviction: a store that never fills never pays for it.
        self._evicted = None
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
        """The most the store can take, in bytes (when it holds ``capacity`` keys; the filter
        of evicted keys included)."""
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
        self._protected.extend(bytes(more))
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

        An event earlier than the key's newest by more than ``window_secs`` (when there is an
        age limit) is outside the key's window: it is not counted and changes nothing.
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
            if self._referenced[slot] < REFERENCE_MAX:
                self._referenced[slot] += 1
            if not self._protected[slot]:
                self._protected[slot] = 1  # its second event: no longer a one-off
                self.protected_keys += 1
            filled = self._filled[slot]
            head = self._heads[slot]  # next position to write
        depth = self.depth
        base = slot * depth
        if (
            filled
            and window_secs >= 0
            and when < self._times[base + (head - 1) % depth] - window_secs
        ):
            return None
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
        # A new key starts on probation, unreferenced: a flood of one-off keys evicts its own
        # members before any key that came back (the attacker the flood was meant to push
        # out), unless it was evicted lately, so came back already. Its head and fill are
        # written by add(), which asked for the record.
        evicted = self._evicted
        back = evicted is not None and owner in evicted
        self._referenced[slot] = 1 if back else 0
        self._protected[slot] = 1 if back else 0
        if back:
            self.protected_keys += 1
        self._quiet[slot] = _NEVER
        self._categories[slot] = 0
        return slot

    def _evict(self) -> int:
        """The slot of the key to evict: the first probation key from the clock hand on.

        Protected keys the hand passes lose one of their count, or, at zero and when there
        are more than :func:`_protected_max`, their protection. Amortised O(1): a step
        takes off one an event added, demotes a key a second event promoted, or passes a
        protected key while a quarter of the store at least is on probation (the keys the
        hand passed are taken by new keys behind it, so a turn evicts that quarter).
        """
        referenced = self._referenced
        protected = self._protected
        hand = self._hand
        capacity = self.capacity
        while protected[hand]:
            if referenced[hand]:
                referenced[hand] -= 1
            elif self.protected_keys > self._protected_max:
                protected[hand] = 0
                self.protected_keys -= 1
            hand = hand + 1 if hand + 1 < capacity else 0
        self._hand = hand + 1 if hand + 1 < capacity else 0
        self.evictions += 1
        evicted = self._evicted
        if evicted is None:
            evicted = self._evicted = EvictedKeys(EVICTED_SPAN * capacity)
        evicted.add(self._owners[hand])
        return hand
