"""The outbox's bounds and guarantees: bytes, one program per file, age, removed channels."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lwsyslog.errors import SinkError
from lwsyslog.notify.delivery import retry_delay
from lwsyslog.notify.inbox import inbox_dir
from lwsyslog.notify.inbox_reader import InboxReader, InboxRecord
from lwsyslog.notify.notifier import Notifier
from lwsyslog.notify.outbox import OutboxError
from lwsyslog.notify.settings import NotifySettings
from lwsyslog.notify.settings_parse import parse_notify_settings
from lwsyslog.severity import Severity
from tests.notify.servers import Recorder, free_port, make_alert


def settings(**top: object) -> NotifySettings:
    dead = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens: nothing is delivered
    channel = {"type": "webhook", "url": dead, "group_interval_secs": 0, "storm_clients": 0}
    return parse_notify_settings({**top, "channels": {"hook": channel}}, file="test.toml")


def inbox_records(path: Path) -> list[InboxRecord]:
    """What the program appended to the inbox of outbox ``path`` and the sender did not read."""
    return InboxReader(inbox_dir(path)).read((0, 0), 1 << 30).records


def test_the_outbox_drops_the_oldest_non_critical_first_when_full(tmp_path: Path) -> None:
    report = Recorder()
    path = tmp_path / "outbox.db"
    notify = Notifier(settings(outbox_max_bytes=65536), path, report=report, start=False)
    big = "x" * 1500
    notify.submit([make_alert(0, severity=Severity.CRITICAL, sample=big)])
    for number in range(1, 120):
        notify.submit([make_alert(number, sample=big)])
    notify.pump()
    fields = notify.stats_fields()
    assert fields["notify_dropped_full"] > 0
    assert fields["notify_outbox_bytes"] <= 65536
    assert any("dropped the" in line and "non-critical first" in line for line in report.lines)
    with sqlite3.connect(path) as db:
        critical = db.execute("SELECT count(*) FROM messages WHERE critical = 1").fetchone()[0]
        created = [row[0] for row in db.execute("SELECT created FROM messages ORDER BY id")]
    assert critical == 1  # the critical one survived although it is the oldest
    assert len(created) == fields["notify_queued_messages"]
    notify.close()


def test_submit_refuses_non_critical_alerts_far_beyond_the_bound(tmp_path: Path) -> None:
    notify = Notifier(settings(outbox_max_bytes=65536), tmp_path / "o.db", start=False)
    for number in range(100):  # the router never runs: the inbox grows
        notify.submit([make_alert(number, sample="y" * 2000)])
    stored = len(inbox_records(tmp_path / "o.db"))
    assert 20 < stored < 100
    assert notify.stats_fields()["notify_dropped_full"] == 100 - stored
    assert notify.stats_fields()["notify_inbox_bytes"] <= 65536 * 1.25 + 4096
    notify.submit([make_alert(500, severity=Severity.CRITICAL, sample="y" * 2000)])
    assert len(inbox_records(tmp_path / "o.db")) == stored + 1  # critical is always stored
    notify.close()


def test_two_programs_cannot_share_one_outbox(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    first = Notifier(settings(), path, start=False)
    with pytest.raises(OutboxError, match="in use by another program"):
        Notifier(settings(), path, start=False, lock_wait_secs=0.2)
    first.close()
    Notifier(settings(), path, start=False).close()


def test_a_closed_notifier_refuses_alerts(tmp_path: Path) -> None:
    notify = Notifier(settings(), tmp_path / "o.db", start=False)
    notify.close()
    with pytest.raises(SinkError):
        notify.submit([make_alert(1)])


def test_messages_undelivered_past_max_age_are_dropped_and_reported(tmp_path: Path) -> None:
    now = [1_800_000_000.0]
    report = Recorder()
    notify = Notifier(settings(max_age_secs=3600), tmp_path / "o.db", report=report,
                      clock=lambda: now[0], start=False)  # fmt: skip
    notify.submit([make_alert(1)])
    notify.pump()
    assert notify.stats_fields()["notify_queued_messages"] == 1
    now[0] += 3601
    notify.pump()
    assert notify.stats_fields()["notify_dropped_expired"] == 1
    assert notify.stats_fields()["notify_queued_messages"] == 0
    assert any("gave up on 1 message" in line for line in report.lines)
    notify.close()


def test_reconfigure_drops_what_waits_for_a_removed_channel(tmp_path: Path) -> None:
    report = Recorder()
    notify = Notifier(settings(), tmp_path / "o.db", report=report, start=False)
    notify.submit([make_alert(1)])
    notify.pump()
    other = parse_notify_settings(
        {"channels": {"mail": {"type": "email", "host": "localhost", "from": "a@example.net",
                               "to": ["b@example.net"], "security": "none"}}},
        file="test.toml",
    )  # fmt: skip
    notify.reconfigure(other)
    notify.pump()
    assert notify.stats_fields()["notify_dropped"] == 1
    assert any("no longer configured" in line for line in report.lines)
    notify.close()


def test_retry_delays_grow_exponentially_with_jitter_up_to_the_cap() -> None:
    delays = [retry_delay(n, 5.0, 900.0) for n in range(1, 12)]
    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(900.0, 5.0 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert retry_delay(1, 5.0, 900.0, retry_after=120.0) >= 120.0
    assert retry_delay(1, 5.0, 900.0, retry_after=86400.0) <= 900.0
