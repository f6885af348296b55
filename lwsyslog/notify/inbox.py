"""The inbox: append-only files the omprog program alone writes and the sender alone reads.

:meth:`Notifier.submit` appends each batch of alerts to the program's current **segment**
(``<outbox>.inbox/<seq>.log``) with one ``write``: no lock, no transaction, nothing shared
with the sender that the sender could hold. The sender reads the segments from the position
recorded in its own database (:mod:`lwsyslog.notify.inbox_reader`), stores what it read and
the new position in one transaction, and deletes a segment once it is read to its end and
sealed.

The protocol, so that a crash on either side loses nothing and doubles nothing:

- **Segments are sealed by their successor.** A program appends only to the segment it
  created; it starts a new one (sequence number + 1) when it starts and when the current one
  passes :data:`SEGMENT_BYTES`, and only after its last write to the old one returned. So when
  the sender sees segment N+1, segment N is final.
- **Records are framed and checked**: ``MAGIC``, payload length, CRC-32 of the payload, then
  the payload. In the segment still being written, an incomplete last record is a write in
  progress (the sender waits for it); in a sealed segment it is a **torn** record (the program
  was killed mid-append, or the disk filled): skipped and counted, never fatal. Data inside a
  segment is never rewritten, so a complete record with a bad CRC is damage: the reader skips
  to the next ``MAGIC`` (which holds a NUL byte, so it never occurs inside a JSON body).
- **The sender's position is committed with what it read** (one SQLite transaction): killed
  before the commit, its successor reads the same records again; after it, they are stored
  and skipped. A segment is deleted only after the commit that moved past it.

Writes go to the page cache (no ``fsync``, like the rest of the program): they survive the
program being killed, not a power cut, unless ``[notify] fsync = true``.
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
import zlib
from pathlib import Path

__all__ = [
    "HEADER",
    "MAGIC",
    "MAX_PAYLOAD",
    "PAYLOAD_HEAD",
    "SEGMENT_BYTES",
    "InboxWriter",
    "encode_record",
    "inbox_dir",
    "list_segments",
    "segment_path",
]

MAGIC = b"\x00LWa"
"""Starts every record. The NUL byte never appears raw in JSON, so never inside a body."""

HEADER = struct.Struct("<4sII")
"""Magic, payload length, CRC-32 of the payload."""

PAYLOAD_HEAD = struct.Struct("<dBH")
"""At the start of a payload: time stored (epoch), critical (0/1), fingerprint length."""

MAX_PAYLOAD = 1 << 20
"""Far above any encoded alert (the sample is at most 65,536 characters); a larger length
field is damage. Below 2**24, so a length field's last byte is NUL, never inside JSON."""

SEGMENT_BYTES = 8 << 20
"""A segment this large is sealed and the next one started."""

_SEGMENT = re.compile(r"^(\d{1,20})\.log$")


def inbox_dir(outbox: Path) -> Path:
    """The directory of the inbox segments of the outbox file ``outbox``."""
    return outbox.with_name(outbox.name + ".inbox")


def segment_path(directory: Path, seq: int) -> Path:
    """The file of segment ``seq``."""
    return directory / f"{seq:020d}.log"


def list_segments(directory: Path) -> dict[int, int]:
    """{sequence number: size in bytes} of the segments in ``directory`` (none: empty)."""
    found: dict[int, int] = {}
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return found
    for entry in entries:
        match = _SEGMENT.match(entry.name)
        if match is None:
            continue
        with contextlib.suppress(FileNotFoundError):  # the sender just deleted it
            found[int(match.group(1))] = entry.stat().st_size
    return found


def encode_record(fingerprint: str, at: float, critical: bool, body: bytes) -> bytes:
    """One framed record: header, then (at, critical, fingerprint, body)."""
    key = fingerprint.encode()
    head = PAYLOAD_HEAD.pack(at, critical, len(key)) + key
    crc = zlib.crc32(body, zlib.crc32(head))
    return b"".join((HEADER.pack(MAGIC, len(head) + len(body), crc), head, body))


class InboxWriter:
    """The program's end: appends framed records to its own segment, one write per batch.

    One writer per inbox (the :class:`~lwsyslog.notify.outbox.OutboxLock` of the program
    guarantees it). Not thread-safe: the notifier calls it under its submit lock.
    """

    def __init__(
        self,
        directory: Path,
        *,
        fsync: bool = False,
        segment_bytes: int = SEGMENT_BYTES,
        read_up_to: int = 0,
    ) -> None:
        """``read_up_to``: the segment the sender last read (its published position), so a
        new segment never reuses its number even if the directory was emptied by hand."""
        self.directory = directory
        self.fsync = fsync
        self.segment_bytes = segment_bytes
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.sizes = list_segments(directory)
        """{seq: bytes} of every segment that may still hold unread records."""
        self.seq = max(max(self.sizes, default=0), read_up_to)
        self._fd = -1
        self._next()  # never append to a predecessor's segment: it may end in a torn record

    def append(self, data: bytes) -> None:
        """Append ``data`` (whole records) to the current segment; OSError when it cannot.

        After a failed or short write the segment is sealed: the next batch goes to a new
        one, so the sender sees the cut record as the torn end of a sealed segment.
        """
        if self._fd < 0:
            self._next()
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)
                self.sizes[self.seq] += written
                view = view[written:]
            if self.fsync:
                os.fdatasync(self._fd)
        except OSError:
            self._seal()
            raise
        if self.sizes[self.seq] >= self.segment_bytes:
            self._seal()
            with contextlib.suppress(OSError):
                self._next()  # now, so the sender may delete the full one soon

    def backlog(self, seq: int, offset: int) -> int:
        """Bytes not read yet when the sender's position is (``seq``, ``offset``).

        Forgets segments before ``seq``: the sender has read them.
        """
        for old in [s for s in self.sizes if s < seq and s != self.seq]:
            del self.sizes[old]
        total = 0
        for s, size in self.sizes.items():
            if s > seq:
                total += size
            elif s == seq:
                total += max(size - offset, 0)
        return total

    def close(self) -> None:
        """Close the current segment (it stays; the next program's first segment seals it)."""
        self._seal()

    def _next(self) -> None:
        seq = self.seq + 1
        while True:
            try:
                fd = os.open(
                    segment_path(self.directory, seq),
                    os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC,
                    0o600,
                )
                break
            except FileExistsError:  # a file someone else put there: never append to it
                seq += 1
        self._fd, self.seq = fd, seq
        self.sizes[seq] = 0
        if self.fsync:
            _sync_directory(self.directory)

    def _seal(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
