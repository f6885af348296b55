"""Lines answered before they were processed, kept on disk until their batch is confirmed.

In transaction mode the omprog program answers a line ``DEFER_COMMIT`` first and processes it
afterwards, so rsyslog prepares its next line in parallel. rsyslog 8.2302 never sends those
lines again if the program dies before the batch's ``COMMIT``, so each one is appended here
before it is answered, and the file is emptied only once every line in it is processed and
its alerts are delivered. The next program started on the same file processes what a killed
predecessor left behind (the replay guard keeps their alerts from being raised twice).

Writes go to the page cache without ``fsync``: the spool protects against the program being
killed or crashing, not against the machine losing power (rsyslog's own queue is not synced
per message either). The file is locked for the life of the object.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from lwsyslog.errors import SpoolLockedError

__all__ = ["LineSpool", "SpoolLockedError"]

_READ_CHUNK = 1 << 20


class LineSpool:
    """An append-only file of raw input lines, one per ``\\n``, with a count of what it holds."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SpoolLockedError(f"{path} is in use by another process") from None
        self._fd = fd
        self.lines = 0
        self.bytes = 0

    def leftover(self) -> Iterator[bytes]:
        """The lines a previous program left in the file, one at a time (a cut last line is
        dropped). The file is read a chunk at a time: what it holds is in memory a chunk and a
        line at a time, never whole (a spool of long lines may be tens of MiB). :attr:`lines`
        counts them as they come."""
        self.lines = 0
        self.bytes = os.fstat(self._fd).st_size
        pending = bytearray()  # the start of a line the next chunk ends
        offset = 0
        while chunk := os.pread(self._fd, _READ_CHUNK, offset):
            offset += len(chunk)
            end = chunk.rfind(b"\n")
            if end < 0:
                pending += chunk
                continue
            pieces = chunk[:end].split(b"\n")
            if pending:
                pieces[0] = bytes(pending) + pieces[0]
                pending.clear()
            pending += chunk[end + 1 :]
            for line in pieces:
                if line:
                    self.lines += 1
                    yield line

    def append(self, line: bytes) -> None:
        """Add one line (without its newline); it is in the file when this returns."""
        data = line + b"\n"
        self.bytes += len(data)
        self.lines += 1
        while data:
            written = os.write(self._fd, data)
            data = data[written:]

    def clear(self) -> None:
        """Forget every line: all of them are processed and their alerts delivered."""
        if self.bytes:
            os.ftruncate(self._fd, 0)
        self.lines = 0
        self.bytes = 0

    def close(self) -> None:
        """Release the file (its content stays for the next program)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
