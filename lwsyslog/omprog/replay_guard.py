"""Remember delivered alerts across restarts, so a replayed line raises nothing twice.

rsyslog delivers at least once: a line whose confirmation was lost (the program was killed
between writing the alert and answering ``OK``) comes again after the restart. The guard keeps
the fingerprints of the last ``capacity`` delivered alerts in memory and in an append-only file,
one hex fingerprint per line, fsync'd before the line is confirmed. At start the last
``capacity`` entries are loaded; when the file holds more than twice that, it is rewritten with
only those (written to a temporary file, fsync'd, renamed), so it stays small.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO, Protocol

from lwsyslog.bounded import drop_oldest

__all__ = ["DEFAULT_CAPACITY", "GuardLockedError", "MemoryReplayGuard", "ReplayGuard"]

DEFAULT_CAPACITY = 50_000
_FINGERPRINT = re.compile(rb"[0-9a-f]{8,128}")


class _Fingerprinted(Protocol):
    @property
    def fingerprint(self) -> str: ...


class GuardLockedError(OSError):
    """Another live process holds the guard file (two programs share one state directory)."""


class MemoryReplayGuard:
    """The guard without a file: replays within one process only (fallback and tests)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.capacity = capacity
        self.suppressed = 0
        # Insertion order: both the set and the eviction queue (oldest delivered goes first).
        self._known: OrderedDict[str, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._known)

    def seen(self, alert: _Fingerprinted) -> bool:
        """True when an alert with this fingerprint was delivered before (counted)."""
        if alert.fingerprint in self._known:
            self.suppressed += 1
            return True
        return False

    def remember(self, alerts: Sequence[_Fingerprinted]) -> None:
        """Record delivered alerts."""
        self._add(alert.fingerprint for alert in alerts)

    def close(self) -> None:
        """Nothing to release."""

    def _add(self, fingerprints: Iterable[str]) -> list[str]:
        known = self._known
        added = []
        for fingerprint in fingerprints:
            if fingerprint in known:
                continue
            known[fingerprint] = None
            added.append(fingerprint)
            drop_oldest(known, self.capacity)
        return added


class ReplayGuard(MemoryReplayGuard):
    """A :class:`MemoryReplayGuard` backed by an append-only, fsync'd, compacted file.

    The file is locked (``flock``) for the life of the object: a second program pointed at the
    same state directory gets :class:`GuardLockedError` instead of corrupting the file.
    """

    def __init__(
        self, path: str | os.PathLike[str], capacity: int = DEFAULT_CAPACITY, fsync: bool = True
    ) -> None:
        super().__init__(capacity)
        self.path = Path(path)
        self._fsync = fsync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: BinaryIO | None = None
        handle = open(self.path, "a+b")  # noqa: SIM115  (held open for the object's life)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise GuardLockedError(f"{self.path} is in use by another process") from None
        self._file = handle
        self._lines = self._load(handle)
        if self._lines > 2 * capacity:
            self._compact()

    def remember(self, alerts: Sequence[_Fingerprinted]) -> None:
        """Record delivered alerts in memory and on disk (fsync'd when asked) before returning."""
        added = self._add(alert.fingerprint for alert in alerts)
        if not added or self._file is None:
            return
        self._file.write("".join(f"{fingerprint}\n" for fingerprint in added).encode("ascii"))
        self._file.flush()
        if self._fsync:
            os.fsync(self._file.fileno())
        self._lines += len(added)
        if self._lines > 2 * self.capacity:
            self._compact()

    def close(self) -> None:
        """Release the file and its lock. On a full disk the entries :meth:`remember` could
        not write (it raised, and the program said so) are left out; the descriptor is closed
        all the same."""
        handle, self._file = self._file, None
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()

    def _load(self, handle: BinaryIO) -> int:
        handle.seek(0)
        lines = 0
        valid = []
        for raw in handle:
            lines += 1
            # A torn last line (a crash mid-write) or junk is skipped, never fatal.
            entry = raw.rstrip(b"\n")
            if raw.endswith(b"\n") and _FINGERPRINT.fullmatch(entry):
                valid.append(entry.decode("ascii"))
        self._add(valid[-self.capacity :])
        if lines and not _ends_with_newline(handle):
            # Start the next entry on a line of its own, after a torn one.
            handle.write(b"\n")
            handle.flush()
        return lines

    def _compact(self) -> None:
        assert self._file is not None
        temporary = self.path.with_name(self.path.name + ".compact")
        with open(temporary, "wb") as out:
            out.write("".join(f"{fingerprint}\n" for fingerprint in self._known).encode("ascii"))
            out.flush()
            os.fsync(out.fileno())
        replacement = open(temporary, "a+b")  # noqa: SIM115  (becomes self._file)
        fcntl.flock(replacement.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.replace(temporary, self.path)
        _fsync_directory(self.path.parent)
        self._file.close()
        self._file = replacement
        self._lines = len(self._known)


def _ends_with_newline(handle: BinaryIO) -> bool:
    handle.seek(0, os.SEEK_END)
    if handle.tell() == 0:
        return True
    handle.seek(-1, os.SEEK_END)
    return handle.read(1) == b"\n"


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
