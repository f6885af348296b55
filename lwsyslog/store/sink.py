"""``StoreSink``: the sink that puts alerts into the alert store, batched."""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from lwsyslog.alerts import Alert
from lwsyslog.bounded import drop_oldest
from lwsyslog.errors import SinkError, StoreError
from lwsyslog.store.opening import Opener, StorePlace, replaced_reason
from lwsyslog.store.rows import StoreRow, alert_row
from lwsyslog.store.writer import AlertStore, StoreCounters

__all__ = ["StoreSink"]

#: A store deleting alerts younger than its retention (to stay within its size) says so at
#: once, then at most this often.
YOUNG_REPORT_SECS = 3600.0


def _quiet(message: str) -> None:
    """Reports nowhere (a sink built without a ``report``)."""


class StoreSink:
    """Writes alerts to an :class:`AlertStore` in batches.

    An alert after a quiet spell is committed at once; during a storm alerts are gathered and
    committed every ``max_delay_secs`` or ``batch_size`` alerts, whichever comes first, so a
    storm costs one transaction per batch, not one per alert. Whoever drives the sink calls
    :meth:`flush` when its input goes idle (and :meth:`close` at the end) so the tail of a
    storm is not left waiting. Retention and size bounds are applied every
    ``prune_interval_secs``.

    Best effort next to the messages file (``required = False``): a locked or full store is
    retried, never holds a line back. A failed commit raises :class:`SinkError` and keeps the
    batch (at most ``max_pending`` alerts, oldest dropped first and counted in
    :attr:`dropped`); the same alert offered again is stored once. :attr:`last_error` says
    why the last commit or prune failed, :attr:`uncommitted` how many taken alerts are not
    in the store.

    A store that cannot be opened (locked at start, made by a newer lwsyslog) leaves the sink
    off, not absent (:meth:`retrying`): each write then raises, so the dispatcher keeps the
    alerts and offers them again, and the store is opened again when due
    (:mod:`lwsyslog.store.opening`), at SIGHUP (:meth:`reopen`) and at each flush. Before
    each commit the file at the store's path is compared with the one open: a store deleted
    or replaced while open is closed and opened (made) again, so alerts never go on into a
    file no reader finds.

    The sink owns ``store``: :meth:`close` closes it, and so does a constructor that fails.
    """

    name = "store"
    required = False

    def __init__(
        self,
        store: AlertStore | None,
        *,
        place: StorePlace | None = None,
        report: Callable[[str], None] = _quiet,
        batch_size: int = 500,
        max_delay_secs: float = 0.5,
        max_pending: int = 20_000,
        prune_interval_secs: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if place is None:
            if store is None:
                raise ValueError("StoreSink needs a store or the place of one")
            place = StorePlace.of(store)
        self._store: AlertStore | None = store
        self.counters = store.counters if store is not None else StoreCounters()
        self.opener = Opener(place, self.counters, report=report, monotonic=monotonic)
        self.dropped = 0
        self.failures = 0
        self.last_error = ""
        self._report = report
        self._batch_size = batch_size
        self._max_delay = max_delay_secs
        self._max_pending = max_pending
        self._prune_interval = prune_interval_secs
        self._monotonic = monotonic
        self._wall_clock = wall_clock
        self._pending: OrderedDict[tuple[float, str], StoreRow] = OrderedDict()
        self._last_flush = float("-inf")
        self._last_prune = monotonic()
        self._young_reported = 0
        self._next_young_report = -math.inf
        # The key of the alert whose write raised: its caller still holds it, to offer again.
        self._refused: tuple[float, str] | None = None
        if store is None:
            self._open(force=True)
            return
        try:
            store.prune()
        except StoreError:
            # Not a sink yet, so nothing would ever close the store: close it here. The
            # caller (scan) reports the StoreError and runs without the store.
            store.close()
            raise
        self._note_young()

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        retention_days: float | None = None,
        max_rows: int | None = None,
        max_bytes: int | None = None,
    ) -> StoreSink:
        """A sink over the store at ``path`` (created when absent). Raises
        :class:`StoreError` naming the file when it cannot be opened, or is locked or
        failing so that the first prune fails (nothing is left open then)."""
        store = AlertStore(
            path, retention_days=retention_days, max_rows=max_rows, max_bytes=max_bytes
        )
        return cls(store)

    @classmethod
    def retrying(
        cls,
        path: str | os.PathLike[str],
        *,
        report: Callable[[str], None],
        retention_days: float | None = None,
        max_rows: int | None = None,
        max_bytes: int | None = None,
    ) -> StoreSink:
        """A sink over the store at ``path`` that never fails to start: when the store
        cannot be opened now, ``report`` is told why, and the sink is off (:attr:`off`) and
        opens it when it can (for the long-running omprog program)."""
        place = StorePlace(Path(path), retention_days, max_rows, max_bytes)
        return cls(None, place=place, report=report)

    @property
    def store(self) -> AlertStore:
        """The open store; raises :class:`StoreError` while it is off."""
        if self._store is None:
            raise StoreError(f"alert store off: {self.opener.off_reason}")
        return self._store

    @property
    def off(self) -> bool:
        """True while the store is not open (:attr:`off_reason` says why)."""
        return self._store is None

    @property
    def off_reason(self) -> str:
        """Why the store is not open ("" while it is)."""
        return self.opener.off_reason if self._store is None else ""

    @property
    def pending(self) -> int:
        """Alerts taken but not committed yet."""
        return len(self._pending)

    @property
    def uncommitted(self) -> int:
        """Alerts this sink took and has not put in the store: those pending (after
        :meth:`close`, lost), less the one whose write raised (its caller still holds it),
        plus those dropped when too many were pending."""
        refused = self._refused is not None and self._refused in self._pending
        return len(self._pending) - refused + self.dropped

    def write(self, alert: Alert) -> None:
        """Take ``alert``; commits when the batch is full or due. Raises SinkError when a
        commit fails (the alert stays pending) or the store is off and cannot be opened yet
        (the alert is not taken)."""
        if self._store is None and not self._open():
            raise SinkError(f"alert store off: {self.opener.off_reason}")
        row = alert_row(alert, self._wall_clock())
        pending = self._pending
        self.dropped += drop_oldest(pending, self._max_pending - 1)  # room for this one
        key = (row.event_time, row.fingerprint)
        pending[key] = row
        self._refused = None
        if (
            len(pending) >= self._batch_size
            or self._monotonic() - self._last_flush >= self._max_delay
        ):
            try:
                self.flush()
            except SinkError:
                self._refused = key
                raise

    def flush(self) -> None:
        """Commit what is pending (and prune when due); raises SinkError on failure, or
        when alerts are pending and the store is off. Opens an off store when due."""
        now = self._monotonic()
        store = self._usable()
        if store is None:
            if self._pending:
                raise SinkError(f"alert store off: {self.opener.off_reason}")
            return
        if self._pending:
            try:
                store.insert(list(self._pending.values()))
            except StoreError as error:
                self._failed(error)
                raise SinkError(str(error)) from error
            self._pending.clear()
        self._last_flush = now
        if now - self._last_prune >= self._prune_interval:
            self._last_prune = now
            self._prune(store)

    def _usable(self) -> AlertStore | None:
        """The open store, after making sure it is still the file at its path (opened again
        when it was deleted or replaced, or when it was off and a try is due)."""
        store = self._store
        if store is not None and store.replaced():
            self._store = None
            with contextlib.suppress(StoreError):
                store.close()
            self.opener.lost(replaced_reason(store.path))
        if self._store is None:
            self._open()
        return self._store

    def _open(self, *, force: bool = False) -> bool:
        """Open the store when it is off and a try is due (or ``force``); True when open."""
        if self._store is None:
            self._store = self.opener.open(force=force)
            if self._store is not None:
                self._note_young()
        return self._store is not None

    def _prune(self, store: AlertStore) -> None:
        try:
            store.prune()
        except StoreError as error:
            self._failed(error)
            raise SinkError(str(error)) from error
        self._note_young()

    def _note_young(self) -> None:
        """Say when alerts younger than the retention were deleted to keep the store within
        its size: at once, then at most every :data:`YOUNG_REPORT_SECS`."""
        young = self.counters.pruned_young
        now = self._monotonic()
        if young == self._young_reported or now < self._next_young_report:
            return
        place = self.opener.place
        self._report(
            f"alert store {place.path}: {young - self._young_reported:,} alerts younger than "
            f"[store] retention_days ({place.retention_days or 0:g}) deleted to stay within "
            f"[store] max_rows ({place.max_rows or 0:,}) / max_bytes ({place.max_bytes or 0:,}) "
            f"({young:,} since start); the store keeps less than its retention"
        )
        self._young_reported = young
        self._next_young_report = now + YOUNG_REPORT_SECS

    def _failed(self, error: StoreError) -> None:
        self.failures += 1
        self.last_error = str(error)

    def stats_fields(self) -> dict[str, int]:
        """Flat ``store_*`` figures for the stats line, the status file and metrics:
        ``store_off`` (1 while the store is not open), alerts stored, failed commits and
        prunes, alerts dropped while pending, times opened again, and alerts deleted by
        age, over ``max_rows``, over ``max_bytes``, and of those for size, how many were
        younger than the retention."""
        counters = self.counters
        return {
            "store_off": int(self._store is None),
            "store_inserted": counters.inserted,
            "store_failures": self.failures,
            "store_dropped": self.dropped,
            "store_reopened": self.opener.reopened,
            "store_pruned_age": counters.pruned_by_age,
            "store_pruned_rows": counters.pruned_by_rows,
            "store_pruned_bytes": counters.pruned_by_bytes,
            "store_pruned_young": counters.pruned_young,
        }

    def reopen(self) -> None:
        """SIGHUP: open the store now when it is off (its pause notwithstanding), then
        commit what is pending (opening it again first when its file was deleted or
        replaced)."""
        self._open(force=True)
        self.flush()

    def close(self) -> None:
        """Commit what is pending and close the store; raises SinkError when alerts could
        not be committed (the store is closed either way)."""
        try:
            self.flush()
        finally:
            if self._store is not None:
                self._store.close()
