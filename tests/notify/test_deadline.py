"""One deadline per delivery attempt: a server that trickles its answer a byte at a time
(each byte well within the socket timeout) fails the attempt at ``timeout_secs``, over plain
TCP and over TLS, for webhooks and SMTP (and apprise, whose own call timeout does it); a
server that answers within it still delivers."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

import pytest

from lwsyslog.deploy import certs
from lwsyslog.notify.apprise_send import AppriseTransporter
from lwsyslog.notify.delivery import DeliveryError
from lwsyslog.notify.digest import Digest, build_digest
from lwsyslog.notify.email_send import build_email, send_email
from lwsyslog.notify.record import AlertRecord, encode_alert
from lwsyslog.notify.settings import (
    AppriseTransport,
    EmailTransport,
    Security,
    WebhookTransport,
)
from lwsyslog.notify.webhook import WebhookTransporter
from tests.notify.servers import (
    SMTP_PASSWORD,
    SMTP_USER,
    SmtpServer,
    WebhookReceiver,
    make_alert,
    wait_for,
)

TIMEOUT = 1.0
MARGIN = 1.0  # scheduling slack on a busy machine; the old code took 10 s and more
SLOW = 0.25  # seconds between two bytes: each far below TIMEOUT, all far above it
HTTP_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class Speaker:
    """Sends a conversation's answers: slowly (the server's pace) or at once."""

    def __init__(self, conn: socket.socket, interval: float, stop: threading.Event) -> None:
        self._conn = conn
        self._interval = interval
        self._stop = stop

    def at_once(self, data: bytes) -> None:
        """Send ``data`` in one go."""
        self._conn.sendall(data)

    def slowly(self, data: bytes) -> None:
        """Send ``data`` one byte every ``interval`` seconds (0: at once)."""
        if not self._interval:
            self.at_once(data)
            return
        for byte in data:
            if self._stop.wait(self._interval):
                return
            self._conn.sendall(bytes([byte]))


Conversation = Callable[[BinaryIO, Speaker], None]


class Trickler:
    """A TCP server on 127.0.0.1 (TLS with ``context``) that runs ``conversation`` for each
    connection, whose answers it sends one byte every ``interval`` seconds (0: at once)."""

    def __init__(
        self, conversation: Conversation, interval: float, context: ssl.SSLContext | None = None
    ) -> None:
        self._conversation = conversation
        self._interval = interval
        self._context = context
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = int(self._listener.getsockname()[1])
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def stop(self) -> None:
        """Stop accepting, end every conversation, wait for the threads."""
        self._stop.set()
        for thread in list(self._threads):
            thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            if self._context is not None:
                conn = self._context.wrap_socket(conn, server_side=True)
            with conn, conn.makefile("rb") as reader:
                self._conversation(reader, Speaker(conn, self._interval, self._stop))
        except OSError:
            pass  # the client gave up: what these tests want


def _read_request(reader: BinaryIO) -> None:
    length = 0
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    reader.read(length)


def _trickled_answer(reader: BinaryIO, speaker: Speaker) -> None:
    _read_request(reader)
    speaker.slowly(HTTP_OK)


def _trickled_body(reader: BinaryIO, speaker: Speaker) -> None:
    _read_request(reader)
    speaker.at_once(b"HTTP/1.1 200 OK\r\nContent-Length: 64\r\n\r\n")
    speaker.slowly(b"x" * 64)


def _smtp_conversation(reader: BinaryIO, speaker: Speaker) -> None:
    say = speaker.slowly
    say(b"220 trickle ESMTP\r\n")
    while line := reader.readline():
        verb = line[:4].upper()
        if verb == b"QUIT":
            say(b"221 bye\r\n")
            return
        if verb == b"DATA":
            say(b"354 go on\r\n")
            while reader.readline() not in (b".\r\n", b""):
                pass
        say(b"250 ok\r\n")


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, str]:
    """A server context for ``localhost`` and the CA file that verifies it."""
    directory = tmp_path_factory.mktemp("deadline-pki")
    ca = certs.make_ca(directory, "deadline test")
    leaf = certs.make_cert(directory, ca, "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(leaf.cert), str(leaf.key))
    return context, str(ca.cert)


@pytest.fixture
def trickler() -> Iterator[Callable[..., Trickler]]:
    """Start :class:`Trickler` servers; all are stopped after the test."""
    started: list[Trickler] = []

    def start(
        conversation: Conversation, interval: float, context: ssl.SSLContext | None = None
    ) -> Trickler:
        started.append(Trickler(conversation, interval, context))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def _digest() -> Digest:
    record = AlertRecord.from_json(encode_alert(make_alert(1), "fp1", 4000, 0.0))
    return build_digest("group", [record], delivery_id="d" * 32, channel="c", created=0.0)


def _webhook(url: str, ca_file: str = "", timeout: float = TIMEOUT) -> WebhookTransporter:
    return WebhookTransporter(WebhookTransport(url=url, timeout_secs=timeout, ca_file=ca_file))


def _fails_within_timeout(attempt: Callable[[], object]) -> None:
    started = time.monotonic()
    with pytest.raises(DeliveryError, match=f"no complete answer within {TIMEOUT:g} s"):
        attempt()
    assert time.monotonic() - started < TIMEOUT + MARGIN


@pytest.mark.parametrize("conversation", [_trickled_answer, _trickled_body])
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_trickling_webhook_endpoint_fails_the_attempt_at_its_timeout(
    scheme: str,
    conversation: Conversation,
    trickler: Callable[..., Trickler],
    tls: tuple[ssl.SSLContext, str],
) -> None:
    server = trickler(conversation, SLOW, tls[0] if scheme == "https" else None)
    transporter = _webhook(f"{scheme}://localhost:{server.port}/hook", tls[1])
    _fails_within_timeout(lambda: transporter.send(_digest(), 0))


def test_a_webhook_endpoint_answering_in_time_still_delivers(
    trickler: Callable[..., Trickler], tls: tuple[ssl.SSLContext, str]
) -> None:
    receiver = WebhookReceiver(secret="")
    receiver.start()
    try:
        assert _webhook(receiver.url + "/hook").send(_digest(), 0) is None
        assert wait_for(lambda: len(receiver.accepted()) == 1)
    finally:
        receiver.stop()
    # Slow but complete within the deadline, over TLS: 40 bytes in about 0.4 s of 3 s.
    server = trickler(_trickled_answer, 0.01, tls[0])
    transporter = _webhook(f"https://localhost:{server.port}/hook", tls[1], timeout=3.0)
    assert transporter.send(_digest(), 0) is None


def _email(port: int, security: Security, ca_file: str, timeout: float = TIMEOUT) -> EmailTransport:
    return EmailTransport(
        host="localhost",
        port=port,
        security=security,
        sender="lwsyslog <lwsyslog@example.net>",
        recipients=("ops@example.net",),
        ca_file=ca_file,
        timeout_secs=timeout,
    )


def _send(transport: EmailTransport) -> list[str]:
    message = build_email(transport, "subject", "text", "<p>html</p>", "e" * 32)
    return send_email(transport, message)


@pytest.mark.parametrize("security", ["none", "tls"])
def test_a_trickling_smtp_server_fails_the_attempt_at_its_timeout(
    security: Security, trickler: Callable[..., Trickler], tls: tuple[ssl.SSLContext, str]
) -> None:
    server = trickler(_smtp_conversation, SLOW, tls[0] if security == "tls" else None)
    _fails_within_timeout(lambda: _send(_email(server.port, security, tls[1])))


def test_an_smtp_server_answering_in_time_still_delivers(
    trickler: Callable[..., Trickler], tls: tuple[ssl.SSLContext, str], tmp_path: Path
) -> None:
    smtp = SmtpServer(tmp_path)
    smtp.start()
    try:
        transport = _email(smtp.port, "starttls", smtp.ca_file, timeout=5.0)
        assert _send(replace(transport, user=SMTP_USER, password=SMTP_PASSWORD)) == []
        assert len(smtp.messages) == 1
    finally:
        smtp.stop()
    # Slow but complete within the deadline, over implicit TLS.
    server = trickler(_smtp_conversation, 0.005, tls[0])
    assert _send(_email(server.port, "tls", tls[1], timeout=5.0)) == []


def test_a_trickling_apprise_url_fails_the_attempt_at_its_timeout(
    trickler: Callable[..., Trickler],
) -> None:
    server = trickler(_trickled_answer, SLOW)
    url = f"json://127.0.0.1:{server.port}/hook"
    transporter = AppriseTransporter(AppriseTransport(urls=(url,), timeout_secs=TIMEOUT))
    started = time.monotonic()
    with pytest.raises(DeliveryError, match="reported timeout"):
        transporter.send(_digest(), 0)
    assert time.monotonic() - started < TIMEOUT + MARGIN
