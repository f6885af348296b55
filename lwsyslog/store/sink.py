"""``StoreSink``: the sink that puts alerts into the alert store, batched."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from lwsyslog.alerts import Alert
from lwsyslog.errors import SinkError, StoreError
from lwsyslog.store.rows import StoreRow, alert_row
from lwsyslog.store.writer import AlertStore

__all__ = ["StoreSink"]


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

    The sink owns ``store``: :meth:`close` closes it, and so does a constructor that fails.
    """

    name = "store"
    required = False

    def __init__(
        self,
        store: AlertStore,
        *,
        batch_size: int = 500,
        max_delay_secs: float = 0.5,
        max_pending: int = 20_000,
        prune_interval_secs: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.dropped = 0
        self.failures = 0
        self.last_error = ""
        self._batch_size = batch_size
        self._max_delay = max_delay_secs
        self._max_pending = max_pending
        self._prune_interval = prune_interval_secs
        self._monotonic = monotonic
        self._wall_clock = wall_clock
        self._pending: dict[tuple[float, str], StoreRow] = {}
        self._last_flush = float("-inf")
        self._last_prune = monotonic()
        # The key of the alert whose write raised: its caller still holds it, to offer again.
        self._refused: tuple[float, str] | None = None
        try:
            store.prune()
        except StoreError:
            # Not a sink yet, so nothing would ever close the store: close it here. The
            # caller (omprog, scan) reports the StoreError and runs without the store.
            store.close()
            raise

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
        commit fails (the alert stays pending)."""
        row = alert_row(alert, self._wall_clock())
        pending = self._pending
        if len(pending) >= self._max_pending:
            del pending[next(iter(pending))]
            self.dropped += 1
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
        """Commit what is pending (and prune when due); raises SinkError on failure."""
        now = self._monotonic()
        if self._pending:
            try:
                self.store.insert(list(self._pending.values()))
            except StoreError as error:
                self._failed(error)
                raise SinkError(str(error)) from error
            self._pending.clear()
        self._last_flush = now
        if now - self._last_prune >= self._prune_interval:
            self._last_prune = now
            self._prune()

    def _prune(self) -> None:
        try:
            self.store.prune()
        except StoreError as error:
            self._failed(error)
            raise SinkError(str(error)) from error

    def _failed(self, error: StoreError) -> None:
        self.failures += 1
        self.last_error = str(error)

    def reopen(self) -> None:
        """Commit what is pending (SIGHUP); the database file is never rotated."""
        self.flush()

    def close(self) -> None:
        """Commit what is pending and close the store; raises SinkError when alerts could
        not be committed (the store is closed either way)."""
        try:
            self.flush()
        finally:
            self.store.close()
