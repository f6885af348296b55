"""One deadline for a whole delivery attempt, whatever the server does.

A socket timeout bounds each operation, not the attempt: an endpoint that trickles its answer a
byte at a time would hold the channel for as long as it liked. Inside :func:`attempt_deadline`
the sockets made here give each operation (connect, TLS handshake, every send and read) only
the time left before the attempt's end, so connect, sending and the whole answer end together,
``secs`` after the start at the latest. The webhook and e-mail channels use them.

The host name is looked up within the same deadline. ``getaddrinfo`` cannot be interrupted (a
resolver that does not answer holds it for its own timeouts, 10 s and more), so the lookup runs
in a daemon thread the attempt waits for only as long as it has left. At most
:data:`MAX_PENDING_PER_HOST` such threads per host name and :data:`MAX_PENDING_LOOKUPS` in all
live at once; past that an attempt fails at once rather than start another, so one channel's
dead name server does not take the others' lookups.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = [
    "MAX_PENDING_LOOKUPS",
    "MAX_PENDING_PER_HOST",
    "DeadlineSSLSocket",
    "LookupTimeoutError",
    "attempt_deadline",
    "deadline_socket",
]

MAX_PENDING_LOOKUPS = 16
MAX_PENDING_PER_HOST = 2

_AddressInfo = list[tuple[Any, Any, int, str, Any]]

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


class LookupTimeoutError(OSError):
    """The host name had no answer within the attempt's deadline (or too many earlier lookups
    still wait for theirs)."""


class _PendingLookups:
    """How many lookups still wait for an answer, per host name and in all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._per_host: dict[str, int] = {}
        self._total = 0

    def take(self, host: str) -> bool:
        """Count a new lookup of ``host``; False when a bound is reached."""
        with self._lock:
            held = self._per_host.get(host, 0)
            if held >= MAX_PENDING_PER_HOST or self._total >= MAX_PENDING_LOOKUPS:
                return False
            self._per_host[host] = held + 1
            self._total += 1
            return True

    def give_back(self, host: str) -> None:
        """A lookup of ``host`` is over."""
        with self._lock:
            held = self._per_host.pop(host) - 1
            if held:
                self._per_host[host] = held
            self._total -= 1


_PENDING = _PendingLookups()


class _Lookup:
    """One ``getaddrinfo`` call in a daemon thread, with its answer or its error."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.done = threading.Event()
        self.answer: _AddressInfo = []
        self.error: Exception | None = None

    def run(self) -> None:
        """Look the host up, keep the outcome, count the lookup as over."""
        try:
            self.answer = socket.getaddrinfo(self.host, self.port, 0, socket.SOCK_STREAM)
        except Exception as failure:  # handed to the attempt, as a call in its thread would
            self.error = failure
        finally:
            self.done.set()
            _PENDING.give_back(self.host)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _resolve(host: str, port: int) -> _AddressInfo:
    """``getaddrinfo(host, port)`` for TCP, ending by the attempt's deadline if one is set."""
    deadline = _DEADLINE.get()
    if deadline is None or _is_address(host):
        return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    if not _PENDING.take(host):
        raise LookupTimeoutError(
            f"DNS lookup of {host} not started: too many earlier lookups are still unanswered "
            f"({MAX_PENDING_PER_HOST} of this host or {MAX_PENDING_LOOKUPS} in all)"
        )
    lookup = _Lookup(host, port)
    try:
        threading.Thread(target=lookup.run, name="lwsyslog-lookup", daemon=True).start()
    except BaseException:
        _PENDING.give_back(host)
        raise
    if not lookup.done.wait(max(0.0, deadline - time.monotonic())):
        raise LookupTimeoutError(f"DNS lookup of {host} unanswered within the attempt's deadline")
    if lookup.error is not None:
        raise lookup.error
    return lookup.answer


def deadline_socket(
    address: tuple[str, int],
    timeout: float | None = None,
    source_address: Any = None,
) -> socket.socket:
    """``socket.create_connection`` for a socket that keeps to the attempt's deadline: every
    address of the host is tried within the same deadline, not a full timeout each."""
    host, port = address
    error: OSError = OSError(f"no address found for {host}")
    for family, kind, proto, _, sockaddr in _resolve(host, port):
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
