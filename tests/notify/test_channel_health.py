"""Whether a channel is failing now, and since when: against a real SMTP server that is down
while a real webhook receiver takes its messages, on an injected clock; then through real
sender processes, across a restart of the program."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from lwsyslog.metrics.figures import ChannelFigures
from lwsyslog.notify.notifier import Notifier
from lwsyslog.notify.settings import NotifySettings
from lwsyslog.notify.settings_parse import parse_notify_settings
from lwsyslog.notify.stats import NotifyStats
from tests.notify.servers import (
    SMTP_PASSWORD,
    SMTP_USER,
    WEBHOOK_SECRET,
    FakeClock,
    Recorder,
    SmtpServer,
    WebhookReceiver,
    make_alert,
    wait_for,
)

T0 = 1_800_000_000.0
_ONE_BY_ONE = {"group_interval_secs": 0, "storm_clients": 0, "min_severity": "medium"}


@pytest.fixture
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path_factory.mktemp("smtp-pki"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    server.start()
    yield server
    server.stop()


def mail_and_hook(smtp: SmtpServer, receiver: WebhookReceiver, *names: str) -> NotifySettings:
    """An e-mail channel ``mail`` to ``smtp`` and a webhook ``hook`` to ``receiver`` (those of
    ``names`` only, when given), retried within a second."""
    channels = {
        "mail": {
            "type": "email", "host": "localhost", "port": smtp.port, "security": "starttls",
            "ca_file": smtp.ca_file, "user": SMTP_USER, "password": SMTP_PASSWORD,
            "from": "lwsyslog <lwsyslog@example.net>", "to": ["ops@example.net"],
            "timeout_secs": 5, **_ONE_BY_ONE,
        },
        "hook": {"type": "webhook", "url": receiver.url + "/hook", "secret": WEBHOOK_SECRET,
                 "timeout_secs": 3, **_ONE_BY_ONE},
    }  # fmt: skip
    chosen = {name: channels[name] for name in names or channels}
    table = {"retry_initial_secs": 0.2, "retry_max_secs": 1.0, "channels": chosen}
    return parse_notify_settings(table, file="test.toml")


def figures(notify: Notifier) -> dict[str, ChannelFigures]:
    """The channels' figures as the program exports them (read after its stats line's)."""
    notify.stats_fields()  # reads what the sender published
    return notify.channel_figures()


def failing_since(notify: Notifier, channel: str) -> float:
    found = figures(notify).get(channel)
    return found.failing_since if found is not None else 0.0


def test_a_dead_mail_server_is_failing_from_its_first_failure_until_it_delivers_again(
    smtp: SmtpServer, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    clock, report = FakeClock(T0), Recorder()
    notify = Notifier(mail_and_hook(smtp, receiver), tmp_path / "outbox.db", clock=clock,
                      report=report, start=False)  # fmt: skip
    smtp.stop()
    try:
        notify.submit([make_alert(1)])
        notify.pump()
        assert notify.deliver() == 2
        mail, hook = notify.stats.channels["mail"], notify.stats.channels["hook"]
        assert (mail.kind, mail.failures, mail.failing_since) == ("email", 1, T0)
        assert "refused" in mail.last_error.lower()
        assert (hook.kind, hook.delivered, hook.failing_since) == ("webhook", 1, 0.0)

        clock.now = T0 + 360  # a later attempt fails too: the run still began at T0
        assert notify.deliver() == 1
        shown = notify.channel_figures()  # what the program exports
        assert shown["mail"].failures == 2 and shown["mail"].failing_since == T0
        assert shown["mail"].last_error == mail.last_error
        assert shown["hook"].failing_since == 0.0

        smtp.start()
        clock.now = T0 + 420
        assert notify.deliver() == 1
        assert notify.stats.channels["mail"].failing_since == 0.0
        assert notify.channel_figures()["mail"].delivered == 1
        assert any("channel mail delivers again (failing for 420 s)" in x for x in report.lines)
    finally:
        notify.close()


def test_a_channel_whose_last_message_was_given_up_is_no_longer_failing(
    smtp: SmtpServer, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    """Once max_age_secs gave its message up, nothing waited and nothing was tried, yet status
    went on saying the channel failed and its notifications waited (review)."""
    clock, report = FakeClock(T0), Recorder()
    settings = replace(mail_and_hook(smtp, receiver, "mail"), max_age_secs=60.0)
    notify = Notifier(settings, tmp_path / "outbox.db", clock=clock, report=report, start=False)
    smtp.stop()
    try:
        notify.submit([make_alert(1)])
        notify.pump()
        assert notify.deliver() == 1
        assert notify.stats.channels["mail"].failing_since == T0
        clock.now = T0 + 120  # past max_age_secs: the router gives the message up
        notify.pump()
        notify.deliver()
        assert notify.stats.channels["mail"].failing_since == 0.0
        assert any("channel mail has no message left to send" in x for x in report.lines)
    finally:
        notify.close()


def test_the_failing_time_survives_a_restart_and_a_removed_channel_is_forgotten(
    smtp: SmtpServer, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    """Through the real sender processes: the published figures carry the run's start; a new
    sender goes on timing the same run; one without the channel no longer shows it."""
    path = tmp_path / "outbox.db"
    smtp.stop()
    first = Notifier(mail_and_hook(smtp, receiver), path)
    try:
        first.submit([make_alert(2)])
        assert wait_for(lambda: failing_since(first, "mail") > 0)
        began = failing_since(first, "mail")
        assert failing_since(first, "hook") == 0.0
    finally:
        first.close()

    second = Notifier(mail_and_hook(smtp, receiver), path)
    try:
        failures = figures(second)["mail"].failures
        assert wait_for(lambda: figures(second)["mail"].failures > failures)
        assert failing_since(second, "mail") == began
    finally:
        second.close()

    third = Notifier(mail_and_hook(smtp, receiver, "hook"), path)
    try:
        assert wait_for(lambda: "mail" not in figures(third))
        assert figures(third)["hook"].delivered == 1
    finally:
        third.close()


def test_published_figures_of_an_older_or_newer_sender_are_read() -> None:
    stats = NotifyStats()
    stats.load('{"channels": {"mail": {"attempts": 3, "delivered": 1, "failures": 2}}}')
    mail = stats.channels["mail"]
    assert (mail.attempts, mail.failures, mail.failing_since, mail.kind) == (3, 2, 0.0, "")
    newer = '{"channels": {"mail": {"failures": 4, "failing_since": "soon", "later": 1}}}'
    stats.load(newer)  # an unknown field and a wrong type are left aside
    assert stats.channels["mail"].failures == 4
    assert stats.channels["mail"].failing_since == 0.0
    stats.load('{"channels": {"mail": {"failing_since": 1800000000}}}')
    assert stats.channels["mail"].failing_since == 1_800_000_000.0
