"""The sender's threads: one router and one courier per channel, over one outbox file.

They run in the sender process (:mod:`lwsyslog.notify.sender`), never in the omprog
program: see :mod:`lwsyslog.notify.notifier` for why.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from lwsyslog.notify.courier import Courier, make_transporter
from lwsyslog.notify.inbox import inbox_dir
from lwsyslog.notify.inbox_reader import InboxReader
from lwsyslog.notify.outbox import Outbox, OutboxError
from lwsyslog.notify.reporter import Reporter
from lwsyslog.notify.router import Router
from lwsyslog.notify.settings import NotifySettings
from lwsyslog.notify.stats import NotifyStats

__all__ = ["Workers", "new_courier", "new_router", "open_retrying"]

_JOIN_SECS = 1.5  # below the program's wait in Notifier.close
_REOPEN_FIRST_SECS = 1.0
_REOPEN_MAX_SECS = 30.0

_T = TypeVar("_T")


def open_retrying(
    make: Callable[[], _T],
    what: str,
    report: Reporter,
    stopped: Callable[[float], bool],
    retry_on: tuple[type[Exception], ...] = (OutboxError, sqlite3.Error),
) -> _T | None:
    """``make()`` (which opens the outbox), tried again while the outbox cannot be opened.

    Another process may hold the outbox's write lock for longer than the busy timeout (a
    predecessor still dying, an administrator's ``sqlite3`` shell in a transaction): giving
    up would leave alerts undelivered until the sender is restarted, so each failure is
    reported and ``make`` tried again after a pause (1 s, doubling up to 30 s). What waits
    stays in the inbox and the outbox meanwhile. ``stopped(secs)`` waits up to ``secs`` and
    says whether to give up (the sender is stopping); then the result is None. Errors not in
    ``retry_on`` propagate.
    """
    pause = _REOPEN_FIRST_SECS
    while True:
        try:
            return make()
        except retry_on as error:
            report.error(f"notify: {what}: {error}; trying again in {pause:g} s")
        if stopped(pause):
            return None
        pause = min(pause * 2, _REOPEN_MAX_SECS)


def new_router(
    settings: NotifySettings,
    path: Path,
    stats: NotifyStats,
    report: Reporter,
    wake: Callable[[str], None] = lambda channel: None,
) -> Router:
    """A router with its own connection to the outbox, reading the outbox's inbox."""
    return Router(
        settings,
        Outbox(path, fsync=settings.fsync),
        InboxReader(inbox_dir(path)),
        stats=stats,
        report=report,
        on_messages=wake,
    )


def new_courier(
    settings: NotifySettings,
    index: int,
    path: Path,
    stats: NotifyStats,
    report: Reporter,
    *,
    clock: Callable[[], float],
) -> Courier:
    """A courier for channel ``index`` with its own connection and lease owner name."""
    channel = settings.channels[index]
    return Courier(
        channel,
        settings,
        Outbox(path, fsync=settings.fsync),
        make_transporter(channel),
        stats=stats,
        report=report,
        owner=f"{os.getpid()}:{secrets.token_hex(4)}",
        clock=clock,
    )


class Workers:
    """Starts, wakes and stops the router and courier threads."""

    def __init__(
        self,
        settings: NotifySettings,
        path: Path,
        stats: NotifyStats,
        report: Reporter,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.path = path
        self.stats = stats
        self.report = report
        self.clock = clock
        self.stop_event = threading.Event()
        self.wake_router = threading.Event()
        self.wake_couriers = {c.name: threading.Event() for c in settings.channels}
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start every thread; each opens its own connection to the outbox."""
        self.threads.append(threading.Thread(target=self._run_router, name="notify-router"))
        for index, channel in enumerate(self.settings.channels):
            self.threads.append(
                threading.Thread(
                    target=self._run_courier, args=(index,), name=f"notify-{channel.name}"
                )
            )
        for thread in self.threads:
            thread.daemon = True
            thread.start()

    def stop(self, join_secs: float = _JOIN_SECS) -> list[str]:
        """Ask every thread to stop; wait at most ``join_secs``; the names still running."""
        self.stop_event.set()
        self.wake_router.set()
        for event in self.wake_couriers.values():
            event.set()
        deadline = time.monotonic() + join_secs
        for thread in self.threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        return [t.name for t in self.threads if t.is_alive()]

    def _wake(self, channel: str) -> None:
        event = self.wake_couriers.get(channel)
        if event is not None:
            event.set()

    def _run_router(self) -> None:
        router = open_retrying(
            lambda: new_router(self.settings, self.path, self.stats, self.report, self._wake),
            "router",
            self.report,
            self.stop_event.wait,
            # Like a failed round (below): the router must outlive whatever stops it now.
            retry_on=(Exception,),
        )
        if router is None:
            return
        try:
            while not self.stop_event.is_set():
                self.wake_router.clear()
                try:
                    wait = router.pump(self.clock())
                except Exception as error:  # the router must outlive a bad row or a full disk
                    self.report.error(f"notify: router: {type(error).__name__}: {error}")
                    wait = 1.0
                self.wake_router.wait(wait)
        finally:
            router.outbox.close()

    def _run_courier(self, index: int) -> None:
        name = self.settings.channels[index].name
        try:
            courier = open_retrying(
                lambda: new_courier(
                    self.settings, index, self.path, self.stats, self.report, clock=self.clock
                ),
                f"channel {name}",
                self.report,
                self.stop_event.wait,
            )
        except Exception as error:  # not the outbox: the channel's transport cannot be made
            self.report.error(f"notify: channel {name} cannot start: {error}")
            return
        if courier is None:
            return
        wake = self.wake_couriers[name]
        try:
            while not self.stop_event.is_set():
                wake.clear()
                try:
                    if courier.deliver_one():
                        continue
                    wait = courier.seconds_to_next()
                except Exception as error:
                    self.report.error(f"notify: channel {name}: {type(error).__name__}: {error}")
                    wait = 1.0
                wake.wait(wait)
        finally:
            courier.outbox.close()
