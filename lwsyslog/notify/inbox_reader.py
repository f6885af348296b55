"""The sender's end of the inbox: read records from a position, skip torn ones, delete read
segments.

See :mod:`lwsyslog.notify.inbox` for the file format and the protocol. The reader never
writes a segment; it decides whether a segment is **sealed** (a later one exists) *before*
reading it, so a record still being written into the newest segment is never mistaken for a
torn one.
"""

from __future__ import annotations

import contextlib
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from lwsyslog.notify.inbox import (
    HEADER,
    MAGIC,
    MAX_PAYLOAD,
    PAYLOAD_HEAD,
    list_segments,
    segment_path,
)

__all__ = ["InboxReader", "InboxRecord", "Intake", "Position"]

Position = tuple[int, int]
"""(segment sequence number, byte offset in it) of the next record to read."""

_CHUNK = 2 * (MAX_PAYLOAD + HEADER.size)
"""Bytes read at once: always more than one whole record."""


@dataclass(frozen=True, slots=True)
class InboxRecord:
    """One alert as the program appended it."""

    fingerprint: str
    at: float
    critical: bool
    body: bytes


@dataclass(slots=True)
class Intake:
    """What one :meth:`InboxReader.read` found."""

    position: Position
    """Where the next read starts: commit it together with ``records``."""
    records: list[InboxRecord] = field(default_factory=list)
    torn: int = 0
    """Cut or damaged records skipped (a program killed mid-append, a damaged disk)."""
    torn_bytes: int = 0
    more: bool = False
    """Stopped at the byte budget: more records may wait."""


class InboxReader:
    """Reads the segments in ``directory`` in order, from a given position."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def read(self, position: Position, max_bytes: int) -> Intake:
        """The whole records after ``position``, up to about ``max_bytes`` of them."""
        segments = sorted(list_segments(self.directory))
        intake = Intake(position)
        if not segments:
            return intake
        seq, offset = position
        if seq not in segments:
            # Before the first segment (a new outbox), or its segment was read and deleted;
            # past the last one only if the directory was emptied by hand: start at the oldest.
            later = [s for s in segments if s > seq]
            seq, offset = (later[0] if later else segments[0]), 0
            intake.position = (seq, offset)
        index = segments.index(seq)
        taken = 0
        while taken < max_bytes:
            sealed = index + 1 < len(segments)  # decided before reading: see the module doc
            data = self._pread(seq, offset)
            end_of_file = len(data) < _CHUNK
            used = self._parse(data, intake, end_of_file)
            taken += used
            offset += used
            if end_of_file and sealed:
                rest = len(data) - used
                if rest:  # the program stopped mid-record, and it will never be finished
                    intake.torn += 1
                    intake.torn_bytes += rest
                index += 1
                seq, offset = segments[index], 0
                intake.position = (seq, offset)
                continue
            intake.position = (seq, offset)
            if end_of_file or not used:
                break  # caught up (an incomplete last record is a write in progress)
        intake.more = taken >= max_bytes
        return intake

    def remove_before(self, seq: int) -> int:
        """Delete the segments before ``seq`` (read and committed); how many."""
        removed = 0
        for old in list_segments(self.directory):
            if old < seq:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(segment_path(self.directory, old))
                    removed += 1
        return removed

    def _pread(self, seq: int, offset: int) -> bytes:
        try:
            fd = os.open(segment_path(self.directory, seq), os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return b""
        try:
            return os.pread(fd, _CHUNK, offset)
        finally:
            os.close(fd)

    @staticmethod
    def _parse(data: bytes, intake: Intake, end_of_file: bool) -> int:
        """Append the whole records at the start of ``data``; the bytes consumed."""
        view = memoryview(data)
        size = len(data)
        start = 0
        while size - start >= HEADER.size:
            magic, length, crc = HEADER.unpack_from(data, start)
            end = start + HEADER.size + length
            if magic == MAGIC and PAYLOAD_HEAD.size <= length <= MAX_PAYLOAD:
                if end > size:
                    break  # incomplete: the rest of it is not written (or not read) yet
                payload = view[start + HEADER.size : end]
                record = _decode(payload) if zlib.crc32(payload) == crc else None
                if record is not None:
                    intake.records.append(record)
                    start = end
                    continue
            # Damage: resume at the next record start. Without one, keep the last bytes
            # unless at the end of the file (a record start may be cut by the chunk).
            found = data.find(MAGIC, start + 1)
            if found < 0:
                found = size if end_of_file else max(start + 1, size - len(MAGIC) + 1)
            intake.torn += 1
            intake.torn_bytes += found - start
            start = found
        return start


def _decode(payload: memoryview) -> InboxRecord | None:
    at, critical, key_size = PAYLOAD_HEAD.unpack_from(payload)
    body_start = PAYLOAD_HEAD.size + key_size
    if body_start > len(payload):
        return None
    fingerprint = bytes(payload[PAYLOAD_HEAD.size : body_start]).decode("ascii", "replace")
    return InboxRecord(fingerprint, at, bool(critical), bytes(payload[body_start:]))
