"""Sink faults for the lab chain: a messages file that cannot be written, a full disk, a hung
journald. Used by the sink-fault tests and ``bench/bench_sink_faults.py``.

Root ignores file modes, so ``chmod`` cannot make the messages file unwritable: its directory
is a symlink, switched atomically to one where ``messages`` is a directory. A full disk is a
small tmpfs inside the journal namespace, filled up and then emptied.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from lwsyslog.lab.journal import JournalNamespace

__all__ = ["FAULT_KINDS", "SinkFault", "send_through_fault", "settle"]

_STAMP = "%d/%b/%Y:%H:%M:%S +0000"

FAULT_KINDS = ("control", "dir", "full", "journald")
"""``control``: none; ``dir``: the messages file is a directory; ``full``: its file system is
full; ``journald``: journald is stopped (SIGSTOP), its socket fills up."""


class SinkFault:
    """Turns one fault on and off; :meth:`read` returns the messages file's bytes.

    Create it before the chain (the messages file's place depends on the fault), give the
    chain :attr:`path` as the messages file, and set :attr:`pids` to the chain's omprog pids
    (a ``dir`` fault sends them SIGHUP so that they reopen the file).
    """

    def __init__(self, kind: str, journal: JournalNamespace, work: Path) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}: one of {', '.join(FAULT_KINDS)}")
        self.kind = kind
        self.journal = journal
        self.dir = work / "msg"
        self.path = self.dir / "messages"
        self.pids: Callable[[], list[int]] = list
        if kind == "full":
            self.dir.mkdir(parents=True, exist_ok=True)
            self._ns("mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "lwsyslog-lab",
                     str(self.dir))  # fmt: skip
        else:
            # msg -> real/ normally, -> bad/ (where "messages" is a directory) during a dir
            # fault: both switches are one atomic rename, never a moment without either.
            (work / "real").mkdir(parents=True)
            (work / "bad" / "messages").mkdir(parents=True)
            self._point(work / "real")

    def _point(self, target: Path) -> None:
        link = self.dir.with_name("msg.new")
        link.symlink_to(target)
        link.replace(self.dir)

    def _ns(self, *argv: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(self.journal.command(*argv), capture_output=True, check=False)

    def on(self) -> None:
        """Start the fault."""
        if self.kind == "dir":
            self._point(self.dir.with_name("bad"))
            for pid in self.pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGHUP)
        elif self.kind == "full":
            self._ns("sh", "-c", f"dd if=/dev/zero of={self.dir}/filler bs=64k 2>/dev/null; true")
        elif self.kind == "journald":
            os.kill(self.journal.journald_pid, signal.SIGSTOP)

    def off(self) -> None:
        """End the fault."""
        if self.kind == "dir":
            self._point(self.dir.with_name("real"))
        elif self.kind == "full":
            self._ns("rm", "-f", f"{self.dir}/filler")
        elif self.kind == "journald":
            os.kill(self.journal.journald_pid, signal.SIGCONT)

    def read(self) -> bytes:
        """The messages file's content (empty before it exists)."""
        if self.kind == "full":
            return self._ns("cat", str(self.path)).stdout
        return self.path.read_bytes() if self.path.is_file() else b""


def send_through_fault(
    send: Callable[[str], None],
    bodies: list[str],
    fault: SinkFault,
    *,
    send_secs: float,
    fault_start: float,
    fault_secs: float,
) -> None:
    """Send ``bodies`` (access lines with a ``{stamp}`` placeholder, filled with the time of
    sending) evenly over ``send_secs``; the fault is on from ``fault_start`` seconds for
    ``fault_secs`` (and ended before returning, whatever happens)."""
    start = time.monotonic()
    fault_end = fault_start + fault_secs
    fault_on = False
    try:
        for i, body in enumerate(bodies):
            due = start + i * send_secs / max(1, len(bodies))
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            elapsed = time.monotonic() - start
            if fault.kind != "control" and not fault_on and fault_start <= elapsed < fault_end:
                fault.on()
                fault_on = True
            if fault_on and elapsed >= fault_end:
                fault.off()
                fault_on = False
            send(body.replace("{stamp}", time.strftime(_STAMP, time.gmtime())))
        if fault_on:
            time.sleep(max(0.0, start + fault_end - time.monotonic()))
    finally:
        if fault_on:
            fault.off()


def settle(
    counts: Callable[[], tuple[int, ...]],
    expected: tuple[int, ...] | None,
    most: float,
    still_secs: float = 3.0,
) -> float:
    """Wait until ``counts()`` reaches ``expected`` (each figure at least) and holds still for
    ``still_secs`` (5 s without ``expected``), at most ``most`` seconds; the seconds waited."""
    start = time.monotonic()
    last: tuple[int, ...] = ()
    still = start
    while time.monotonic() - start < most:
        time.sleep(1.0)
        now_counts = counts()
        now = time.monotonic()
        if now_counts != last:
            last, still = now_counts, now
            continue
        reached = expected is None or all(n >= e for n, e in zip(now_counts, expected, strict=True))
        if reached and now - still >= (still_secs if expected else 5.0):
            break
    return time.monotonic() - start
