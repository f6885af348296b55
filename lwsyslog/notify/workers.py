"""The sender's threads: one router and one courier per channel, over one outbox file.

They run in the sender process (:mod:`lwsyslog.notify.sender`), never in the omprog
program: see :mod:`lwsyslog.notify.notifier` for why.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from lwsyslog.notify.courier import Courier, make_transporter
from lwsyslog.notify.inbox import inbox_dir
from lwsyslog.notify.inbox_reader import InboxReader
from lwsyslog.notify.outbox import Outbox
from lwsyslog.notify.reporter import Reporter
from lwsyslog.notify.router import Router
from lwsyslog.notify.settings import NotifySettings
from lwsyslog.notify.stats import NotifyStats

__all__ = ["Workers", "new_courier", "new_router"]

_JOIN_SECS = 1.5  # below the program's wait in Notifier.close


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
        """Start every thread."""
        router = new_router(self.settings, self.path, self.stats, self.report, self._wake)
        self.threads.append(
            threading.Thread(target=self._run_router, args=(router,), name="notify-router")
        )
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

    def _run_router(self, router: Router) -> None:
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
            courier = new_courier(
                self.settings, index, self.path, self.stats, self.report, clock=self.clock
            )
        except Exception as error:
            self.report.error(f"notify: channel {name} cannot start: {error}")
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
