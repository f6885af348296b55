"""Lookups remembered per client key (an IPv4 address, an IPv6 /64: see
:mod:`lwsyslog.crawlers.watch`), each for its own time, bounded in entries and in bytes.

A confirmed crawler is kept ``cache_ttl_secs``, an address found not to be one
``negative_ttl_secs``, an address whose DNS did not answer ``retry_secs``. Keys come from
the network: when a bound is reached the entry stored longest ago goes first (counted in
:attr:`ResolutionCache.evictions`). Only the omprog program's (or the scan's) main thread
touches it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from lwsyslog.crawlers.catalog import Address
from lwsyslog.crawlers.verdict import Lookup, Verdict

__all__ = ["ENTRY_BYTES", "CacheEntry", "ResolutionCache"]

#: What one entry costs beyond its names, in bytes: the dict slot, the key string, the entry,
#: the lookup, the address object and their tuples (measured by tests/unit/test_crawlers.py
#: with tracemalloc, rounded up).
ENTRY_BYTES = 640
#: What each DNS name costs beyond its characters (the str object and a tuple slot).
NAME_BYTES = 64


@dataclass(slots=True)
class CacheEntry:
    """One key: the lookup of its address checked, until when it holds, and the claims
    already judged."""

    address: Address | None
    lookup: Lookup
    expires: float
    cost: int
    #: Crawler name -> the verdict on this key's claim to be it (a fake is reported when
    #: judged, so once per lookup; a later line with the same claim costs a dict get).
    judged: dict[str, Verdict] = field(default_factory=dict)


class ResolutionCache:
    """Client key -> :class:`CacheEntry`, with expiry and hard bounds."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        # Oldest stored first; a key stored again goes to the end (its old entry is dropped).
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self.bytes = 0
        self.evictions = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str, now: float) -> CacheEntry | None:
        """The live entry for ``key`` (an expired one is dropped), or None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if now >= entry.expires:
            self._drop(key)
            return None
        return entry

    def put(self, key: str, address: Address | None, lookup: Lookup, expires: float) -> CacheEntry:
        """Store what was found for ``key`` until ``expires`` (a fresh lookup: no claim
        judged yet)."""
        if key in self._entries:
            self._drop(key)
        cost = (
            ENTRY_BYTES
            + len(key)
            + sum(len(name) + NAME_BYTES for name in (*lookup.names, *lookup.confirmed))
            + len(lookup.detail)
        )
        entry = CacheEntry(address, lookup, expires, cost)
        self._entries[key] = entry
        self.bytes += cost
        entries = self._entries
        while len(entries) > self.max_entries or (self.bytes > self.max_bytes and len(entries) > 1):
            self.bytes -= entries.popitem(last=False)[1].cost  # O(1): see lwsyslog.bounded
            self.evictions += 1
        return entry

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key)
        self.bytes -= entry.cost
