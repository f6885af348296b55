"""The alerts' cooldowns: until when each (category, client) is quiet, in a bounded table.

The keys are clients, which an attacker makes at will (a /48 holds 65,536 IPv6 /64s), so the
table holds at most as many keys as a threshold rule (``ThresholdEngine.capacity``, within
``memory_budget_bytes``). When it is full:

1. cooldowns that have ended go first: forgetting them changes nothing;
2. then a client heard once (one alert, nothing since) before a client heard again within or
   after its cooldown (a client that keeps attacking), the oldest first.

So a flood of new clients, each alerting once, cannot make a client that keeps attacking
alert again and again: its cooldown stays. A client whose first cooldown the flood pushed out
alerts a second time (a forgotten cooldown is a repeated alert, never a missed one), and is
kept from then on: dropped keys are remembered in the Bloom filter the threshold windows use
(:class:`~lwsyslog.thresholds.windows.EvictedKeys`, the last 4 to 8 times the table's size
of them, 16 bytes per key held), and a key found there is taken as heard again. Each call
costs O(1) (amortised).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

from lwsyslog.thresholds.windows import EVICTED_SPAN, EvictedKeys

__all__ = ["Cooldowns"]

K = TypeVar("K", bound=Hashable)


class Cooldowns(Generic[K]):
    """Cooldowns per key, at most ``max_keys`` of them (see the module docstring)."""

    def __init__(self, max_keys: int) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be >= 1")
        self.max_keys = max_keys
        #: Cooldowns that had not ended when they were dropped to make room.
        self.evictions = 0
        # Each in the order of its end (a cooldown ends cooldown_secs after it starts).
        self._once: OrderedDict[K, float] = OrderedDict()
        self._again: OrderedDict[K, float] = OrderedDict()
        # Keys heard once and dropped while in their cooldown (made at the first such drop).
        self._dropped: EvictedKeys | None = None

    def __len__(self) -> int:
        return len(self._once) + len(self._again)

    def quiet(self, key: K, when: float, secs: float) -> bool:
        """True when ``key`` is in its cooldown at ``when``; otherwise its cooldown starts
        (for ``secs``) and the answer is False: the caller alerts."""
        again = self._again
        until = again.get(key)
        if until is not None:
            if when < until:
                return True
            again[key] = when + secs
            again.move_to_end(key)
            return False
        until = self._once.pop(key, None)
        if until is not None:
            if when < until:
                again[key] = until  # heard again within its cooldown
                return True
        elif self._dropped is None or hash(key) not in self._dropped:
            self._make_room(when)
            self._once[key] = when + secs
            return False
        self._make_room(when)
        again[key] = when + secs  # heard again after its cooldown, or after it was dropped
        return False

    def _make_room(self, when: float) -> None:
        """Drop ended cooldowns, then, if the table is still full, one cooldown."""
        once, again = self._once, self._again
        if len(once) + len(again) < self.max_keys:
            return
        for table in (once, again):
            while table:
                key, until = next(iter(table.items()))
                if until > when:
                    break
                del table[key]
        if len(once) + len(again) < self.max_keys:
            return
        self.evictions += 1
        if not once:
            again.popitem(last=False)
            return
        key, _ = once.popitem(last=False)
        if self._dropped is None:
            self._dropped = EvictedKeys(EVICTED_SPAN * self.max_keys)
        self._dropped.add(hash(key))
