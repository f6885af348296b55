"""The inbox files between the program and the sender: framing, sealing, torn and damaged
records, the committed position, and deletion of what was read (real files, real SQLite)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lwsyslog.notify.inbox import InboxWriter, encode_record, inbox_dir, list_segments
from lwsyslog.notify.inbox_reader import InboxReader, Intake
from lwsyslog.notify.outbox import Outbox
from lwsyslog.notify.reporter import StderrReporter
from lwsyslog.notify.router import Router
from lwsyslog.notify.settings_parse import parse_notify_settings
from lwsyslog.notify.stats import NotifyStats
from tests.notify.servers import free_port


def record(number: int, body: bytes | None = None) -> bytes:
    return encode_record(f"{number:032x}", 1_790_000_000.0 + number, number % 3 == 0,
                         body if body is not None else b'{"n":%d}' % number)  # fmt: skip


def numbers(intake: Intake) -> list[int]:
    return [int(r.fingerprint, 16) for r in intake.records]


def everything(directory: Path) -> Intake:
    return InboxReader(directory).read((0, 0), 1 << 30)


def test_records_come_back_whole_in_order_across_segments(tmp_path: Path) -> None:
    writer = InboxWriter(tmp_path, segment_bytes=300)
    for number in range(40):
        writer.append(record(number))
    writer.append(record(40) + record(41))  # a batch: one write
    assert len(list_segments(tmp_path)) > 5
    intake = everything(tmp_path)
    assert numbers(intake) == list(range(42))
    assert intake.torn == 0
    first = intake.records[3]
    assert first.critical and first.at == 1_790_000_003.0 and first.body == b'{"n":3}'
    # The position points after the last record of the newest segment (not sealed yet).
    assert intake.position == (writer.seq, writer.sizes[writer.seq])


def test_a_record_being_written_is_waited_for_not_skipped(tmp_path: Path) -> None:
    writer = InboxWriter(tmp_path)
    writer.append(record(1) + record(2))
    third = record(3, b'{"sample":"' + b"x" * 5000 + b'"}')
    path = tmp_path / f"{writer.seq:020d}.log"
    with path.open("ab") as segment:  # the first part of a write still in progress
        segment.write(third[:2000])
    reader = InboxReader(tmp_path)
    intake = reader.read((0, 0), 1 << 20)
    assert numbers(intake) == [1, 2] and intake.torn == 0
    with path.open("ab") as segment:
        segment.write(third[2000:])
    later = reader.read(intake.position, 1 << 20)
    assert numbers(later) == [3] and later.torn == 0


def test_a_torn_last_record_of_a_sealed_segment_is_skipped_and_counted(tmp_path: Path) -> None:
    first = InboxWriter(tmp_path)
    first.append(record(1))
    with (tmp_path / f"{first.seq:020d}.log").open("ab") as segment:
        segment.write(record(2)[:20])  # the program was killed in the middle of this write
    first.close()
    assert numbers(everything(tmp_path)) == [1]  # not sealed yet: record 2 may still come
    second = InboxWriter(tmp_path)  # the next program starts a new segment: the old is sealed
    second.append(record(3))
    intake = everything(tmp_path)
    assert numbers(intake) == [1, 3]
    assert (intake.torn, intake.torn_bytes) == (1, 20)


def test_damage_inside_a_segment_costs_only_the_damaged_record(tmp_path: Path) -> None:
    writer = InboxWriter(tmp_path)
    records = [record(n) for n in range(5)]
    writer.append(b"".join(records))
    path = tmp_path / f"{writer.seq:020d}.log"
    data = bytearray(path.read_bytes())
    data[len(records[0]) + len(records[1]) + 20] ^= 0xFF  # a flipped bit in record 2's body
    start = sum(map(len, records[:4]))
    data[start + 4 : start + 8] = (0x7FFFFFFF).to_bytes(4, "little")  # record 4: a wild length
    path.write_bytes(bytes(data))
    intake = everything(tmp_path)
    assert numbers(intake) == [0, 1, 3]
    assert intake.torn == 2


def test_an_attackers_body_cannot_forge_a_record_start(tmp_path: Path) -> None:
    """A log line holding the printable part of the record marker changes nothing: the
    marker starts with NUL, which JSON escapes."""
    import orjson

    body = orjson.dumps({"sample": "\x00LWa\x10\x00\x00\x00 LWa"})
    assert b"\x00" not in body
    writer = InboxWriter(tmp_path)
    writer.append(record(1, body) + record(2))
    assert numbers(everything(tmp_path)) == [1, 2]


def test_segments_are_deleted_only_once_read_committed_and_sealed(tmp_path: Path) -> None:
    directory = tmp_path / "outbox.db.inbox"
    outbox = Outbox(tmp_path / "outbox.db")
    writer = InboxWriter(directory, segment_bytes=200)
    for number in range(20):
        writer.append(record(number))
    reader = InboxReader(directory)
    intake = reader.read(outbox.inbox_position(), 1 << 20)
    assert outbox.ingest(intake.records, intake.position, intake.torn) == 20
    assert outbox.inbox_position() == intake.position
    segments = len(list_segments(directory))
    assert reader.remove_before(intake.position[0]) == segments - 1
    assert list(list_segments(directory)) == [writer.seq]  # the newest one stays
    # Read again from the committed position: nothing new; the same records again: not new.
    assert reader.read(outbox.inbox_position(), 1 << 20).records == []
    assert outbox.ingest(intake.records, intake.position, 0) == 0
    outbox.close()


def test_a_sender_killed_after_its_commit_but_before_deleting_reads_nothing_twice(
    tmp_path: Path,
) -> None:
    path = tmp_path / "outbox.db"
    writer = InboxWriter(inbox_dir(path), segment_bytes=200)
    for number in range(10):
        writer.append(record(number, b"{}"))
    outbox = Outbox(path)
    intake = InboxReader(inbox_dir(path)).read((0, 0), 1 << 20)
    outbox.ingest(intake.records, intake.position, 0)  # committed; the sender dies here
    assert len(list_segments(inbox_dir(path))) > 1
    stats = NotifyStats()
    settings = parse_notify_settings(
        {"channels": {"hook": {"type": "webhook", "url": f"http://127.0.0.1:{free_port()}/"}}},
        file="test.toml",
    )
    router = Router(settings, outbox, InboxReader(inbox_dir(path)), stats=stats,
                    report=StderrReporter())  # fmt: skip
    assert list(list_segments(inbox_dir(path))) == [writer.seq]  # the successor tidies up
    router.ingest()
    assert stats.duplicates == 0
    assert outbox.totals()[1] == 10  # ten alerts stored, each once
    outbox.close()


def test_the_writer_counts_what_the_sender_has_not_read(tmp_path: Path) -> None:
    writer = InboxWriter(tmp_path, segment_bytes=200)
    sizes = []
    for number in range(10):
        data = record(number)
        sizes.append(len(data))
        writer.append(data)
    assert writer.backlog(0, 0) == sum(sizes)
    intake = InboxReader(tmp_path).read((0, 0), 1)  # a budget of one byte: about one segment
    assert intake.more and 0 < len(intake.records) < 10
    read = sum(sizes[: len(intake.records)])
    assert writer.backlog(*intake.position) == sum(sizes) - read
    end = everything(tmp_path).position
    assert writer.backlog(*end) == 0


def test_a_failed_write_seals_the_segment(tmp_path: Path) -> None:
    writer = InboxWriter(tmp_path)
    writer.append(record(1))
    broken = writer.seq
    full = os.open("/dev/full", os.O_WRONLY)
    os.dup2(full, writer._fd)  # the segment's disk is full from now on
    os.close(full)
    with pytest.raises(OSError, match="No space left"):
        writer.append(record(2))
    writer.append(record(3))
    assert writer.seq == broken + 1
    assert numbers(everything(tmp_path)) == [1, 3]


def test_an_inbox_emptied_by_hand_never_reuses_a_read_segment_number(tmp_path: Path) -> None:
    """The sender had read segment 5 up to byte 5000 when someone emptied the directory: the
    next program starts at 6, and the sender reads it from its start."""
    writer = InboxWriter(tmp_path, read_up_to=5)
    writer.append(record(1) + record(2))
    assert writer.seq == 6
    intake = InboxReader(tmp_path).read((5, 5000), 1 << 20)
    assert numbers(intake) == [1, 2] and intake.torn == 0
