"""Counters of the notifier, for the program's stats line and metrics.

The sender process publishes its counters to a small file beside the outbox
(:func:`publish`, replaced atomically once a second); the program reads it
(:func:`read_published`), so it never opens the sender's database to learn them.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import Any

__all__ = ["ChannelStats", "NotifyStats", "publish", "read_published", "sender_stats_path"]

_MAX_PUBLISHED_BYTES = 1 << 20


def sender_stats_path(outbox: Path) -> Path:
    """Where the sender of the outbox file ``outbox`` publishes its counters."""
    return outbox.with_name(outbox.name + ".sender-stats")


def publish(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` atomically (a reader sees the old or the new whole)."""
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    os.replace(temporary, path)


def read_published(path: Path) -> str:
    """What :func:`publish` last wrote to ``path`` ('' when nothing yet)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            return os.read(fd, _MAX_PUBLISHED_BYTES).decode("utf-8", "replace")
        finally:
            os.close(fd)
    return ""


@dataclass(slots=True)
class ChannelStats:
    """Delivery counters of one channel, and whether it is failing now.

    ``kind``: its transport (``email``, ``webhook``, ``apprise``); ``last_error``: the last
    failure's error, sanitized; ``failing_since``: the wall time its current run of failed
    attempts began (0 when its last attempt delivered, or none failed yet).
    """

    attempts: int = 0
    delivered: int = 0
    failures: int = 0
    last_error: str = ""
    kind: str = ""
    failing_since: float = 0.0

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> ChannelStats:
        """The counters of one channel in :meth:`NotifyStats.dump` output; a field that is
        missing (a file an older sender wrote) or of the wrong type keeps its default."""
        stats = cls()
        for item in dataclass_fields(cls):
            default = getattr(stats, item.name)
            value = values.get(item.name)
            if isinstance(default, float) and type(value) is int:
                value = float(value)
            if type(value) is type(default):
                setattr(stats, item.name, value)
        return stats


@dataclass(slots=True)
class NotifyStats:
    """Everything the notifier counted since it started (queue figures are the latest).

    - ``submitted``: alerts the program appended to its inbox; ``filtered``: alerts no
      channel wants (not stored); ``duplicates``: alerts the sender found stored already (a
      replayed line); ``inbox_torn``: inbox records the sender skipped as cut or damaged (a
      program killed mid-append); ``inbox_bytes``: bytes in the inbox the sender has not
      read yet (the program's figure, from the sender's last published position);
    - ``messages``: messages made from alerts (one per target);
    - ``attempts``, ``delivered``, ``failures``: delivery attempts and their outcomes;
    - ``dropped_full``: alerts ``submit`` refused far beyond the byte bound, and
      ``sender_dropped_full``: alerts or messages the sender dropped at the bound (oldest
      non-critical first); ``dropped_expired``: messages given up after
      ``max_age_secs``; ``dropped_orphaned``: rows of a channel no longer configured;
    - ``submit_errors``: submits that could not write the inbox (disk full, ...);
      ``sender_restarts``: sender processes the program started again after one died;
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
    inbox_torn: int = 0
    inbox_bytes: int = 0
    sender_restarts: int = 0
    inbox_seq: int = field(default=0, repr=False)  # the sender's inbox position
    inbox_offset: int = field(default=0, repr=False)
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
            channels = data.get("channels")
            self.channels = {
                str(name): ChannelStats.from_dict(values)
                for name, values in (channels.items() if isinstance(channels, dict) else ())
                if isinstance(values, dict)
            }

    def channel(self, name: str) -> ChannelStats:
        """The counters of channel ``name`` (made on first use)."""
        stats = self.channels.get(name)
        if stats is None:
            stats = self.channels[name] = ChannelStats()
        return stats

    def keep_channels(self, names: Iterable[str]) -> None:
        """Forget the counters of every channel not in ``names`` (no longer configured: a
        channel removed while it was failing must not be reported failing for ever)."""
        keep = set(names)
        with self.lock:
            self.channels = {n: c for n, c in self.channels.items() if n in keep}

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
                "notify_sender_restarts": self.sender_restarts,
                "notify_inbox_torn": self.inbox_torn,
                "notify_inbox_bytes": self.inbox_bytes,
                "notify_queued_alerts": self.queued_alerts,
                "notify_queued_messages": self.queued_messages,
                "notify_outbox_bytes": self.outbox_bytes,
            }


# Counted by the sender process (the rest by the program's submit).
_SENDER_FIELDS = (
    "duplicates",
    "inbox_torn",
    "inbox_seq",
    "inbox_offset",
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
