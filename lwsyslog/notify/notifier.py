"""The notifier: what the omprog program holds to hand alerts to people.

:meth:`Notifier.submit` is on the program's hot path: it appends the alerts to the program's
own **inbox** file (:mod:`lwsyslog.notify.inbox`: one ``write`` per batch, to the page cache)
and returns. It takes no lock the sender could hold and never opens the sender's database, so
a busy, stopped (SIGSTOP) or dead sender cannot slow it (measured in ``bench/bench_notify.py``,
tested in ``tests/notify/test_inbox_crash.py``).

Everything else (reading the inbox, routing to channels, grouping, rendering, delivery,
retries) happens in a **sender process** the notifier starts (:mod:`lwsyslog.notify.sender`),
not in threads of the program: the program is CPU-bound Python, and any Python work in a
thread of the same process takes the GIL from line processing, even on a machine with idle
cores. In its own process the sender runs on another core (and at a lower priority when it
must share one), so a burst of messages or a slow TLS handshake never slows the lines. A byte
on a pipe wakes the sender for a critical alert; the end of the pipe (the program exiting,
even killed) stops it. The sender publishes its counters to a small file the program reads
once a second.

Nothing is lost across a restart: an alert is in the inbox (page cache) before ``submit``
returns; the sender moves it into the outbox database together with its inbox position, and
a row leaves the outbox only after its target accepted it, so a new program's sender resumes
where the old one stopped. Delivery is at least once; the delivery id (Message-ID,
``X-Lwsyslog-Delivery``, the Matrix transaction id) lets a receiver drop the rare duplicate
(an acknowledgement lost to a crash).

The notifier is also a :class:`~lwsyslog.sinks.Sink` (``write``/``reopen``/``close``, not
``required``), so it can sit among the pipeline's sinks.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from lwsyslog.alerts import Alert
from lwsyslog.errors import SinkError
from lwsyslog.metrics.figures import ChannelFigures
from lwsyslog.notify.courier import Courier
from lwsyslog.notify.handoff import encode_start
from lwsyslog.notify.inbox import InboxWriter, encode_record, inbox_dir
from lwsyslog.notify.outbox import OutboxError, OutboxLock
from lwsyslog.notify.record import encode_alert
from lwsyslog.notify.reporter import Reporter, StderrReporter
from lwsyslog.notify.router import Router
from lwsyslog.notify.settings import NotifySettings
from lwsyslog.notify.stats import NotifyStats, read_published, sender_stats_path
from lwsyslog.notify.workers import new_courier, new_router
from lwsyslog.sanitize import truncate
from lwsyslog.severity import Severity

__all__ = ["CLOSE_WAIT_SECS", "Notifier"]

_HARD_CAP_FACTOR = 1.25
CLOSE_WAIT_SECS = 2.0
"""How long :meth:`Notifier.close` waits for the sender to finish before killing it."""
_REAP_SECS = 0.5
_REFRESH_SECS = 1.0
_RESTART_SECS = 30.0
_MAX_DECISIONS = 4096
_MAX_ERROR_CHARS = 400


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
        close_wait_secs: float = CLOSE_WAIT_SECS,
    ) -> None:
        self.path = path
        self.settings = settings
        self.stats = NotifyStats()
        self.report: Reporter = report if report is not None else StderrReporter()
        self._clock = clock
        self._lock = OutboxLock(path, lock_wait_secs)
        self._published = sender_stats_path(path)
        self._use_sender = start
        if start:
            self.stats.load(read_published(self._published))  # the last sender's counters
        directory = inbox_dir(path)
        try:
            self._inbox = InboxWriter(
                directory, fsync=settings.fsync, read_up_to=self.stats.inbox_seq
            )
        except OSError as error:
            self._lock.release()
            raise OutboxError(
                f"cannot write the notification inbox {directory}: {error.strerror or error}"
            ) from None
        self._submit_lock = threading.Lock()
        self._closed = False
        self._sender_nice = sender_nice
        self._close_wait = close_wait_secs
        self._sender: subprocess.Popen[bytes] | None = None
        self._next_restart = 0.0
        self._next_refresh = 0.0
        self._queued = 0  # bytes the sender had not delivered yet, at the last refresh
        self._appended = 0  # bytes appended to the inbox since
        self._configure(settings)
        self._refresh()
        if start:
            self._start()

    # --- the hot path ---------------------------------------------------------------------

    def submit(self, alerts: Sequence[Alert]) -> None:
        """Append ``alerts`` to the inbox (one write); never waits on the sender or the network.

        Alerts no channel wants are counted and not stored; non-critical alerts far beyond
        the byte bound (the sender far behind, or stopped) are counted and dropped. Raises
        :class:`~lwsyslog.errors.SinkError` when the inbox cannot be written (disk full); the
        caller's dispatcher retries it (an alert stored twice is sent once).
        """
        if self._closed:
            raise SinkError("the notifier is closed")
        now = self._clock()
        records = []
        filtered = dropped = 0
        critical_seen = False
        room = self._hard_cap - self._queued - self._appended
        for alert in alerts:
            severity = alert.severity
            if not self._wanted(alert.rule, severity.rank, alert.categories):
                filtered += 1
                continue
            critical = severity is Severity.CRITICAL
            if not critical and room < 0:
                dropped += 1
                continue
            fingerprint = alert.fingerprint
            body = encode_alert(alert, fingerprint, self._sample_chars, now)
            record = encode_record(fingerprint, now, critical, body)
            room -= len(record)
            records.append(record)
            critical_seen = critical_seen or critical
        if filtered or dropped:
            with self.stats.lock:
                self.stats.filtered += filtered
                self.stats.dropped_full += dropped
        if records:
            data = records[0] if len(records) == 1 else b"".join(records)
            with self._submit_lock:
                try:
                    self._inbox.append(data)
                except OSError as error:
                    with self.stats.lock:
                        self.stats.submit_errors += 1
                    raise SinkError(
                        f"notify inbox {self._inbox.directory} not written: "
                        f"{error.strerror or error}"
                    ) from None
                self._appended += len(data)
            with self.stats.lock:
                self.stats.submitted += len(records)
            if critical_seen and self._sender is not None:
                self._wake_sender()  # a critical alert goes out at once
        if time.monotonic() >= self._next_refresh:
            self._refresh()

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
        """Close the inbox and stop the sender; returns within ``close_wait_secs`` + 0.5 s.

        The sender is given ``close_wait_secs`` (default :data:`CLOSE_WAIT_SECS`) to finish,
        then killed (SIGKILL, which also ends a stopped process): nothing is lost, the next
        sender reads the inbox from the committed position and resends, with the same
        delivery id, a message the killed one was sending. Undelivered notifications wait in
        the inbox and the outbox for the next start.
        """
        if self._closed:
            return
        self._closed = True
        with self._submit_lock:
            self._inbox.close()
        self._stop()
        self._refresh()  # the sender's last counters, for the program's last stats line
        self._lock.release()

    def stats_fields(self) -> dict[str, int]:
        """Flat ``notify_*`` counters for the stats line and metrics.

        Delivery counters come from the sender (published every second, cumulative over the
        life of the outbox file); submit counters are this program's. Also starts a new
        sender when the last one died (at most every 30 s), so call it periodically.
        """
        if not self._closed:
            self._check_sender()
            self._refresh()
        return self.stats.fields()

    def channel_figures(self) -> dict[str, ChannelFigures]:
        """Each channel's delivery figures as of the last :meth:`stats_fields` (the sender's).

        Errors were sanitized by the courier; they are bounded again here, as they come from
        a file.
        """
        with self.stats.lock:
            return {
                name: ChannelFigures(
                    kind=c.kind,
                    attempts=c.attempts,
                    delivered=c.delivered,
                    failures=c.failures,
                    failing_since=c.failing_since,
                    last_error=truncate(c.last_error, _MAX_ERROR_CHARS),
                )
                for name, c in self.stats.channels.items()
            }

    @property
    def sender_pid(self) -> int | None:
        """The process id of the running sender (None: none started)."""
        sender = self._sender
        return None if sender is None else sender.pid

    # --- driving by hand (tests, ``start=False``) -----------------------------------------

    def pump(self) -> None:
        """One router round now: route, make due messages, housekeep."""
        self._manual_router().pump(self._clock())

    def deliver(self, limit: int = 1000) -> int:
        """Attempt every due message of every channel now (at most ``limit``); how many. Then,
        as a courier thread does between attempts, each courier looks at what is still due."""
        done = 0
        for courier in self._manual_couriers():
            while done < limit and courier.deliver_one():
                done += 1
            courier.seconds_to_next()
        return done

    # --- internals ------------------------------------------------------------------------

    def _configure(self, settings: NotifySettings) -> None:
        self._sample_chars = settings.sample_max_chars
        self._hard_cap = int(settings.outbox_max_bytes * _HARD_CAP_FACTOR)
        self._policies = [c.policy for c in settings.channels]
        self._decisions: dict[tuple[str, int, tuple[str, ...]], bool] = {}
        self._router: Router | None = None
        self._couriers: list[Courier] | None = None

    def _wanted(self, rule: str, rank: int, categories: tuple[str, ...]) -> bool:
        # Rules, ranks and categories come from the configuration, not from log lines: few
        # distinct keys. Remembered, as the policies cost microseconds on the hot path.
        key = (rule, rank, categories)
        decision = self._decisions.get(key)
        if decision is None:
            decision = any(policy.accepts(rule, rank, categories) for policy in self._policies)
            if len(self._decisions) >= _MAX_DECISIONS:
                self._decisions.clear()
            self._decisions[key] = decision
        return decision

    def _refresh(self) -> None:
        """Take the sender's published counters and recount what waits, in bytes."""
        self._next_refresh = time.monotonic() + _REFRESH_SECS
        if self._use_sender:
            self.stats.load(read_published(self._published))  # a file read, never a lock
        stats = self.stats
        with self._submit_lock:
            backlog = self._inbox.backlog(stats.inbox_seq, stats.inbox_offset)
            self._queued = stats.outbox_bytes + backlog
            self._appended = 0
        with stats.lock:
            stats.inbox_bytes = backlog

    def _manual_router(self) -> Router:
        if self._router is None:
            self._router = new_router(self.settings, self.path, self.stats, self.report)
            # Driven by hand, this program is the sender: leases of dead ones are stale.
            self._router.outbox.release_leases(f"{os.getpid()}:")
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

    def _check_sender(self) -> None:
        sender = self._sender
        if sender is None or sender.poll() is None:
            return
        now = time.monotonic()
        if now < self._next_restart:
            return
        self._next_restart = now + _RESTART_SECS
        self._sender = None
        if sender.stdin is not None:
            with contextlib.suppress(OSError):
                sender.stdin.close()
        self.report.error(
            f"notify: the sender process exited (status {sender.returncode}); starting another"
        )
        try:
            self._start()
        except OutboxError as error:
            self.report.error(f"notify: {error}")
            return
        with self.stats.lock:
            self.stats.sender_restarts += 1

    def _stop(self) -> None:
        sender, self._sender = self._sender, None
        if sender is None:
            return
        with contextlib.suppress(OSError):
            assert sender.stdin is not None
            sender.stdin.close()  # end of input: the sender finishes and exits
        try:
            sender.wait(self._close_wait)
        except subprocess.TimeoutExpired:
            # Stuck in a slow network call, or stopped: SIGKILL (SIGTERM would wait for a
            # stopped process to be continued). Its lease keeps a successor from resending
            # that message until the successor holds the sender lock, i.e. until it is gone.
            sender.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                sender.wait(_REAP_SECS)
            self.report.warning(
                f"notify: the sender did not stop within {self._close_wait:g} s; killed it "
                "(the next one resumes its work)"
            )
