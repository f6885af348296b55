"""Signals turned into flags the protocol loop acts on between lines.

SIGHUP asks for a reload (reopen files, reload the configuration); SIGTERM (and ^C when run by
hand) asks to stop. The handlers only set flags; :func:`install_signals` also sets up the
wake-up pipe that interrupts the loop's wait for input.
"""

from __future__ import annotations

import os
import signal
from types import FrameType

__all__ = ["SignalFlags", "install_signals"]


class SignalFlags:
    """What the signal handlers asked for; acted on between lines."""

    def __init__(self) -> None:
        self.reload = False
        self.stop = False

    def on_hup(self, signum: int, frame: FrameType | None) -> None:
        self.reload = True

    def on_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop = True


def install_signals(flags: SignalFlags) -> int:
    """Route SIGHUP/SIGTERM (and ^C by hand) to ``flags``; the wake-up pipe's read end."""
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    signal.signal(signal.SIGHUP, flags.on_hup)
    signal.signal(signal.SIGTERM, flags.on_stop)
    # rsyslog starts the program with SIGINT ignored; keep it so, but stop on ^C by hand.
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, flags.on_stop)
    return wake_read
