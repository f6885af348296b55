"""Local receivers for the demo's notifications: an SMTP server and a webhook endpoint.

Both listen on 127.0.0.1 only, run in threads of the calling process and are stopped by
their handle (:meth:`stop`), never by name. The SMTP server is aiosmtpd (the project's test
dependency, installed by ``bootstrap.sh``) requiring STARTTLS with a certificate from a CA of
its own, and AUTH; the webhook endpoint is ``http.server`` and checks the HMAC-SHA256
signature with the same :func:`~lwsyslog.notify.webhook.verify_signature` a receiver of
yours would use. What they receive is kept as sent (bounded in size); whoever shows it must
escape it (it carries text from log lines).
"""

from __future__ import annotations

import importlib.util
import logging
import secrets
import ssl
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lwsyslog.deploy import certs
from lwsyslog.lab.procs import free_port
from lwsyslog.notify.webhook import DELIVERY_HEADER, verify_signature

__all__ = ["MailReceiver", "WebhookCall", "WebhookReceiver", "smtp_available"]

MAX_BODY_BYTES = 1 << 20
"""A request or mail larger than this is refused (the demo's are a few KiB)."""
_MAX_KEPT = 1000
"""Messages kept per receiver; later ones are counted, not kept."""
SMTP_USER = "lwsyslog"


class _QuietDeprecation(logging.Filter):
    """aiosmtpd logs a deprecation warning of its own on every successful AUTH."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Session.login_data is deprecated")


_QUIET = _QuietDeprecation()


def smtp_available() -> bool:
    """True when aiosmtpd can be imported (``pip install aiosmtpd``; ``.[dev]`` has it)."""
    return importlib.util.find_spec("aiosmtpd") is not None


class MailReceiver:
    """aiosmtpd on 127.0.0.1 that requires STARTTLS and AUTH (a random password, written to
    ``password_file`` 0600); its certificate names ``localhost`` and is signed by a CA made in
    ``pki_dir`` (``ca_file``). Received messages are parsed and kept in :attr:`messages`."""

    def __init__(self, pki_dir: Path) -> None:
        ca = certs.make_ca(pki_dir, "lwsyslog demo mail")
        leaf = certs.make_cert(pki_dir, ca, "localhost")
        self.ca_file = ca.cert
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(str(leaf.cert), str(leaf.key))
        self.password = secrets.token_urlsafe(18)
        self.password_file = pki_dir / "smtp-password"
        self.password_file.touch(mode=0o600)
        self.password_file.write_text(self.password + "\n", encoding="ascii")
        self.port = free_port()
        self._messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller: Any = None

    def start(self) -> None:
        """Listen on 127.0.0.1:``port``."""
        from aiosmtpd.controller import Controller  # noqa: PLC0415  (a dev dependency)

        logging.getLogger("mail.log").addFilter(_QUIET)  # once: a filter is added only once
        self._controller = Controller(
            _Mailbox(self),
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="localhost",
            tls_context=self._context,
            require_starttls=True,
            authenticator=self._authenticate,
            auth_required=True,
            data_size_limit=MAX_BODY_BYTES,
            ready_timeout=10.0,
        )
        self._controller.start()

    def stop(self) -> None:
        """Stop listening and end the server's thread."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        """The messages received so far."""
        with self._lock:
            return list(self._messages)

    def _keep(self, message: EmailMessage) -> None:
        with self._lock:
            if len(self._messages) < _MAX_KEPT:
                self._messages.append(message)

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: PLC0415

        good = (
            isinstance(data, LoginPassword)
            and data.login == SMTP_USER.encode()
            and secrets.compare_digest(data.password, self.password.encode())
        )
        return AuthResult(success=good, handled=False)


class _Mailbox:
    """aiosmtpd's handler: parse each message and hand it to the receiver."""

    def __init__(self, owner: MailReceiver) -> None:
        self._owner = owner

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        if isinstance(message, EmailMessage):
            del message["X-Demo-Rcpt-To"]
            message["X-Demo-Rcpt-To"] = ", ".join(envelope.rcpt_tos)
            self._owner._keep(message)
        return "250 OK"


@dataclass(frozen=True, slots=True)
class WebhookCall:
    """One request the webhook receiver answered."""

    path: str
    delivery_id: str
    signed: bool | None
    """True: signature valid; False: missing or wrong (answered 401); None: not checked."""
    body: bytes


class WebhookReceiver:
    """``http.server`` on 127.0.0.1. Requests to ``/hook`` must carry a valid lwsyslog
    signature made with :attr:`secret` (else 401); other paths (apprise's ``json://``) are
    taken unsigned. Every request is kept in :attr:`calls`."""

    def __init__(self, secret_file: Path) -> None:
        self.secret = secrets.token_hex(24).encode()
        secret_file.touch(mode=0o600)
        secret_file.write_bytes(self.secret + b"\n")
        self.secret_file = secret_file
        self.port = free_port()
        self._calls: list[WebhookCall] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def url(self, path: str) -> str:
        """``http://127.0.0.1:PORT`` + ``path``."""
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        """Listen on 127.0.0.1:``port``."""
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="demo-webhook")
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and join the server's thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    @property
    def calls(self) -> list[WebhookCall]:
        """The requests received so far."""
        with self._lock:
            return list(self._calls)

    def _answer(self, path: str, headers: Any, body: bytes) -> int:
        signed = verify_signature(self.secret, body, headers) if path == "/hook" else None
        call = WebhookCall(path, str(headers.get(DELIVERY_HEADER, "")), signed, body)
        with self._lock:
            if len(self._calls) < _MAX_KEPT:
                self._calls.append(call)
        return 401 if signed is False else 200


class _Server(ThreadingHTTPServer):
    owner: WebhookReceiver
    daemon_threads = True


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the demo prints what arrived itself."""

    def do_POST(self) -> None:
        """Take one notification."""
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self._reply(413)
            return
        body = self.rfile.read(length)
        self._reply(self.server.owner._answer(self.path, self.headers, body))

    def _reply(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()
