"""Real local servers for the notification tests: SMTP (aiosmtpd, STARTTLS + auth) and an
HTTP receiver (http.server) that checks the HMAC signature; plus alerts to send them."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from lwsyslog.alerts import Alert
from lwsyslog.deploy import certs
from lwsyslog.events import Origin
from lwsyslog.notify.reporter import StderrReporter
from lwsyslog.notify.webhook import DELIVERY_HEADER, verify_signature
from lwsyslog.severity import Severity

SMTP_USER = "lwsyslog"
SMTP_PASSWORD = "s3cret-pass"
WEBHOOK_SECRET = "0123456789abcdef-test-secret"


class Recorder(StderrReporter):
    """A reporter that keeps its lines (``level: message``) for the test to read."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def _write(self, level: str, message: str) -> None:
        self.lines.append(f"{level}: {message}")


class FakeClock:
    """A clock the test sets by hand (``clock.now = ...``)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def free_port() -> int:
    """A TCP port nothing listens on now (127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_alert(
    number: int,
    *,
    client: str | None = None,
    rule: str = "sqli-union-select",
    severity: Severity = Severity.HIGH,
    categories: tuple[str, ...] = ("sqli",),
    sample: str | None = None,
    host: str = "web1",
    when: float = 1_790_000_000.0,
) -> Alert:
    """A distinct alert (``number`` makes its fingerprint unique)."""
    client = client or f"203.0.113.{number % 250 + 1}"
    line = sample or (
        f'{client} - - [23/Nov/2026:18:39:32 +0000] "GET /?id={number}%27%20UNION%20SELECT%201-- '
        'HTTP/1.1" 200 5 "-" "curl/8"'
    )
    origin = Origin(f"{host}/apache-access", number, host, "apache-access")
    return Alert(
        rule=rule,
        key=client,
        client_ip=client,
        categories=categories,
        severity=severity,
        count=1,
        window_secs=0.0,
        first=origin,
        last=origin,
        first_time=when + number,
        last_time=when + number,
        message=f"UNION SELECT appended to a parameter: {client} sent 'union select' in target",
        sample=line,
        log="access",
    )


def wait_for(condition: Callable[[], bool], timeout: float = 20.0, step: float = 0.05) -> bool:
    """Poll ``condition`` until true or ``timeout``; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


# --- SMTP ---------------------------------------------------------------------------------


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        message["X-Test-Rcpt-To"] = ", ".join(envelope.rcpt_tos)
        with self.lock:
            self.messages.append(message)
        return "250 OK"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == SMTP_USER.encode()
        and data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


class SmtpServer:
    """aiosmtpd on 127.0.0.1 with STARTTLS required (certificate from the test's CA) and
    AUTH required; :meth:`stop` and :meth:`start` again keep the port and the mailbox."""

    def __init__(self, pki_dir: Path) -> None:
        ca = certs.make_ca(pki_dir, "notify test")
        leaf = certs.make_cert(pki_dir, ca, "localhost")
        self.ca_file = str(ca.cert)
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(str(leaf.cert), str(leaf.key))
        self.port = free_port()
        self.mailbox = _Mailbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        """Listen (again)."""
        self._controller = Controller(
            self.mailbox,
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="localhost",
            tls_context=self._context,
            require_starttls=True,
            authenticator=_authenticate,
            auth_required=True,
            ready_timeout=10.0,
        )
        self._controller.start()

    def stop(self) -> None:
        """Stop listening (connections are refused until :meth:`start`)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message received so far."""
        with self.mailbox.lock:
            return list(self.mailbox.messages)

    def delivery_ids(self) -> Counter[str]:
        """How often each delivery id arrived."""
        return Counter(str(m["X-Lwsyslog-Delivery"]) for m in self.messages)


# --- HTTP ---------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: _Receiver

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _receive(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        receiver = self.server.owner
        headers = {k: v for k, v in self.headers.items()}
        signed = verify_signature(receiver.secret, body, self.headers) if receiver.secret else None
        with receiver.lock:
            receiver.requests.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": headers,
                    "body": body,
                    "signed": signed,
                }
            )
            status = receiver.status
            delay = receiver.delay_secs
        if delay:
            time.sleep(delay)  # a receiver that took the request but answers late
        if receiver.secret and not signed:
            status = 401
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_POST = _receive  # noqa: N815
    do_PUT = _receive  # noqa: N815


class _Receiver(ThreadingHTTPServer):
    owner: WebhookReceiver
    daemon_threads = True
    allow_reuse_address = True


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that records requests and checks the signature (401 when
    the secret is set and the signature is wrong); :meth:`stop`/:meth:`start` keep the port."""

    def __init__(self, secret: str = WEBHOOK_SECRET) -> None:
        self.secret = secret.encode()
        self.port = free_port()
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.delay_secs = 0.0
        self.lock = threading.Lock()
        self._server: _Receiver | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Listen (again)."""
        server = _Receiver(("127.0.0.1", self.port), _Handler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def accepted(self) -> list[dict[str, Any]]:
        """The requests answered 2xx (signature good when a secret is set)."""
        with self.lock:
            return [r for r in self.requests if r["signed"] is not False]

    def delivery_ids(self) -> Counter[str]:
        """How often each delivery id was accepted."""
        return Counter(r["headers"][DELIVERY_HEADER] for r in self.accepted())

    def fingerprints(self) -> Counter[str]:
        """How often each alert (by fingerprint) arrived in an accepted ``json`` payload."""
        seen: Counter[str] = Counter()
        for request in self.accepted():
            for alert in json.loads(request["body"])["alerts"]:
                seen[alert["fingerprint"]] += 1
        return seen
