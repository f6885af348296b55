"""The sender's first half: take alerts from the inbox, route them to channels, make
messages, keep bounds.

Runs in the sender's router thread (or, in tests, when called). The program never touches the
outbox database: it appends to its inbox files, which the router reads from the position it
committed last (:mod:`lwsyslog.notify.inbox`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import orjson

from lwsyslog.notify.digest import build_digest
from lwsyslog.notify.grouping import Batch, ChannelGroups
from lwsyslog.notify.inbox_reader import InboxReader
from lwsyslog.notify.outbox import ROW_OVERHEAD_BYTES, NewMessage, Outbox, PendingMeta
from lwsyslog.notify.record import AlertRecord
from lwsyslog.notify.reporter import Reporter
from lwsyslog.notify.settings import ChannelSettings, NotifySettings
from lwsyslog.notify.stats import NotifyStats

__all__ = ["Router"]

_ROUTE_BATCH = 500
_HOUSEKEEPING_SECS = 2.0
_MAX_WAIT_SECS = 0.5  # how often the inbox is looked at when nothing wakes the router
_INGEST_BYTES = 4 << 20  # inbox bytes taken per round (and per transaction)
_FINGERPRINT_KEEP = 20_000
_FINGERPRINT_SECS = 86400.0


class Router:
    """Routes, groups and bounds; tells the couriers when a channel has new messages."""

    def __init__(
        self,
        settings: NotifySettings,
        outbox: Outbox,
        inbox: InboxReader,
        *,
        stats: NotifyStats,
        report: Reporter,
        on_messages: Callable[[str], None] = lambda channel: None,
    ) -> None:
        self.settings = settings
        self.outbox = outbox
        self.inbox = inbox
        self.stats = stats
        self.report = report
        self.on_messages = on_messages
        self.groups = {c.name: ChannelGroups(c.policy) for c in settings.channels}
        for entry in outbox.pending_meta():
            groups = self.groups.get(entry.channel)
            if groups is not None:
                groups.add(entry)
        self._next_decide = 0.0
        self._next_housekeeping = 0.0
        self._position = outbox.inbox_position()
        # Segments a killed predecessor had committed past but not deleted yet.
        inbox.remove_before(self._position[0])
        with stats.lock:
            stats.inbox_seq, stats.inbox_offset = self._position

    def pump(self, now: float) -> float:
        """One round: ingest, route, decide, housekeep. Seconds until the next round."""
        more = self.ingest()
        routed = self.route(now)
        if routed or now >= self._next_decide:
            self.flush(now)
        if routed or now >= self._next_housekeeping:
            self.housekeeping(now)
            self._next_housekeeping = now + _HOUSEKEEPING_SECS
        if more:
            return 0.0
        return max(0.0, min(self._next_decide - now, _MAX_WAIT_SECS))

    def ingest(self) -> bool:
        """Store what the program appended to the inbox since the last round; True when
        more is waiting (the byte budget of a round was reached)."""
        before = self._position
        intake = self.inbox.read(before, _INGEST_BYTES)
        if intake.position == before and not intake.records and not intake.torn:
            return False
        inserted = self.outbox.ingest(intake.records, intake.position, intake.torn)
        self._position = intake.position
        if intake.position[0] != before[0]:
            self.inbox.remove_before(intake.position[0])
        added = sum(len(r.body) + ROW_OVERHEAD_BYTES for r in intake.records)
        with self.stats.lock:
            self.stats.duplicates += len(intake.records) - inserted
            self.stats.inbox_torn += intake.torn
            self.stats.inbox_seq, self.stats.inbox_offset = intake.position
            # Counted at once, so the program's bound (inbox + outbox) never misses them
            # between this and the next housekeeping.
            self.stats.outbox_bytes += added
        if intake.torn:
            self.report.warning(
                f"notify: skipped {intake.torn} cut or damaged record(s) ({intake.torn_bytes:,} "
                f"bytes) in {self.inbox.directory} (a program killed while writing an alert, "
                "or a damaged file)"
            )
        return intake.more

    def route(self, now: float) -> int:
        """Move stored alerts into the pending rows of every channel that wants them."""
        total = 0
        channels = self.settings.channels
        while True:
            rows = self.outbox.unrouted(_ROUTE_BATCH)
            if not rows:
                return total
            inbox_ids = []
            pending: list[tuple[str, str, str, str, bool, float, bytes]] = []
            metas: list[tuple[ChannelSettings, str, AlertRecord, float]] = []
            for row_id, at, body in rows:
                inbox_ids.append(row_id)
                try:
                    record = AlertRecord.from_json(body)
                except (ValueError, KeyError, TypeError):
                    continue  # not ours to understand (a newer version's row): skip it
                for channel in channels:
                    if channel.policy.accepts(record.rule, record.rank, record.categories):
                        key = self.groups[channel.name].key_of(record.rule, record.client)
                        pending.append(
                            (channel.name, key, record.rule, record.client, record.critical, at,
                             body)
                        )  # fmt: skip
                        metas.append((channel, key, record, at))
            ids = self.outbox.route(inbox_ids, pending)
            for new_id, (channel, key, record, at), row in zip(ids, metas, pending, strict=True):
                self.groups[channel.name].add(
                    PendingMeta(
                        new_id, channel.name, key, record.rule, record.client, record.critical,
                        at, len(row[6]),
                    )
                )  # fmt: skip
            total += len(rows)

    def flush(self, now: float) -> None:
        """Turn the batches that are due into messages."""
        wakes = []
        for channel in self.settings.channels:
            groups = self.groups[channel.name]
            if not len(groups):
                continue
            batches, wake = groups.decide(now)
            for batch in batches:
                self._emit(channel, groups, batch, now)
            if batches:
                self.on_messages(channel.name)
                # A message sent changes the rate-limit budget: decide again soon.
                wakes.append(now + 0.01)
            if wake is not None:
                wakes.append(wake)
        self._next_decide = min(wakes) if wakes else now + 3600.0

    def _emit(
        self, channel: ChannelSettings, groups: ChannelGroups, batch: Batch, now: float
    ) -> None:
        bodies = self.outbox.pending_bodies(batch.ids)
        records = []
        for body in bodies:
            try:
                records.append(AlertRecord.from_json(body))
            except (ValueError, KeyError, TypeError):
                continue
        if not records:
            self.outbox.flush(batch.ids, [])
            groups.remove(batch.ids)
            return
        policy = channel.policy
        delivery_id = uuid.uuid4().hex
        digest = build_digest(
            batch.kind,  # type: ignore[arg-type]
            records,
            delivery_id=delivery_id,
            channel=channel.name,
            created=now,
            group_by=policy.group_by,
            key=batch.key,
            distinct_clients=batch.distinct_clients,
            window_secs=policy.storm_window_secs if batch.kind == "storm" else 0.0,
            groups=batch.groups,
            rate_limit=(policy.rate_limit_messages, policy.rate_limit_window_secs),
        )
        body = orjson.dumps(digest)
        messages: list[NewMessage] = [
            (delivery_id, channel.name, target, batch.critical, now, now, body)
            for target in range(channel.targets)
        ]
        self.outbox.flush(batch.ids, messages)
        groups.remove(batch.ids)
        groups.sent(batch, now)
        with self.stats.lock:
            self.stats.messages += len(messages)

    def housekeeping(self, now: float) -> None:
        """Expire, drop orphans, enforce the byte bound, refresh the queue figures."""
        settings = self.settings
        expired = self.outbox.expired(now - settings.max_age_secs)
        if expired:
            self.outbox.delete_rows(("messages", row[0]) for row in expired)
            with self.stats.lock:
                self.stats.dropped_expired += len(expired)
            self.report.error(
                f"notify: gave up on {len(expired)} message(s) undelivered for "
                f"{settings.max_age_secs / 3600:.0f} h (channels: "
                f"{', '.join(sorted({row[1] for row in expired}))})"
            )
        orphans = self.outbox.orphans([c.name for c in settings.channels])
        if orphans:
            self.outbox.delete_rows((table, row_id) for table, row_id, _ in orphans)
            with self.stats.lock:
                self.stats.dropped_orphaned += len(orphans)
            self.report.warning(
                f"notify: dropped {len(orphans)} waiting notification(s) of channels no longer "
                "configured"
            )
        self.outbox.prune_fingerprints(now - _FINGERPRINT_SECS, _FINGERPRINT_KEEP)
        self.outbox.checkpoint()
        size, unrouted, pending, messages = self.outbox.totals()
        if size > settings.outbox_max_bytes:
            size -= self._make_room(size - int(settings.outbox_max_bytes * 0.9))
            _, unrouted, pending, messages = self.outbox.totals()
        with self.stats.lock:
            self.stats.outbox_bytes = size
            self.stats.queued_alerts = unrouted + pending
            self.stats.queued_messages = messages

    def _make_room(self, need: int) -> int:
        """Drop the oldest non-critical rows (critical ones only if nothing else is left)."""
        freed = dropped = 0
        for critical in (False, True):
            while freed < need:
                rows = self.outbox.oldest_droppable(critical, 200)
                if not rows:
                    break
                chosen = []
                for _, table, row_id, size in rows:
                    chosen.append((table, row_id))
                    freed += size
                    if freed >= need:
                        break
                self.outbox.delete_rows(chosen)
                dropped += len(chosen)
                pending_ids = [row_id for table, row_id in chosen if table == "pending"]
                for groups in self.groups.values():
                    groups.remove(pending_ids)
        with self.stats.lock:
            self.stats.sender_dropped_full += dropped
        self.report.error(
            f"notify: outbox over its bound of {self.settings.outbox_max_bytes:,} bytes: dropped "
            f"the {dropped} oldest waiting notification(s) (non-critical first)"
        )
        return freed
