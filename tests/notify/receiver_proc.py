"""A notification receiver as a process of its own, so that a test can kill it (SIGKILL) in the
middle of a delivery and start it again on the same port.

``smtp``: aiosmtpd on 127.0.0.1 requiring STARTTLS (the given certificate) and AUTH.
``http``: ``/hook`` takes lwsyslog's signed JSON (a bad signature is answered 401 and not
kept), ``/apprise`` takes apprise's ``json://`` posts.

Each accepted message is appended to ``--out`` as one JSON line, flushed, and only then answered
(250 / 200) after ``--answer-delay`` seconds, as a receiver that keeps what it accepted does: a
kill between the two makes the sender try again with the same delivery id, which the receiver
then recognises. Prints ``ready`` once listening.

    python -m tests.notify.receiver_proc http --port P --out FILE --secret S
    python -m tests.notify.receiver_proc smtp --port P --out FILE --cert C --key K
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import ssl
import sys
import threading
import time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lwsyslog.notify.webhook import DELIVERY_HEADER, verify_signature

SMTP_USER = "lwsyslog"
SMTP_PASSWORD = "s3cret-pass"


class Journal:
    """The accepted messages, one JSON line each, written before the answer."""

    def __init__(self, path: Path) -> None:
        self._handle = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def keep(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._handle.write(json.dumps(record) + "\n")
            self._handle.flush()
            os.fsync(self._handle.fileno())


def serve_http(args: argparse.Namespace, journal: Journal) -> None:
    secret = args.secret.encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *items: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == "/hook":
                if not verify_signature(secret, body, self.headers):
                    self._answer(401)
                    return
                document = json.loads(body)
                journal.keep(
                    {
                        "channel": "hook",
                        "delivery": self.headers[DELIVERY_HEADER],
                        "clients": [alert["client"] for alert in document["alerts"]],
                        "total": document["total_alerts"],
                    }
                )
            else:
                document = json.loads(body)
                journal.keep(
                    {"channel": "apprise", "title": document["title"], "body": document["message"]}
                )
            time.sleep(args.answer_delay)
            self._answer(200)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


def serve_smtp(args: argparse.Namespace, journal: Journal) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    class Mailbox:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            message = message_from_bytes(envelope.content, policy=policy.default)
            journal.keep(
                {
                    "channel": "mail",
                    "delivery": str(message["X-Lwsyslog-Delivery"]),
                    "subject": str(message["Subject"]).strip(),
                    "to": list(envelope.rcpt_tos),
                }
            )
            await asyncio.sleep(args.answer_delay)
            return "250 OK"

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        good = isinstance(data, LoginPassword) and (data.login, data.password) == (
            SMTP_USER.encode(),
            SMTP_PASSWORD.encode(),
        )
        return AuthResult(success=good, handled=False)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    controller = Controller(
        Mailbox(),
        hostname="127.0.0.1",
        port=args.port,
        server_hostname="localhost",
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
        ready_timeout=10.0,
    )
    controller.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["smtp", "http"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--secret", default="")
    parser.add_argument("--cert", default="")
    parser.add_argument("--key", default="")
    parser.add_argument("--answer-delay", type=float, default=0.0)
    args = parser.parse_args()
    journal = Journal(args.out)
    if args.kind == "http":
        serve_http(args, journal)
    else:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
        serve_smtp(args, journal)
    return 0


if __name__ == "__main__":
    sys.exit(main())
