"""What one sink has not taken yet: the oldest alerts in memory, the rest in a file on disk.

While journald (or the alert store, or the notifier) is down, its alerts wait here in order:
up to ``max_memory`` in memory, then appended to a spool file (one JSON object per line) up
to ``max_disk_bytes``, then, and only then, the newest are dropped, counted and reported. The
spool is read back in order as the memory empties, and truncated once read out. Without a
spool directory (``lwsyslog scan``) the memory part is all there is.

How far the spool was read back is kept beside it (``NAME.read``), so the next program (after
a restart or a kill) starts where this one stopped, instead of giving the sink again every
alert it already took from the spool. Alerts in memory when the program is killed are lost to
this sink, as the memory part always was; the other sinks have them.
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from lwsyslog.alerts import Alert, bounded_sample
from lwsyslog.events import Origin
from lwsyslog.severity import Severity

__all__ = ["Backlog", "alert_from_record", "alert_to_record"]

_READ_CHUNK = 1 << 16


def alert_to_record(alert: Alert) -> bytes:
    """``alert`` as one line of JSON (no newline inside)."""
    data: dict[str, Any] = {
        "rule": alert.rule,
        "key": alert.key,
        "client_ip": alert.client_ip,
        "categories": list(alert.categories),
        "severity": alert.severity.value,
        "count": alert.count,
        "window_secs": alert.window_secs,
        "first": list(alert.first),
        "last": list(alert.last),
        "first_time": alert.first_time,
        "last_time": alert.last_time,
        "message": alert.message,
        "sample": alert.sample,
        "log": alert.log,
        "rules": list(alert.rules),
        "cves": list(alert.cves),
    }
    try:
        return orjson.dumps(data)
    except orjson.JSONEncodeError:  # a lone surrogate from a JSON escape: replace it
        text = orjson.dumps(data, default=str).decode("utf-8", "replace")
        return text.encode("utf-8")


def alert_from_record(line: bytes) -> Alert:
    """The alert :func:`alert_to_record` wrote (raises ``ValueError`` for a damaged line)."""
    data = orjson.loads(line)
    try:
        return Alert(
            rule=data["rule"],
            key=data["key"],
            client_ip=data["client_ip"],
            categories=tuple(data["categories"]),
            severity=Severity(data["severity"]),
            count=int(data["count"]),
            window_secs=float(data["window_secs"]),
            first=Origin(*data["first"]),
            last=Origin(*data["last"]),
            first_time=data["first_time"],
            last_time=data["last_time"],
            message=data["message"],
            # A spool an older version wrote may hold a whole line.
            sample=bounded_sample(data["sample"]),
            log=data["log"],
            rules=tuple(data["rules"]),
            cves=tuple(str(cve) for cve in data.get("cves", ())),
        )
    except (KeyError, TypeError) as error:
        raise ValueError(f"not an alert record: {error}") from error


class Backlog:
    """A FIFO of alerts for one sink, bounded in memory and on disk (see the module docstring)."""

    def __init__(
        self,
        spool: Path | None = None,
        *,
        max_memory: int = 1000,
        max_disk_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self._memory: deque[Alert] = deque()
        self._max_memory = max_memory
        self._spool = spool
        self._max_disk_bytes = max_disk_bytes
        self._disk_bytes = 0
        self._disk_count = 0
        self._read_offset = 0
        self._offset_file = None if spool is None else spool.with_name(spool.name + ".read")
        self.dropped = 0
        self.damaged = 0
        if spool is not None and spool.exists():
            self._adopt(spool)

    def __len__(self) -> int:
        return len(self._memory) + self._disk_count

    def __bool__(self) -> bool:
        return bool(self._memory) or self._disk_count > 0

    @property
    def disk_bytes(self) -> int:
        """Bytes of spool not read back yet."""
        return self._disk_bytes - self._read_offset

    def extend(self, alerts: Iterable[Alert]) -> None:
        """Queue ``alerts`` after what waits already."""
        for alert in alerts:
            if not self._disk_count and len(self._memory) < self._max_memory:
                self._memory.append(alert)
            else:
                self._spill(alert)

    def first(self) -> Alert | None:
        """The oldest waiting alert (``None`` when nothing waits)."""
        if not self._memory and self._disk_count:
            self._refill()
        return self._memory[0] if self._memory else None

    def pop_first(self) -> None:
        """The oldest alert was delivered: forget it."""
        self._memory.popleft()

    def _spill(self, alert: Alert) -> None:
        if self._spool is None:
            self.dropped += 1
            return
        line = alert_to_record(alert) + b"\n"
        if self._disk_bytes - self._read_offset + len(line) > self._max_disk_bytes:
            self.dropped += 1
            return
        try:
            fd = os.open(self._spool, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError:
            self.dropped += 1
            return
        self._disk_bytes += len(line)
        self._disk_count += 1

    def _refill(self) -> None:
        assert self._spool is not None
        try:
            with open(self._spool, "rb") as handle:
                handle.seek(self._read_offset)
                data = handle.read(_READ_CHUNK)
        except OSError:
            self.dropped += self._disk_count
            self._reset_spool()
            return
        cut = data.rfind(b"\n")
        if cut < 0:  # one line longer than a chunk cannot be ours: skip the rest
            self.damaged += self._disk_count
            self._reset_spool()
            return
        for line in data[:cut].split(b"\n"):
            self._disk_count -= 1
            try:
                self._memory.append(alert_from_record(line))
            except ValueError:
                self.damaged += 1
        self._read_offset += cut + 1
        if self._disk_count <= 0:
            self._reset_spool()
        else:
            self._save_read_offset()

    def _save_read_offset(self) -> None:
        assert self._offset_file is not None
        try:
            fd = os.open(
                self._offset_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600
            )
            try:
                os.write(fd, b"%d\n" % self._read_offset)
            finally:
                os.close(fd)
        except OSError:
            pass  # the next program gives the sink this part again: a duplicate, not a loss

    def _reset_spool(self) -> None:
        self._disk_count = 0
        self._disk_bytes = 0
        self._read_offset = 0
        if self._spool is not None:
            with contextlib.suppress(OSError):
                os.truncate(self._spool, 0)
        if self._offset_file is not None:
            with contextlib.suppress(OSError):
                self._offset_file.unlink(missing_ok=True)

    def _adopt(self, spool: Path) -> None:
        """A spool a previous run left: its alerts wait first."""
        try:
            data = spool.read_bytes()
        except OSError:
            return
        complete = data[: data.rfind(b"\n") + 1]
        self._disk_bytes = len(complete)
        self._read_offset = self._saved_read_offset(complete)
        self._disk_count = complete.count(b"\n", self._read_offset)
        if len(complete) != len(data):
            self.damaged += 1
            os.truncate(spool, len(complete))
        if not self._disk_count:
            self._reset_spool()  # read out before the previous program stopped

    def _saved_read_offset(self, complete: bytes) -> int:
        """Where the previous program stopped reading ``complete`` (0 when unknown: a missing,
        damaged or stale record, which must point at the start of a line inside the spool)."""
        assert self._offset_file is not None
        try:
            text = self._offset_file.read_bytes()[:32]
        except OSError:
            return 0
        offset = int(text) if text.strip().isdigit() else 0
        if 0 < offset <= len(complete) and complete[offset - 1 : offset] == b"\n":
            return offset
        return 0
