"""One deadline for a whole delivery attempt, whatever the server does.

A socket timeout bounds each operation, not the attempt: an endpoint that trickles its answer a
byte at a time would hold the channel for as long as it liked. Inside :func:`attempt_deadline`
the sockets made here give each operation (connect, TLS handshake, every send and read) only
the time left before the attempt's end, so connect, sending and the whole answer end together,
``secs`` after the start at the latest. The webhook and e-mail channels use them.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = ["DeadlineSSLSocket", "attempt_deadline", "deadline_socket"]

# The monotonic time the current attempt must end by; per thread (each courier has its own).
_DEADLINE: ContextVar[float | None] = ContextVar("lwsyslog_attempt_deadline", default=None)


@contextmanager
def attempt_deadline(secs: float) -> Iterator[None]:
    """Every operation on a :func:`deadline_socket` (or :class:`DeadlineSSLSocket`) made
    inside ends ``secs`` from now at the latest, together: past it, ``TimeoutError``."""
    token = _DEADLINE.set(time.monotonic() + secs)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _arm(sock: socket.socket) -> None:
    """Give ``sock``'s next operation only the time left before the deadline, if one is set."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the attempt's deadline has passed")
    sock.settimeout(left)


class _DeadlineSocket(socket.socket):
    """A TCP socket whose every operation ends by the attempt's deadline."""

    def connect(self, *args: Any) -> None:
        """Connect, within the time left."""
        _arm(self)
        super().connect(*args)

    def recv(self, *args: Any) -> bytes:
        """Receive, within the time left."""
        _arm(self)
        return super().recv(*args)

    def recv_into(self, *args: Any) -> int:
        """Receive into a buffer (what ``makefile`` readers use), within the time left."""
        _arm(self)
        return super().recv_into(*args)

    def send(self, *args: Any) -> int:
        """Send, within the time left."""
        _arm(self)
        return super().send(*args)

    def sendall(self, *args: Any) -> None:
        """Send everything, within the time left (one timeout covers the whole call)."""
        _arm(self)
        super().sendall(*args)


class DeadlineSSLSocket(ssl.SSLSocket):
    """The TLS socket of :class:`_DeadlineSocket`: set as an ``SSLContext``'s
    ``sslsocket_class``, the handshake, every read and every write end by the deadline."""

    def do_handshake(self, *args: Any) -> None:
        """Handshake, within the time left (one timeout covers the whole handshake)."""
        _arm(self)
        super().do_handshake(*args)

    def read(self, *args: Any) -> bytes:
        """Read (``recv`` and ``recv_into`` come here), within the time left."""
        _arm(self)
        return super().read(*args)

    def send(self, *args: Any) -> int:
        """Send (``sendall`` comes here), within the time left."""
        _arm(self)
        return super().send(*args)


def deadline_socket(
    address: tuple[str, int],
    timeout: float | None = None,
    source_address: Any = None,
) -> socket.socket:
    """``socket.create_connection`` for a socket that keeps to the attempt's deadline: every
    address of the host is tried within the same deadline, not a full timeout each."""
    host, port = address
    error: OSError = OSError(f"no address found for {host}")
    for family, kind, proto, _, sockaddr in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        sock = _DeadlineSocket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
        except OSError as failure:
            sock.close()
            error = failure
        else:
            return sock
    raise error
