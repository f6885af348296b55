"""Sending journal entries to journald's native socket without ever waiting on journald.

libsystemd's ``sd_journal_send`` (and systemd-python, which wraps it without releasing the
interpreter lock) blocks in ``sendmsg`` once journald stops reading, for example while it is
stopped or stuck: the whole program would stop with it, confirmations to rsyslog included.
:class:`JournalSocket` speaks journald's documented native protocol (one datagram per entry,
``FIELD=value`` lines; a value holding a newline as the field name, a newline, its 64-bit
little-endian length, the value and a newline) on a non-blocking socket, so a journald that
does not take an entry costs one failed system call: :class:`JournalUnavailableError`, which the
dispatcher retries later.
"""

from __future__ import annotations

import errno
import re
import socket
import struct
from collections.abc import Iterable, Mapping

__all__ = ["JOURNAL_SOCKET", "JournalSocket", "JournalUnavailableError", "encode_entry"]

JOURNAL_SOCKET = "/run/systemd/journal/socket"
_FIELD_NAME = re.compile(r"[A-Z0-9][A-Z0-9_]{0,63}")


class JournalUnavailableError(OSError):
    """journald did not take the entry now (not running, or not reading): try again later."""


def encode_entry(fields: Mapping[str, str] | Iterable[tuple[str, str]]) -> bytes:
    """One datagram of the native protocol for ``fields``, a mapping or ``(name, value)``
    pairs where a name may come again (names upper case, as journald requires: it drops a
    field with a lower-case name without a word)."""
    parts: list[bytes] = []
    pairs = fields.items() if isinstance(fields, Mapping) else fields
    for name, value in pairs:
        if not _FIELD_NAME.fullmatch(name):
            raise ValueError(f"not a journal field name: {name!r}")
        data = value.encode("utf-8", "backslashreplace")
        if b"\n" in data:
            parts.append(name.encode("ascii") + b"\n" + struct.pack("<Q", len(data)) + data + b"\n")
        else:
            parts.append(name.encode("ascii") + b"=" + data + b"\n")
    return b"".join(parts)


class JournalSocket:
    """A non-blocking datagram socket to journald (see the module docstring)."""

    def __init__(self, path: str = JOURNAL_SOCKET) -> None:
        self.path = path
        self._socket = socket.socket(
            socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC
        )

    def send(self, fields: Mapping[str, str] | Iterable[tuple[str, str]]) -> None:
        """Hand one entry to journald now, or raise :class:`JournalUnavailableError`."""
        payload = encode_entry(fields)
        try:
            self._socket.sendto(payload, self.path)
        except BlockingIOError:
            raise JournalUnavailableError(
                errno.EAGAIN, f"journald is not reading its socket {self.path} (queue full)"
            ) from None
        except (FileNotFoundError, ConnectionRefusedError):
            raise JournalUnavailableError(
                errno.ENOENT, f"journald is not running (no listener on {self.path})"
            ) from None
        except OSError as error:
            if error.errno == errno.EMSGSIZE:
                raise ValueError(f"journal entry of {len(payload)} bytes is too large") from error
            raise JournalUnavailableError(error.errno or errno.EIO, str(error)) from error

    def close(self) -> None:
        """Close the socket."""
        self._socket.close()
