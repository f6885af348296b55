"""Run inside a mount namespace whose /etc/resolv.conf names 127.0.0.1: a DNS server there that
reads every query and answers none, then delivery attempts to hosts only DNS could name.

Prints one JSON object: how long a bare ``getaddrinfo`` took (the resolver's own timeouts),
and each attempt's outcome and duration.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable

from lwsyslog.notify.delivery import DeliveryError
from lwsyslog.notify.digest import build_digest
from lwsyslog.notify.email_send import build_email, send_email
from lwsyslog.notify.record import AlertRecord, encode_alert
from lwsyslog.notify.settings import EmailTransport, WebhookTransport
from lwsyslog.notify.webhook import WebhookTransporter
from tests.notify.servers import make_alert

TIMEOUT = 1.0


def _swallow(sock: socket.socket) -> None:
    while True:
        sock.recv(4096)


def _silent_dns() -> None:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 53))
    threading.Thread(target=_swallow, args=(udp,), daemon=True).start()


def _timed(attempt: Callable[[], object]) -> dict[str, object]:
    started = time.monotonic()
    try:
        attempt()
    except (DeliveryError, OSError) as error:
        outcome = str(error)
    else:
        outcome = "delivered"
    return {"secs": round(time.monotonic() - started, 2), "outcome": outcome}


def main() -> None:
    """Measure, then print the JSON report."""
    _silent_dns()
    record = AlertRecord.from_json(encode_alert(make_alert(1), "fp1", 4000, 0.0))
    digest = build_digest("group", [record], delivery_id="d" * 32, channel="c", created=0.0)
    webhook = WebhookTransporter(
        WebhookTransport(url="http://hook.lwsyslog.test/hook", timeout_secs=TIMEOUT)
    )
    mail = EmailTransport(
        host="mail.lwsyslog.test",
        port=25,
        security="none",
        sender="lwsyslog@example.org",
        recipients=("ops@example.org",),
        timeout_secs=TIMEOUT,
    )
    message = build_email(mail, "subject", "text", None, "d" * 32)
    report: dict[str, object] = {
        "email": _timed(lambda: send_email(mail, message)),
        "webhook": [_timed(lambda: webhook.send(digest, 0)) for _ in range(3)],
    }
    report["email_again"] = _timed(lambda: send_email(mail, message))
    report["bare"] = _timed(lambda: socket.getaddrinfo("bare.lwsyslog.test", 80))
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
