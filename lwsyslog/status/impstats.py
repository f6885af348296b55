"""rsyslog's own counters, from the file impstats writes (``format="json"``, ``log.file=``).

Each line is ``<date>: { "name": ..., "origin": ..., counters }``; every interval adds one
record per counter set (queues, actions, inputs). Only the file's tail is read and only the
latest record of each name is kept. Queue sizes tell how many lines wait (for the omprog
program on the server, for the RELP connection on a web host); an action's ``suspended``
above its ``resumed`` means rsyslog has stopped trying it for now.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_IMPSTATS",
    "ActionCounters",
    "Impstats",
    "QueueCounters",
    "read_impstats",
]

DEFAULT_IMPSTATS = Path("/var/log/lwsyslog/impstats.json")
_TAIL_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class QueueCounters:
    """One queue: lines in it now, the most it held, and what it had to throw away."""

    name: str
    size: int
    max_size: int
    enqueued: int
    full: int
    discarded_full: int
    discarded_nf: int

    @property
    def discarded(self) -> int:
        """Lines the queue dropped (full, or past its discard mark)."""
        return self.discarded_full + self.discarded_nf


@dataclass(frozen=True, slots=True)
class ActionCounters:
    """One action: messages processed and failed, times suspended and resumed."""

    name: str
    processed: int
    failed: int
    suspended: int
    resumed: int

    @property
    def suspended_now(self) -> bool:
        """rsyslog suspended the action more often than it resumed it: it is off right now."""
        return self.suspended > self.resumed


@dataclass(frozen=True, slots=True)
class Impstats:
    """The latest counters in an impstats file and when it was last written."""

    path: Path
    modified: float
    queues: Mapping[str, QueueCounters] = field(default_factory=dict)
    actions: Mapping[str, ActionCounters] = field(default_factory=dict)
    #: impstats records (objects naming their ``name`` and ``origin``) in the tail read:
    #: none in a file that is not empty means it is not what impstats writes.
    records: int = 0
    size: int = 0


def read_impstats(path: Path) -> Impstats | None:
    """The latest record of each queue and action in ``path``; None when there is no file."""
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            modified = os.fstat(file.fileno()).st_mtime
            file.seek(max(size - _TAIL_BYTES, 0))
            tail = file.read(_TAIL_BYTES)
    except OSError:
        return None
    latest: dict[str, dict[str, Any]] = {}
    records = 0
    for raw in tail.splitlines():
        record = _record(raw)
        if record is not None:
            if "name" in record and "origin" in record:
                records += 1
            latest[f"{record.get('origin')}\0{record.get('name')}"] = record
    queues: dict[str, QueueCounters] = {}
    actions: dict[str, ActionCounters] = {}
    for record in latest.values():
        name = str(record.get("name", ""))
        if record.get("origin") == "core.queue":
            queues[name] = QueueCounters(
                name,
                _int(record, "size"),
                _int(record, "maxqsize"),
                _int(record, "enqueued"),
                _int(record, "full"),
                _int(record, "discarded.full"),
                _int(record, "discarded.nf"),
            )
        elif record.get("origin") == "core.action":
            actions[name] = ActionCounters(
                name,
                _int(record, "processed"),
                _int(record, "failed"),
                _int(record, "suspended"),
                _int(record, "resumed"),
            )
    return Impstats(path, modified, queues, actions, records=records, size=size)


def _record(raw: bytes) -> dict[str, Any] | None:
    start = raw.find(b"{")
    if start < 0:
        return None
    try:
        record = json.loads(raw[start:])
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _int(record: Mapping[str, Any], key: str) -> int:
    value = record.get(key, 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
