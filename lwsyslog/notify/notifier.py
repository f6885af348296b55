"""The notifier: what the omprog program holds to hand alerts to people.

:meth:`Notifier.submit` is on the program's hot path: it writes the alerts to the outbox (one
short SQLite transaction, no network, measured in ``bench/bench_notify.py``) and returns.
Threads of the same process do the rest: a router (route to channels, group, bound the
outbox) and one courier per channel (deliver, retry). Threads rather than a child process:
they die with the program (rsyslog starts, stops and restarts only it), need no IPC beyond the
outbox they share, and spend their time waiting on sockets and SQLite, which release the
GIL; the little CPU they use is per message, not per line.

Nothing is lost across a restart: an alert is in the outbox before ``submit`` returns, and a
row leaves the outbox only after its target accepted it, so a new program resumes where the
old one stopped. Delivery is at least once; the delivery id (Message-ID, ``X-Lwsyslog-Delivery``,
the Matrix transaction id) lets a receiver drop the rare duplicate (an acknowledgement lost to
a crash).

The notifier is also a :class:`~lwsyslog.sinks.Sink` (``write``/``reopen``/``close``, not
``required``), so it can sit among the pipeline's sinks.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from lwsyslog.alerts import Alert
from lwsyslog.errors import SinkError
from lwsyslog.notify.courier import Courier, make_transporter
from lwsyslog.notify.outbox import Outbox, OutboxLock
from lwsyslog.notify.record import encode_alert
from lwsyslog.notify.reporter import Reporter, StderrReporter
from lwsyslog.notify.router import Router
from lwsyslog.notify.settings import NotifySettings
from lwsyslog.notify.stats import NotifyStats
from lwsyslog.severity import Severity

__all__ = ["Notifier"]

_HARD_CAP_FACTOR = 1.25
_JOIN_SECS = 2.0


class _Workers:
    """One generation of threads (replaced whole by :meth:`Notifier.reconfigure`)."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.wake_router = threading.Event()
        self.wake_couriers: dict[str, threading.Event] = {}
        self.threads: list[threading.Thread] = []


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
        self._owner_prefix = f"{os.getpid()}:"
        released = self._hot.release_leases(self._owner_prefix)
        if released:
            self.report.info(f"notify: {released} message(s) a stopped program was sending resume")
        self._submit_lock = threading.Lock()
        self._closed = False
        self._threads = start
        self._configure(settings)
        self._workers: _Workers | None = None
        if start:
            self._start()

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
        workers = self._workers
        if workers is not None and any(row[2] for row in rows):
            workers.wake_router.set()  # a critical alert goes out at once

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
        if self._threads and not self._closed:
            self._start()

    def close(self) -> None:
        """Stop the threads (waiting at most a few seconds) and release the outbox.

        Undelivered notifications stay in the outbox for the next start.
        """
        if self._closed:
            return
        self._closed = True
        self._stop()
        self._hot.close()
        self._lock.release()

    def stats_fields(self) -> dict[str, int]:
        """Flat ``notify_*`` counters for the stats line and metrics."""
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

    def _owner(self) -> str:
        return self._owner_prefix + secrets.token_hex(4)

    def _new_router(self, wake: Callable[[str], None]) -> Router:
        outbox = Outbox(self.path, fsync=self.settings.fsync)
        return Router(self.settings, outbox, self.stats, self.report, on_messages=wake)

    def _new_courier(self, index: int) -> Courier:
        channel = self.settings.channels[index]
        return Courier(
            channel,
            self.settings,
            Outbox(self.path, fsync=self.settings.fsync),
            make_transporter(channel),
            stats=self.stats,
            report=self.report,
            owner=self._owner(),
            clock=self._clock,
        )

    def _manual_router(self) -> Router:
        if self._router is None:
            self._router = self._new_router(lambda channel: None)
        return self._router

    def _manual_couriers(self) -> list[Courier]:
        if self._couriers is None:
            self._couriers = [self._new_courier(i) for i in range(len(self.settings.channels))]
        return self._couriers

    def _start(self) -> None:
        workers = _Workers()
        for channel in self.settings.channels:
            workers.wake_couriers[channel.name] = threading.Event()

        def wake(channel: str) -> None:
            event = workers.wake_couriers.get(channel)
            if event is not None:
                event.set()

        router = self._new_router(wake)
        workers.threads.append(
            threading.Thread(
                target=self._run_router, args=(router, workers), name="lwsyslog-notify-router",
                daemon=True,
            )
        )  # fmt: skip
        for index, channel in enumerate(self.settings.channels):
            workers.threads.append(
                threading.Thread(
                    target=self._run_courier,
                    args=(index, workers, workers.wake_couriers[channel.name]),
                    name=f"lwsyslog-notify-{channel.name}",
                    daemon=True,
                )
            )
        self._workers = workers
        for thread in workers.threads:
            thread.start()

    def _stop(self) -> None:
        workers, self._workers = self._workers, None
        if workers is None:
            return
        workers.stop.set()
        workers.wake_router.set()
        for event in workers.wake_couriers.values():
            event.set()
        deadline = time.monotonic() + _JOIN_SECS
        for thread in workers.threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        stuck = [t.name for t in workers.threads if t.is_alive()]
        if stuck:
            # A courier in a slow network call finishes it on its own; its lease keeps any
            # successor from sending the same message meanwhile.
            self.report.info(f"notify: left {', '.join(stuck)} to finish its current attempt")

    def _run_router(self, router: Router, workers: _Workers) -> None:
        try:
            while not workers.stop.is_set():
                workers.wake_router.clear()
                try:
                    wait = router.pump(self._clock())
                except Exception as error:  # the router must outlive a bad row or a full disk
                    self.report.error(f"notify: router: {type(error).__name__}: {error}")
                    wait = 1.0
                workers.wake_router.wait(wait)
        finally:
            router.outbox.close()

    def _run_courier(self, index: int, workers: _Workers, wake: threading.Event) -> None:
        try:
            courier = self._new_courier(index)
        except Exception as error:
            self.report.error(
                f"notify: channel {self.settings.channels[index].name} cannot start: {error}"
            )
            return
        try:
            while not workers.stop.is_set():
                wake.clear()
                try:
                    if courier.deliver_one():
                        continue
                    wait = courier.seconds_to_next()
                except Exception as error:
                    self.report.error(f"notify: courier: {type(error).__name__}: {error}")
                    wait = 1.0
                wake.wait(wait)
        finally:
            courier.outbox.close()
