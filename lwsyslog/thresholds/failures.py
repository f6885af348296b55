"""Failed logins per client, the access log's and the error log's counted apart.

A wrong Basic password is logged twice when both logs are read: a 401 in the access log and
AH01617 in the error log. Counted together, a person's five mistypes in a minute were ten
failures, the ``auth-brute-force`` threshold. Counted apart, with the larger count deciding,
they are five, and an attacker's guesses count as many in either log (a form login, logged in
the access log only, counts in full).
"""

from __future__ import annotations

from lwsyslog.events import AccessEvent, ErrorEvent
from lwsyslog.thresholds.windows import OriginTable, WindowStore, record_bytes

__all__ = ["LoginFailures"]


class LoginFailures:
    """Each client's failed logins within ``window_secs``, per log, at most ``needed`` deep."""

    def __init__(
        self, needed: int, max_keys: int, origins: OriginTable, window_secs: float
    ) -> None:
        self._access = WindowStore(needed, max_keys, origins)
        self._error = WindowStore(needed, max_keys, origins)
        self._needed = needed
        self._window_secs = window_secs

    @staticmethod
    def record_bytes(needed: int) -> int:
        """Bytes one client's record takes (the budget check counts them)."""
        return 2 * record_bytes(needed, False)

    @property
    def evictions(self) -> int:
        """Clients forgotten to make room (an attacker may lose failures this way)."""
        return self._access.evictions + self._error.evictions

    def add(self, key: str, event: AccessEvent | ErrorEvent, when: float) -> int:
        """Record a failed login of ``key`` at ``when``; the failures that now arm it (0:
        fewer than ``needed`` within the window, in either log)."""
        store = self._error if event.log == "error" else self._access
        store.add(
            key,
            when,
            event.origin,
            needed=self._needed + 1,  # never reached: the depth is the count
            # Not for crossings (there are none): a failure this much earlier than the
            # client's newest is a clock step, which forgets the older ones.
            window_secs=self._window_secs,
            cooldown_secs=0,
        )
        return self._armed(store, key, when)

    def armed(self, key: str, now: float) -> int:
        """The failures that arm ``key`` at ``now`` in the log with more of them (else 0)."""
        return max(self._armed(self._access, key, now), self._armed(self._error, key, now))

    def clear(self, key: str) -> None:
        """Forget ``key``'s failures (its brute force was reported)."""
        self._access.clear(key)
        self._error.clear(key)

    def _armed(self, store: WindowStore, key: str, now: float) -> int:
        oldest = store.oldest_time(key)
        held = store.count(key)
        if oldest is None or held < self._needed or now - oldest > self._window_secs:
            return 0
        return held
