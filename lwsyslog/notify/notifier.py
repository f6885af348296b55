"""The notifier: what the omprog program holds to hand alerts to people.

:meth:`Notifier.submit` is on the program's hot path: it writes the alerts to the outbox (one
short SQLite transaction, no network, measured in ``bench/bench_notify.py``) and returns.
Everything else (routing to channels, grouping, rendering, delivery, retries) happens in a
**sender process** the notifier starts (:mod:`lwsyslog.notify.sender`), not in threads of the
program: the program is CPU-bound Python, and any Python work in a thread of the same process
takes the GIL from line processing, even on a machine with idle cores. In its own process the
sender runs on another core (and at a lower priority when it must share one), so a burst of
messages or a slow TLS handshake never slows the lines. The outbox file is the only thing the
two share; a byte on a pipe wakes the sender for a critical alert, and the end of the pipe
(the program exiting, even killed) stops it.

Nothing is lost across a restart: an alert is in the outbox before ``submit`` returns, and a
row leaves the outbox only after its target accepted it, so a new program's sender resumes
where the old one stopped. Delivery is at least once; the delivery id (Message-ID,
``X-Lwsyslog-Delivery``, the Matrix transaction id) lets a receiver drop the rare duplicate
(an acknowledgement lost to a crash).

The notifier is also a :class:`~lwsyslog.sinks.Sink` (``write``/``reopen``/``close``, not
``required``), so it can sit among the pipeline's sinks.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from lwsyslog.alerts import Alert
from lwsyslog.errors import SinkError
from lwsyslog.notify.courier import Courier
from lwsyslog.notify.handoff import encode_start
from lwsyslog.notify.outbox import Outbox, OutboxError, OutboxLock
from lwsyslog.notify.record import encode_alert
from lwsyslog.notify.reporter import Reporter, StderrReporter
from lwsyslog.notify.router import Router
from lwsyslog.notify.settings import NotifySettings
from lwsyslog.notify.stats import NotifyStats
from lwsyslog.notify.workers import new_courier, new_router
from lwsyslog.severity import Severity

__all__ = ["Notifier"]

_HARD_CAP_FACTOR = 1.25
_STOP_WAIT_SECS = 3.0
_REFRESH_EVERY = 256


class Notifier:
    """Durable, grouped, retried notifications for the alerts it is given."""

    name = "notify"
    required = False

    def __init__(
        self,
        settings: NotifySettings,
        path: Path,
        *,
        report: Reporter | None = None,
        clock: Callable[[], float] = time.time,
        start: bool = True,
        lock_wait_secs: float = 5.0,
        sender_nice: int = 10,
    ) -> None:
        self.path = path
        self.settings = settings
        self.stats = NotifyStats()
        self.report: Reporter = report if report is not None else StderrReporter()
        self._clock = clock
        self._lock = OutboxLock(path, lock_wait_secs)
        try:
            self._hot = Outbox(path, fsync=settings.fsync, checkpoints=False)
        except BaseException:
            self._lock.release()
            raise
        self._submit_lock = threading.Lock()
        self._closed = False
        self._use_sender = start
        self._sender_nice = sender_nice
        self._sender: subprocess.Popen[bytes] | None = None
        self._submits = 0
        self._configure(settings)
        if start:
            self._start()
        else:
            self._hot.release_leases(f"{os.getpid()}:")

    # --- the hot path ---------------------------------------------------------------------

    def submit(self, alerts: Sequence[Alert]) -> None:
        """Store ``alerts`` in the outbox; never waits on the network.

        Alerts no channel wants are counted and not stored. Raises
        :class:`~lwsyslog.errors.SinkError` when the outbox cannot be written (disk full);
        the caller's dispatcher retries it.
        """
        if self._closed:
            raise SinkError("the notifier is closed")
        now = self._clock()
        rows = []
        filtered = 0
        limit = self._hard_cap
        for alert in alerts:
            severity = alert.severity
            if not self._wanted(alert.rule, severity.rank, alert.categories):
                filtered += 1
                continue
            critical = severity is Severity.CRITICAL
            if not critical and self.stats.outbox_bytes + self.stats.added_bytes > limit:
                # The router is far behind: refuse new non-critical alerts until it catches up.
                with self.stats.lock:
                    self.stats.dropped_full += 1
                continue
            fingerprint = alert.fingerprint
            rows.append(
                (
                    fingerprint,
                    now,
                    critical,
                    encode_alert(alert, fingerprint, self._sample_chars, now),
                )
            )
        if filtered:
            with self.stats.lock:
                self.stats.filtered += filtered
        if not rows:
            return
        try:
            with self._submit_lock:
                inserted = self._hot.insert_alerts(rows)
        except sqlite3.Error as error:
            with self.stats.lock:
                self.stats.submit_errors += 1
            raise SinkError(f"notify outbox {self.path} not written: {error}") from None
        with self.stats.lock:
            self.stats.added_bytes += sum(len(row[3]) for row in rows)
            self.stats.submitted += inserted
            self.stats.duplicates += len(rows) - inserted
        self._submits += 1
        if self._submits % _REFRESH_EVERY == 0:
            self._refresh()
        if self._sender is not None and any(row[2] for row in rows):
            self._wake_sender()  # a critical alert goes out at once

    def write(self, alert: Alert) -> None:
        """The :class:`~lwsyslog.sinks.Sink` entry point: :meth:`submit` of one alert."""
        self.submit((alert,))

    def reopen(self) -> None:
        """Nothing to reopen (SIGHUP)."""

    # --- life cycle -----------------------------------------------------------------------

    def reconfigure(self, settings: NotifySettings) -> None:
        """Apply new settings (SIGHUP reload) without closing the outbox.

        What is waiting stays; rows of a channel that is gone are dropped (counted, reported).
        """
        self._stop()
        self.settings = settings
        self._configure(settings)
        if self._use_sender and not self._closed:
            self._start()

    def close(self) -> None:
        """Stop the sender (waiting at most a few seconds) and release the outbox.

        Undelivered notifications stay in the outbox for the next start.
        """
        if self._closed:
            return
        self._closed = True
        self._stop()
        self._refresh()  # the sender's last counters, for the program's last stats line
        self._hot.close()
        self._lock.release()

    def stats_fields(self) -> dict[str, int]:
        """Flat ``notify_*`` counters for the stats line and metrics.

        Delivery counters come from the sender (published every second, cumulative over the
        life of the outbox file); submit counters are this program's.
        """
        if not self._closed:
            self._refresh()
        return self.stats.fields()

    # --- driving by hand (tests, ``start=False``) -----------------------------------------

    def pump(self) -> None:
        """One router round now: route, make due messages, housekeep."""
        self._manual_router().pump(self._clock())

    def deliver(self, limit: int = 1000) -> int:
        """Attempt every due message of every channel now (at most ``limit``); how many."""
        done = 0
        for courier in self._manual_couriers():
            while done < limit and courier.deliver_one():
                done += 1
        return done

    # --- internals ------------------------------------------------------------------------

    def _configure(self, settings: NotifySettings) -> None:
        self._sample_chars = settings.sample_max_chars
        self._hard_cap = int(settings.outbox_max_bytes * _HARD_CAP_FACTOR)
        self._policies = [c.policy for c in settings.channels]
        self._router: Router | None = None
        self._couriers: list[Courier] | None = None

    def _wanted(self, rule: str, rank: int, categories: tuple[str, ...]) -> bool:
        return any(policy.accepts(rule, rank, categories) for policy in self._policies)

    def _refresh(self) -> None:
        if self._use_sender:
            with contextlib.suppress(sqlite3.Error):
                published = self._hot.get_meta("sender_stats")
                if published:
                    self.stats.load(published)
                    with self.stats.lock:
                        self.stats.added_bytes = 0

    def _manual_router(self) -> Router:
        if self._router is None:
            self._router = new_router(self.settings, self.path, self.stats, self.report)
        return self._router

    def _manual_couriers(self) -> list[Courier]:
        if self._couriers is None:
            self._couriers = [
                new_courier(self.settings, i, self.path, self.stats, self.report, clock=self._clock)
                for i in range(len(self.settings.channels))
            ]
        return self._couriers

    def _start(self) -> None:
        try:
            sender = subprocess.Popen(
                [sys.executable, "-m", "lwsyslog.notify.sender"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                close_fds=True,
            )
        except OSError as error:
            raise OutboxError(f"cannot start the notification sender: {error}") from None
        assert sender.stdin is not None
        sender.stdin.write(encode_start(self.settings, self.path, self._sender_nice))
        sender.stdin.flush()
        os.set_blocking(sender.stdin.fileno(), False)
        self._sender = sender

    def _wake_sender(self) -> None:
        sender = self._sender
        if sender is None or sender.stdin is None:
            return
        # Pipe full: already woken; broken: gone (its successor resumes the outbox).
        with contextlib.suppress(BlockingIOError, BrokenPipeError):
            os.write(sender.stdin.fileno(), b"w")

    def _stop(self) -> None:
        sender, self._sender = self._sender, None
        if sender is None:
            return
        with contextlib.suppress(OSError):
            assert sender.stdin is not None
            sender.stdin.close()  # end of input: the sender finishes and exits
        try:
            sender.wait(_STOP_WAIT_SECS)
        except subprocess.TimeoutExpired:
            # Stuck in a slow network call: its lease keeps a successor from resending that
            # message until the successor holds the sender lock, i.e. until this one is gone.
            sender.terminate()
            self.report.info("notify: stopped the sender during a delivery attempt")
