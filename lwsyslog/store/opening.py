"""Opening the alert store again: after it could not be opened, and after its file went away.

A store is off for a moment in ordinary operation: an administrator's ``sqlite3`` session or
a ``VACUUM`` holds its lock while the program starts, a backup moves it aside, someone deletes
it to start afresh. :class:`Opener` tries again after a pause that doubles from
:data:`Opener.FIRST_PAUSE_SECS` up to :data:`Opener.MAX_PAUSE_SECS` (each try may wait the
store's busy timeout, so a long lock costs the program a short wait at most that often), and
says once when the store is off and once when it is back.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lwsyslog.errors import StoreError
from lwsyslog.store.schema import BUSY_TIMEOUT_MS
from lwsyslog.store.writer import AlertStore, StoreCounters

__all__ = ["Opener", "StorePlace"]


@dataclass(frozen=True, slots=True)
class StorePlace:
    """Where the store is and how it is bounded: everything needed to open it again."""

    path: Path
    retention_days: float | None = None
    max_rows: int | None = None
    max_bytes: int | None = None
    busy_timeout_ms: int = BUSY_TIMEOUT_MS
    clock: Callable[[], float] = time.time

    @classmethod
    def of(cls, store: AlertStore) -> StorePlace:
        """The place of an open ``store``."""
        return cls(
            store.path,
            store.retention_days,
            store.max_rows,
            store.max_bytes,
            store.busy_timeout_ms,
            store.clock,
        )

    def open(self, counters: StoreCounters) -> AlertStore:
        """The store, opened and pruned (a store too locked to prune is not open: every
        write would fail the same way); raises :class:`StoreError`, leaving nothing open."""
        try:
            store = AlertStore(
                self.path,
                retention_days=self.retention_days,
                max_rows=self.max_rows,
                max_bytes=self.max_bytes,
                clock=self.clock,
                busy_timeout_ms=self.busy_timeout_ms,
                counters=counters,
            )
        except OSError as error:
            raise StoreError(f"{self.path}: cannot open the alert store: {error}") from error
        try:
            store.prune()
        except StoreError:
            store.close()
            raise
        return store


class Opener:
    """Opens the store at ``place`` when asked and due (see the module docstring).

    :attr:`off_reason` says why the last try failed ("" while the store is open),
    :attr:`off_since` since when (monotonic), :attr:`reopened` how many times the store was
    opened again after being off.
    """

    FIRST_PAUSE_SECS = 1.0
    MAX_PAUSE_SECS = 60.0

    def __init__(
        self,
        place: StorePlace,
        counters: StoreCounters,
        *,
        report: Callable[[str], None],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.place = place
        self.counters = counters
        self.off_reason = ""
        self.off_since: float | None = None
        self.reopened = 0
        self._report = report
        self._monotonic = monotonic
        self._pause = 0.0
        self._next_try = -math.inf

    def open(self, *, force: bool = False) -> AlertStore | None:
        """The store, opened now; None when it cannot be (or, without ``force``, when the
        pause after the last failed try is not over)."""
        now = self._monotonic()
        if not force and now < self._next_try:
            return None
        try:
            store = self.place.open(self.counters)
        except StoreError as error:
            self._failed(str(error), now)
            return None
        if self.off_since is not None:
            self.reopened += 1
            self._report(
                f"alert store {self.place.path} open again after {now - self.off_since:.0f} s; "
                "alerts are stored again"
            )
        self.off_reason = ""
        self.off_since = None
        self._pause = 0.0
        self._next_try = -math.inf
        return store

    def lost(self, why: str) -> None:
        """The open store went away (``why``): it is off until opened again."""
        self._failed(why, self._monotonic())
        self._next_try = -math.inf  # try at once: a deleted store is simply made again

    def _failed(self, why: str, now: float) -> None:
        if self.off_since is None:
            self.off_since = now
            self._report(
                f"alert store off: {why}; alerts are not stored (the messages file and "
                "journald still take them) until it opens: tried again after "
                f"{self.FIRST_PAUSE_SECS:g} s, then at most every {self.MAX_PAUSE_SECS:g} s, "
                "and at SIGHUP"
            )
        self.off_reason = why
        self._pause = min(max(self._pause * 2, self.FIRST_PAUSE_SECS), self.MAX_PAUSE_SECS)
        self._next_try = now + self._pause


def replaced_reason(path: Path) -> str:
    """Why a store whose file is no longer the one open is off, in words."""
    if os.path.lexists(path):
        return f"{path}: another file was put in the place of the open alert store"
    return f"{path}: the open alert store was deleted"
