"""Delivery against real local servers, through outages and restarts of the program.

For each transport (SMTP with STARTTLS and AUTH, a signed webhook, an apprise ``json://``
URL): the server is stopped while alerts keep coming (``submit`` stays fast), then started
again, and every notification arrives exactly once, counted by delivery id at the receiver;
then the program itself is restarted with undelivered notifications in its outbox, and the
new one delivers them, none twice.
"""

from __future__ import annotations

import base64
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lwsyslog.notify.notifier import Notifier
from lwsyslog.notify.settings import NotifySettings
from lwsyslog.notify.settings_parse import parse_notify_settings
from lwsyslog.severity import Severity
from tests.notify.servers import (
    SMTP_PASSWORD,
    SMTP_USER,
    WEBHOOK_SECRET,
    SmtpServer,
    WebhookReceiver,
    make_alert,
    wait_for,
)

pytestmark = pytest.mark.slow

_FAST_RETRY = {"retry_initial_secs": 0.2, "retry_max_secs": 1.0}
_ONE_BY_ONE = {"group_interval_secs": 0, "storm_clients": 0, "min_severity": "medium"}


@dataclass
class Target:
    """A running receiver and how to read what it accepted."""

    name: str
    settings: NotifySettings
    start: Callable[[], None]
    stop: Callable[[], None]
    received: Callable[[], Counter[str]]
    raw: Callable[[], list[Any]]


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path_factory.mktemp("smtp-pki"))
    server.start()
    yield server
    server.stop()


def _smtp_target(server: SmtpServer) -> Target:
    channel = {
        "type": "email",
        "host": "localhost",
        "port": server.port,
        "security": "starttls",
        "ca_file": server.ca_file,
        "user": SMTP_USER,
        "password": SMTP_PASSWORD,
        "from": "lwsyslog <lwsyslog@example.net>",
        "to": ["ops@example.net", "oncall@example.net"],
        "timeout_secs": 5,
        **_ONE_BY_ONE,
    }
    settings = parse_notify_settings(
        {**_FAST_RETRY, "channels": {"mail": channel}}, file="test.toml"
    )
    return Target(
        "smtp", settings, server.start, server.stop, server.delivery_ids, lambda: server.messages
    )


def _webhook_target(receiver: WebhookReceiver) -> Target:
    channel = {"type": "webhook", "url": receiver.url + "/hook", "secret": WEBHOOK_SECRET,
               "timeout_secs": 3, **_ONE_BY_ONE}  # fmt: skip
    settings = parse_notify_settings(
        {**_FAST_RETRY, "channels": {"hook": channel}}, file="test.toml"
    )
    return Target("webhook", settings, receiver.start, receiver.stop, receiver.delivery_ids,
                  receiver.accepted)  # fmt: skip


_APPRISE_ID = re.compile(r"delivery id: ([0-9a-f]{32})")


def _apprise_target(receiver: WebhookReceiver) -> Target:
    url = f"json://127.0.0.1:{receiver.port}/apprise"
    channel = {"type": "apprise", "urls": [url], "timeout_secs": 5, **_ONE_BY_ONE}
    settings = parse_notify_settings(
        {**_FAST_RETRY, "channels": {"phone": channel}}, file="test.toml"
    )

    def received() -> Counter[str]:
        ids: Counter[str] = Counter()
        for request in receiver.accepted():
            import json

            match = _APPRISE_ID.search(json.loads(request["body"])["message"])
            assert match, request["body"]
            ids[match.group(1)] += 1
        return ids

    return Target("apprise", settings, receiver.start, receiver.stop, received,
                  receiver.accepted)  # fmt: skip


@pytest.fixture(params=["smtp", "webhook", "apprise"])
def target(request: pytest.FixtureRequest, smtp: SmtpServer) -> Iterator[Target]:
    if request.param == "smtp":
        smtp.mailbox.messages.clear()
        yield _smtp_target(smtp)
        smtp.stop()
        smtp.start()  # leave it running for the next test
        return
    receiver = WebhookReceiver(secret=WEBHOOK_SECRET if request.param == "webhook" else "")
    receiver.start()
    yield _webhook_target(receiver) if request.param == "webhook" else _apprise_target(receiver)
    receiver.stop()


def _exactly_once(target: Target, expected: int) -> Counter[str]:
    assert wait_for(lambda: len(target.received()) >= expected, timeout=30), (
        f"{target.name}: {len(target.received())} of {expected} delivered"
    )
    time.sleep(1.0)  # any duplicate from a retry would arrive now
    received = target.received()
    assert len(received) == expected
    assert set(received.values()) == {1}, received.most_common(3)
    return received


def test_outage_of_the_receiver_loses_nothing_and_duplicates_nothing(
    target: Target, tmp_path: Path
) -> None:
    notify = Notifier(target.settings, tmp_path / "outbox.db")
    try:
        for number in range(5):
            notify.submit([make_alert(number)])
        _exactly_once(target, 5)

        target.stop()
        durations = []
        for number in range(5, 45):
            severity = Severity.CRITICAL if number % 5 == 0 else Severity.HIGH
            alert = make_alert(number, severity=severity)
            started = time.perf_counter()
            notify.submit([alert])
            durations.append(time.perf_counter() - started)
            time.sleep(0.01)
        assert wait_for(lambda: notify.stats_fields()["notify_failures"] >= 2, timeout=15)
        # The hot path never waited on the dead server (generous bounds: a shared CI disk).
        assert statistics.median(durations) < 0.005, durations
        assert max(durations) < 0.5, durations

        target.start()
        _exactly_once(target, 45)
        fields = notify.stats_fields()
        assert fields["notify_delivered"] == 45
        assert fields["notify_failures"] >= 2
        assert fields["notify_attempts"] == 45 + fields["notify_failures"]
    finally:
        notify.close()


def test_a_restart_of_the_program_resumes_the_outbox(target: Target, tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    target.stop()
    first = Notifier(target.settings, path)
    for number in range(12):
        first.submit([make_alert(number)])
    assert wait_for(lambda: first.stats_fields()["notify_failures"] >= 1, timeout=15)
    first.close()

    target.start()
    second = Notifier(target.settings, path)
    try:
        _exactly_once(target, 12)
        # The same alerts submitted again (a line rsyslog replays) are not sent again.
        second.submit([make_alert(number) for number in range(12)])
        # The sender reads the inbox within half a second and publishes counters every second.
        assert wait_for(lambda: second.stats_fields()["notify_duplicates"] == 12, timeout=10)
        time.sleep(1.0)
        assert len(target.received()) == 12
    finally:
        second.close()


def test_a_webhook_url_with_user_and_password_authenticates_with_basic_auth(
    tmp_path: Path,
) -> None:
    """``https://user:pass@host/`` sends HTTP Basic auth, as curl does; before, the credentials
    were dropped silently and every delivery met the receiver's 401."""
    receiver = WebhookReceiver(secret="")
    receiver.start()
    url = f"http://ops%40example.net:p%3Ass@127.0.0.1:{receiver.port}/hook"
    channel = {"type": "webhook", "url": url, "timeout_secs": 3, **_ONE_BY_ONE}
    settings = parse_notify_settings(
        {**_FAST_RETRY, "channels": {"hook": channel}}, file="test.toml"
    )
    notify = Notifier(settings, tmp_path / "outbox.db")
    try:
        notify.submit([make_alert(1)])
        assert wait_for(lambda: len(receiver.accepted()) >= 1, timeout=15)
        request = receiver.accepted()[0]
        assert request["path"] == "/hook"
        encoded = request["headers"]["Authorization"].removeprefix("Basic ")
        assert base64.b64decode(encoded) == b"ops@example.net:p:ss"
    finally:
        notify.close()
        receiver.stop()


def test_smtp_message_is_multipart_with_message_id_and_all_recipients(
    smtp: SmtpServer, tmp_path: Path
) -> None:
    smtp.mailbox.messages.clear()
    target = _smtp_target(smtp)
    notify = Notifier(target.settings, tmp_path / "outbox.db")
    try:
        notify.submit([make_alert(1, client="203.0.113.9\r\nBcc: victim@evil.example",
                                  severity=Severity.CRITICAL)])  # fmt: skip
        assert wait_for(lambda: len(smtp.messages) == 1)
    finally:
        notify.close()
    (message,) = smtp.messages
    assert message["X-Test-Rcpt-To"] == "ops@example.net, oncall@example.net"
    delivery = message["X-Lwsyslog-Delivery"]
    assert message["Message-ID"] == f"<{delivery}@example.net>"
    assert message["Bcc"] is None
    assert "victim" not in message["X-Test-Rcpt-To"]
    assert message.get_content_type() == "multipart/alternative"
    html = message.get_body(("html",))
    assert html is not None and "<table" in html.get_content()


def test_send_report_mails_the_daily_report_through_the_email_channels(smtp: SmtpServer) -> None:
    from lwsyslog.errors import SinkError
    from lwsyslog.notify.email_send import send_report

    smtp.mailbox.messages.clear()
    settings = _smtp_target(smtp).settings
    sent = send_report(settings, "daily report\r\nBcc: x@evil.example", "text body",
                       "<html><body><p>chart</p></body></html>")  # fmt: skip
    assert sent == ["mail"]
    (message,) = smtp.messages
    assert message["Bcc"] is None
    assert str(message["Subject"]).startswith("[lwsyslog] daily report\\x0d\\x0aBcc")
    html = message.get_body(("html",))
    assert html is not None and "<p>chart</p>" in html.get_content()
    with pytest.raises(SinkError, match="no e-mail channel called nope"):
        send_report(settings, "s", "t", channels=["nope"])
    smtp.stop()
    try:
        with pytest.raises(SinkError, match="report not sent through mail"):
            send_report(settings, "s", "t", attempts=1)
    finally:
        smtp.start()
