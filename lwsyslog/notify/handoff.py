"""What the Notifier writes to its sender process's stdin first: the settings, pickled.

Kept apart from :mod:`lwsyslog.notify.sender` so the program never imports the module it runs
as ``python -m lwsyslog.notify.sender``.
"""

from __future__ import annotations

import os
import pickle
import struct
from pathlib import Path

from lwsyslog.notify.settings import NotifySettings

__all__ = ["encode_start", "read_start"]

_HEADER = struct.Struct("!I")


def encode_start(settings: NotifySettings, path: Path, nice: int) -> bytes:
    """Length-prefixed pickle of (settings, outbox path, nice increment)."""
    blob = pickle.dumps((settings, str(path), nice))
    return _HEADER.pack(len(blob)) + blob


def read_start(fd: int) -> tuple[NotifySettings, Path, int]:
    """Read what :func:`encode_start` wrote; EOFError when the pipe closes early."""
    (size,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size))
    settings, path, nice = pickle.loads(_read_exactly(fd, size))  # our parent wrote it
    if not isinstance(settings, NotifySettings):
        raise EOFError("not a settings object")
    return settings, Path(path), int(nice)


def _read_exactly(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data
