"""Dicts with a hard bound on their size: the least recently used, or the oldest, key goes first.

Keys are client IPs and the like, which an attacker controls: without a bound, a spoofed-source
flood would grow the monitor's memory until it died.

Every bounded first-in-first-out table evicts through :func:`drop_oldest` on an
``OrderedDict``. A plain dict's ``del d[next(iter(d))]`` looks O(1) but is not: CPython leaves
a deleted entry's slot in place until the dict resizes, and ``iter`` walks every freed slot
from the front, so each eviction costs O(table size) (13 us per insert at 14,306 keys, 38 us at
50,000, measured by ``bench/bench_fifo_eviction.py``); ``OrderedDict.popitem(last=False)``
unlinks the first node in O(1).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

__all__ = ["BoundedMap", "FifoMap", "drop_oldest"]

K = TypeVar("K")
V = TypeVar("V")


def drop_oldest(items: OrderedDict[K, V], max_keys: int) -> int:
    """Evict the oldest keys of ``items`` (first in its order) until at most ``max_keys``
    remain, in O(1) each; how many went."""
    dropped = 0
    while len(items) > max_keys:
        items.popitem(last=False)
        dropped += 1
    return dropped


class BoundedMap(Generic[K, V]):
    """LRU-bounded mapping that counts its evictions."""

    def __init__(self, max_keys: int) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be >= 1")
        self.max_keys = max_keys
        self.evictions = 0
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value for ``key`` (marking it recently used), or None."""
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Store ``value``, evicting the least recently used key when full."""
        items = self._items
        items[key] = value
        items.move_to_end(key)
        if len(items) > self.max_keys:
            items.popitem(last=False)
            self.evictions += 1

    def __len__(self) -> int:
        return len(self._items)


class FifoMap(Generic[K, V]):
    """A cheaper bounded mapping for per-line state: reads are plain dict reads.

    When full, the oldest *inserted* key goes (not the least recently used), so a read costs
    no reordering. Right for state that is cheap to rebuild, such as a rate baseline.
    """

    def __init__(self, max_keys: int) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be >= 1")
        self.max_keys = max_keys
        self.evictions = 0
        self._items: OrderedDict[K, V] = OrderedDict()
        self.get = self._items.get

    def put(self, key: K, value: V) -> None:
        """Store ``value``, evicting the oldest inserted key when full."""
        items = self._items
        items[key] = value
        if len(items) > self.max_keys:
            self.evictions += drop_oldest(items, self.max_keys)

    def __len__(self) -> int:
        return len(self._items)

    def discard(self, key: K) -> None:
        """Forget ``key`` if present."""
        self._items.pop(key, None)
