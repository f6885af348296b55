"""Webhooks: one HTTP request per message, signed with HMAC-SHA256, bounded by a deadline.

Headers on every request::

    Content-Type: application/json
    User-Agent: lwsyslog-notify/1
    X-Lwsyslog-Delivery: <delivery id>        same on every retry of one message
    X-Lwsyslog-Timestamp: <unix seconds>       time of this attempt
    X-Lwsyslog-Signature: sha256=<hex>         only when a secret is set
    Authorization: Basic <base64>              only when the URL has user:password@

The signature is ``HMAC-SHA256(secret, "<timestamp>.<delivery id>." + body)`` in lowercase
hex. A receiver recomputes it over the raw body, compares in constant time, rejects a
timestamp more than five minutes from its clock (a replayed capture) and drops a delivery id
it has already seen (a retry after a lost acknowledgement): :func:`verify_signature` does the
first two. Redirects are not followed (a 3xx is a failure): a signed alert goes only where it
was configured to go.

An attempt has one deadline, ``timeout_secs`` from its start, for everything: connecting, the
TLS handshake, sending, and the status line, headers and body of the answer
(:mod:`lwsyslog.notify.deadline`), so an endpoint that trickles its answer a byte at a time
cannot hold the channel longer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from lwsyslog.notify.deadline import DeadlineSSLSocket, attempt_deadline, deadline_socket
from lwsyslog.notify.delivery import DeliveryError
from lwsyslog.notify.digest import Digest
from lwsyslog.notify.payloads import payload
from lwsyslog.notify.settings import WebhookTransport

__all__ = [
    "DELIVERY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WebhookTransporter",
    "sign",
    "verify_signature",
]

DELIVERY_HEADER = "X-Lwsyslog-Delivery"
TIMESTAMP_HEADER = "X-Lwsyslog-Timestamp"
SIGNATURE_HEADER = "X-Lwsyslog-Signature"
_MAX_RESPONSE_BYTES = 65536
_RETRYABLE_CLIENT = {408, 425, 429}


class _HTTPConnection(http.client.HTTPConnection):
    """An HTTP connection over a :func:`deadline_socket`."""

    _create_connection: Callable[..., socket.socket]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = deadline_socket


class _HTTPSConnection(_HTTPConnection, http.client.HTTPSConnection):
    """An HTTPS connection over a :func:`deadline_socket` (its context makes the TLS socket
    a :class:`DeadlineSSLSocket`)."""


def sign(secret: bytes, timestamp: str, delivery_id: str, body: bytes) -> str:
    """The ``X-Lwsyslog-Signature`` value for ``body``."""
    signed = f"{timestamp}.{delivery_id}.".encode() + body
    return "sha256=" + hmac.new(secret, signed, hashlib.sha256).hexdigest()


def verify_signature(
    secret: bytes,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: float | None = None,
    tolerance_secs: float = 300.0,
) -> bool:
    """True when ``headers`` carry a valid signature of ``body`` made within the tolerance.

    ``headers`` is any case-insensitive mapping (``http.server``'s ``self.headers`` works).
    """
    delivery = headers.get(DELIVERY_HEADER, "")
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    signature = headers.get(SIGNATURE_HEADER, "")
    if not (delivery and timestamp.isdigit() and signature):
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance_secs:
        return False
    return hmac.compare_digest(sign(secret, timestamp, delivery, body), signature)


class WebhookTransporter:
    """Sends the digests of one webhook channel."""

    def __init__(self, transport: WebhookTransport) -> None:
        self.transport = transport
        parts = urlsplit(transport.url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._basic_auth = _basic_auth(parts.username, parts.password)
        self._context: ssl.SSLContext | None = None
        if self._https:
            self._context = ssl.create_default_context(cafile=transport.ca_file or None)
            self._context.sslsocket_class = DeadlineSSLSocket

    def send(self, digest: Digest, target: int) -> str | None:
        """POST (Matrix: PUT) the preset's payload; success is a 2xx answer."""
        transport = self.transport
        delivery_id = digest["delivery_id"]
        body = payload(digest, transport.preset)
        # Wall-clock time, always: the receiver compares it with its own clock.
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "lwsyslog-notify/1",
            DELIVERY_HEADER: delivery_id,
            TIMESTAMP_HEADER: timestamp,
            **dict(transport.headers),
        }
        if self._basic_auth:
            headers["Authorization"] = self._basic_auth
        if transport.secret:
            headers[SIGNATURE_HEADER] = sign(transport.secret, timestamp, delivery_id, body)
        method, path = "POST", self._path
        if transport.preset == "matrix":
            # The transaction id makes the homeserver itself drop a retried duplicate.
            method = "PUT"
            path = (
                self._path.rstrip("/") + "/_matrix/client/v3/rooms/"
                + quote(transport.room_id, safe="") + "/send/m.room.message/"
                + quote(f"lwsyslog-{delivery_id}-{target}", safe="")
            )  # fmt: skip
            headers["Authorization"] = f"Bearer {transport.access_token}"
        self._request(method, path, body, headers)
        return None

    def _request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> None:
        timeout = self.transport.timeout_secs
        connection = self._connection()
        try:
            with attempt_deadline(timeout):
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read(_MAX_RESPONSE_BYTES)
            status = response.status
            retry_after = _retry_after(response.getheader("Retry-After"))
        except TimeoutError:
            raise DeliveryError(f"no complete answer within {timeout:g} s") from None
        except (OSError, http.client.HTTPException) as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from None
        finally:
            connection.close()
        if 200 <= status < 300:
            return
        snippet = answer[:200].decode("utf-8", "replace")
        kind = "retry later" if status in _RETRYABLE_CLIENT or status >= 500 else "refused"
        raise DeliveryError(f"HTTP {status} ({kind}): {snippet}", retry_after=retry_after)

    def _connection(self) -> http.client.HTTPConnection:
        timeout = self.transport.timeout_secs
        if self._https:
            return _HTTPSConnection(self._host, self._port, timeout=timeout, context=self._context)
        return _HTTPConnection(self._host, self._port, timeout=timeout)


def _basic_auth(user: str | None, password: str | None) -> str:
    """The Authorization header for the URL's ``user:password@`` (percent-decoded, as curl
    reads it); empty when the URL has none."""
    if user is None and password is None:
        return ""
    pair = f"{unquote(user or '')}:{unquote(password or '')}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _retry_after(value: str | None) -> float | None:
    if value and value.strip().isdigit():
        return float(value.strip())
    return None
