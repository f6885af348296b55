"""A dict with a hard bound on its size: the least recently used key is evicted first.

Keys are client IPs and the like, which an attacker controls: without a bound, a spoofed-source
flood would grow the monitor's memory until it died.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

__all__ = ["BoundedMap", "FifoMap"]

K = TypeVar("K")
V = TypeVar("V")


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
        self._items: dict[K, V] = {}
        self.get = self._items.get

    def put(self, key: K, value: V) -> None:
        """Store ``value``, evicting the oldest inserted key when full."""
        items = self._items
        items[key] = value
        if len(items) > self.max_keys:
            del items[next(iter(items))]
            self.evictions += 1

    def __len__(self) -> int:
        return len(self._items)

    def discard(self, key: K) -> None:
        """Forget ``key`` if present."""
        self._items.pop(key, None)
