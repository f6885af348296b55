"""Counters of the notifier, for the program's stats line and metrics."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["ChannelStats", "NotifyStats"]


@dataclass(slots=True)
class ChannelStats:
    """Delivery counters of one channel."""

    attempts: int = 0
    delivered: int = 0
    failures: int = 0
    last_error: str = ""


@dataclass(slots=True)
class NotifyStats:
    """Everything the notifier counted since it started (queue figures are the latest).

    - ``submitted``: alerts stored in the outbox; ``duplicates``: alerts already there (a
      replayed line); ``filtered``: alerts no channel wants (not stored);
    - ``messages``: messages made from alerts (one per target);
    - ``attempts``, ``delivered``, ``failures``: delivery attempts and their outcomes;
    - ``dropped_full``: alerts ``submit`` refused far beyond the byte bound, and
      ``sender_dropped_full``: alerts or messages the sender dropped at the bound (oldest
      non-critical first); ``dropped_expired``: messages given up after
      ``max_age_secs``; ``dropped_orphaned``: rows of a channel no longer configured;
    - ``submit_errors``: submits that could not write the outbox (disk full, ...);
    - ``queued_alerts``, ``queued_messages``, ``outbox_bytes``: the outbox now.
    """

    submitted: int = 0
    duplicates: int = 0
    filtered: int = 0
    messages: int = 0
    attempts: int = 0
    delivered: int = 0
    failures: int = 0
    dropped_full: int = 0
    sender_dropped_full: int = 0
    dropped_expired: int = 0
    dropped_orphaned: int = 0
    submit_errors: int = 0
    queued_alerts: int = 0
    queued_messages: int = 0
    outbox_bytes: int = 0
    added_bytes: int = field(default=0, repr=False)  # stored since ``outbox_bytes`` was measured
    channels: dict[str, ChannelStats] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def dump(self) -> str:
        """The sender's counters as JSON (what the sender process publishes)."""
        with self.lock:
            data: dict[str, Any] = {name: getattr(self, name) for name in _SENDER_FIELDS}
            data["channels"] = {name: asdict(c) for name, c in self.channels.items()}
        return json.dumps(data)

    def load(self, text: str) -> None:
        """Take the sender's counters from :meth:`dump` output ('' leaves them as they are)."""
        if not text:
            return
        try:
            data = json.loads(text)
        except ValueError:
            return
        with self.lock:
            for name in _SENDER_FIELDS:
                value = data.get(name)
                if isinstance(value, int):
                    setattr(self, name, value)
            self.channels = {
                name: ChannelStats(**values)
                for name, values in data.get("channels", {}).items()
                if isinstance(values, dict)
            }

    def channel(self, name: str) -> ChannelStats:
        """The counters of channel ``name`` (made on first use)."""
        stats = self.channels.get(name)
        if stats is None:
            stats = self.channels[name] = ChannelStats()
        return stats

    def fields(self) -> dict[str, int]:
        """Flat ``notify_*`` counters, for ``key=value`` stats lines and metrics."""
        with self.lock:
            return {
                "notify_submitted": self.submitted,
                "notify_duplicates": self.duplicates,
                "notify_filtered": self.filtered,
                "notify_messages": self.messages,
                "notify_attempts": self.attempts,
                "notify_delivered": self.delivered,
                "notify_failures": self.failures,
                "notify_dropped": self.dropped_full
                + self.sender_dropped_full
                + self.dropped_expired
                + self.dropped_orphaned,
                "notify_dropped_full": self.dropped_full + self.sender_dropped_full,
                "notify_dropped_expired": self.dropped_expired,
                "notify_submit_errors": self.submit_errors,
                "notify_queued_alerts": self.queued_alerts,
                "notify_queued_messages": self.queued_messages,
                "notify_outbox_bytes": self.outbox_bytes,
            }


# Counted by the sender process (the rest by the program's submit).
_SENDER_FIELDS = (
    "messages",
    "attempts",
    "delivered",
    "failures",
    "dropped_expired",
    "dropped_orphaned",
    "sender_dropped_full",
    "queued_alerts",
    "queued_messages",
    "outbox_bytes",
)
