"""The program killed (SIGKILL) with notifications in its outbox, even mid-delivery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lwsyslog.notify.notifier import Notifier
from lwsyslog.notify.settings import NotifySettings
from lwsyslog.notify.settings_parse import parse_notify_settings
from tests.notify.servers import WEBHOOK_SECRET, WebhookReceiver, wait_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import sys, time, json
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from lwsyslog.notify.notifier import Notifier
    from lwsyslog.notify.settings_parse import parse_notify_settings
    from tests.notify.servers import make_alert
    settings = parse_notify_settings(json.loads({settings!r}), file="test.toml")
    notifier = Notifier(settings, Path({path!r}))
    for number in range({count}):
        notifier.submit([make_alert(number)])
    print("stored", flush=True)
    time.sleep(60)
    """
)


def _table(receiver: WebhookReceiver) -> dict[str, object]:
    return {
        "retry_initial_secs": 0.2,
        "retry_max_secs": 1.0,
        "channels": {
            "hook": {
                "type": "webhook",
                "url": receiver.url + "/hook",
                "secret": WEBHOOK_SECRET,
                "timeout_secs": 20,
                "group_interval_secs": 0,
                "storm_clients": 0,
            }
        },
    }


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.stop()


def _run_child(table: dict[str, object], path: Path, count: int) -> subprocess.Popen[str]:
    import json

    code = CHILD.format(root=str(ROOT), settings=json.dumps(table), path=str(path), count=count)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "stored"
    return child


def _kill(child: subprocess.Popen[str]) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    assert child.stdout is not None
    child.stdout.close()


def _settings(table: dict[str, object]) -> NotifySettings:
    return parse_notify_settings(table, file="test.toml")


def test_sigkill_with_undelivered_notifications_then_restart_delivers_each_once(
    receiver: WebhookReceiver, tmp_path: Path
) -> None:
    path = tmp_path / "outbox.db"
    table = _table(receiver)
    child = _run_child(table, path, 15)  # the receiver is down: nothing can go out
    time.sleep(0.5)
    _kill(child)
    receiver.start()
    notifier = Notifier(_settings(table), path)
    try:
        assert wait_for(lambda: len(receiver.delivery_ids()) == 15, timeout=30)
        time.sleep(1.0)
        assert set(receiver.delivery_ids().values()) == {1}
        assert receiver.fingerprints() and set(receiver.fingerprints().values()) == {1}
        assert len(receiver.fingerprints()) == 15
    finally:
        notifier.close()


def test_killed_mid_delivery_the_retry_carries_the_same_delivery_id(
    receiver: WebhookReceiver, tmp_path: Path
) -> None:
    """The receiver got the request but the program died before the answer: the message is
    sent again after the restart, with the same delivery id, so the receiver can drop it."""
    path = tmp_path / "outbox.db"
    table = _table(receiver)
    receiver.delay_secs = 3.0
    receiver.start()
    child = _run_child(table, path, 1)
    assert wait_for(lambda: len(receiver.requests) == 1, timeout=15)
    _kill(child)  # while the receiver still holds the request
    receiver.delay_secs = 0.0
    notifier = Notifier(_settings(table), path)  # releases the dead program's lease
    try:
        assert wait_for(lambda: len(receiver.requests) == 2, timeout=20)
        first, second = receiver.requests
        assert first["headers"]["X-Lwsyslog-Delivery"] == second["headers"]["X-Lwsyslog-Delivery"]
        assert wait_for(lambda: notifier.stats_fields()["notify_delivered"] == 1)
    finally:
        notifier.close()
