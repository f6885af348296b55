"""The sender process: ``python -m lwsyslog.notify.sender``, started by the Notifier.

It reads its settings (pickled, length-prefixed) from stdin, takes ``<outbox>.sender.lock``
(so the sender of a program that just died has surely stopped before this one reads the inbox
or touches a lease), releases the leases of dead senders, and runs the router and courier
threads (:class:`~lwsyslog.notify.workers.Workers`) at a lower CPU priority. The router takes
the alerts the program appended to its inbox files. Every other byte on stdin wakes the router
(a critical alert); end of input (the program closed the pipe, or died, even by SIGKILL) stops
it. Counters go to the outbox's ``meta`` table (kept across restarts) and, once a second, to
``<outbox>.sender-stats``, where the program reads them for its stats line without touching
the database. Diagnostics go to stderr, which it shares with the program.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import select
import signal
import struct
import sys
import threading
from pathlib import Path

from lwsyslog.notify.handoff import read_start
from lwsyslog.notify.outbox import Outbox
from lwsyslog.notify.reporter import StderrReporter
from lwsyslog.notify.stats import NotifyStats, publish, sender_stats_path
from lwsyslog.notify.workers import Workers, open_retrying

__all__ = ["main"]


def _lock(path: Path) -> int:
    fd = os.open(path.with_name(path.name + ".sender.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # waits for a predecessor finishing its last attempt
    return fd


def main() -> int:
    """Run until stdin closes."""
    # The program owns stopping and reloading (it closes our stdin, or starts a sender with new
    # settings). rsyslog's HUP after every log rotation reaches the whole process group and
    # would otherwise kill the sender mid-delivery, once a day on every server.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    report = StderrReporter()
    try:
        settings, path, nice = read_start(0)
    except (EOFError, pickle.UnpicklingError, struct.error):
        return 2
    if nice:
        os.nice(nice)
    lock = _lock(path)

    def start() -> tuple[Outbox, int]:
        outbox = Outbox(path, fsync=settings.fsync)
        try:
            return outbox, outbox.release_leases(f"{os.getpid()}:")
        except BaseException:
            outbox.close()
            raise

    # A lock another process holds beyond the busy timeout must not end this sender: the
    # program would start another only at its next stats round, and at most every 30 s.
    opened = open_retrying(start, "outbox", report, _stdin_closed)
    if opened is None:
        return 0
    outbox, released = opened
    if released:
        report.info(f"notify: resuming {released} message(s) a stopped sender was sending")
    stats = NotifyStats()
    stats.load(outbox.get_meta("sender_stats"))
    stats.keep_channels(channel.name for channel in settings.channels)
    stats.inbox_torn = outbox.inbox_torn()  # committed with the inbox position: exact
    workers = Workers(settings, path, stats, report)
    workers.start()
    target = sender_stats_path(path)
    publisher = threading.Thread(
        target=_publish, args=(outbox, stats, workers, target), daemon=True
    )
    publisher.start()
    try:
        while True:
            data = os.read(0, 4096)
            if not data:
                break
            workers.wake_router.set()
    except OSError:
        pass
    stuck = workers.stop()
    workers.stop_event.set()
    publisher.join(1.0)
    try:
        _save(outbox, stats, target)
    except Exception as error:
        report.warning(f"notify: stats not written: {error}")
    outbox.close()
    os.close(lock)
    if stuck:
        # A thread stuck in a network call would keep the process alive: leave now; its
        # message stays leased to this (dead) process and the next sender resends it.
        os._exit(0)
    return 0


def _stdin_closed(secs: float) -> bool:
    """Wait up to ``secs`` for stdin; True when it ended (the program is gone or stopping)."""
    ready, _, _ = select.select([0], [], [], secs)
    if not ready:
        return False
    try:
        return not os.read(0, 4096)  # a wake byte is dropped: the router starts with a round
    except OSError:
        return True


def _publish(outbox: Outbox, stats: NotifyStats, workers: Workers, target: Path) -> None:
    while not workers.stop_event.wait(1.0):
        try:
            _save(outbox, stats, target)
        except Exception as error:
            StderrReporter().warning(f"notify: stats not written: {error}")


def _save(outbox: Outbox, stats: NotifyStats, target: Path) -> None:
    text = stats.dump()
    publish(target, text)
    outbox.set_meta("sender_stats", text)


if __name__ == "__main__":
    sys.exit(main())
