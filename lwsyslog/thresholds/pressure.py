"""Eviction pressure: when the threshold windows are full, the operator should hear of it.

A full store still detects attackers (keys seen once go first), but an attacker who spaces
each request out with thousands of one-off clients loses an event per eviction, and a bigger
budget is the remedy. The omprog program asks :class:`EvictionWatch` between lines; it answers
with a warning at most once per interval, and only when keys were evicted since its last one.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["EvictionWatch"]


class Evicting(Protocol):
    """What the watch reads of a threshold engine."""

    @property
    def evictions(self) -> int:
        """Keys dropped so far."""

    @property
    def capacity(self) -> int:
        """Keys each rule holds at most."""


class EvictionWatch:
    """Turns a growing eviction count into a warning, at most one per ``interval_secs``."""

    def __init__(self, interval_secs: float = 60.0) -> None:
        self.interval_secs = interval_secs
        self._seen = 0
        self._since: float | None = None
        self._next = float("-inf")

    def check(self, engine: Evicting, now: float) -> str | None:
        """The warning due at ``now``, if any."""
        if self._since is None:
            self._since = now
        if now < self._next:
            return None
        evictions = engine.evictions
        if evictions < self._seen:  # a new engine (configuration reloaded) counts from 0
            self._seen = 0
        new = evictions - self._seen
        if new <= 0:
            self._since = now
            return None
        secs = now - self._since
        self._seen = evictions
        self._since = now
        self._next = now + self.interval_secs
        return (
            f"threshold windows full: {new:,} keys evicted in the last {secs:.0f}s (each rule "
            f"holds {engine.capacity:,}); keys seen once go first, but an attacker spacing its "
            "requests out with many new clients can lose events: raise [alerts] "
            "memory_budget_bytes (and max_keys)"
        )
