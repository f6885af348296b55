"""Grouping, storms, quiet hours and the rate limit, with an injected clock.

The first tests drive :class:`ChannelGroups` (the decisions); the last ones drive a whole
:class:`Notifier` on a fake clock against a real webhook receiver, to show what a person gets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from datetime import time as daytime
from itertools import count
from pathlib import Path

import pytest

from lwsyslog.notify.grouping import STORM_CRITICAL_MESSAGES, ChannelGroups
from lwsyslog.notify.notifier import Notifier
from lwsyslog.notify.outbox import PendingMeta
from lwsyslog.notify.settings import Policy, QuietHours
from lwsyslog.notify.settings_parse import parse_notify_settings
from lwsyslog.severity import Severity
from tests.notify.servers import WEBHOOK_SECRET, FakeClock, WebhookReceiver, make_alert

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC).timestamp()  # a Monday noon, UTC
_ids = count(1)


def entry(at: float, client: str = "198.51.100.7", rule: str = "sqli-union-select",
          critical: bool = False, policy: Policy | None = None) -> PendingMeta:  # fmt: skip
    key = rule if policy is not None and policy.group_by == "rule" else client
    return PendingMeta(next(_ids), "c", key, rule, client, critical, at, 100)


def sizes(batches: list) -> list[tuple[str, int]]:  # type: ignore[type-arg]
    return [(b.kind, len(b.ids)) for b in batches]


def test_alerts_of_one_client_wait_for_the_interval_and_go_as_one_message() -> None:
    groups = ChannelGroups(Policy(group_interval_secs=300, storm_clients=0))
    for offset in (0, 10, 20):
        groups.add(entry(T0 + offset))
    due, wake = groups.decide(T0 + 30)
    assert due == [] and wake == T0 + 300
    due, _ = groups.decide(T0 + 300)
    assert sizes(due) == [("group", 3)]


def test_a_critical_alert_goes_at_once_and_takes_its_group_along() -> None:
    groups = ChannelGroups(Policy(group_interval_secs=300, storm_clients=0))
    groups.add(entry(T0))
    groups.add(entry(T0 + 5, critical=True))
    groups.add(entry(T0 + 5, client="192.0.2.1"))
    due, wake = groups.decide(T0 + 5)
    assert sizes(due) == [("group", 2)]
    assert due[0].critical
    assert wake == T0 + 5 + 300  # the other client's group still waits


def test_critical_immediate_off_makes_critical_wait_too() -> None:
    groups = ChannelGroups(Policy(group_interval_secs=60, critical_immediate=False))
    groups.add(entry(T0, critical=True))
    assert groups.decide(T0 + 1)[0] == []
    assert sizes(groups.decide(T0 + 60)[0]) == [("group", 1)]


def test_grouping_per_rule_puts_many_clients_in_one_message() -> None:
    policy = Policy(group_by="rule", group_interval_secs=60, storm_clients=0)
    groups = ChannelGroups(policy)
    for number in range(5):
        groups.add(entry(T0, client=f"192.0.2.{number}", policy=policy))
    groups.add(entry(T0, rule="xss-script-tag", policy=policy))
    assert sorted(sizes(groups.decide(T0 + 60)[0])) == [("group", 1), ("group", 5)]


def test_a_storm_across_many_clients_becomes_one_summary() -> None:
    groups = ChannelGroups(Policy(group_interval_secs=300, storm_clients=20, storm_window_secs=300))
    for number in range(3412):
        groups.add(entry(T0 + number * 0.05, client=f"10.{number // 250}.{number % 250}.1"))
    groups.add(entry(T0, rule="xss-script-tag", client="192.0.2.99"))
    due, _ = groups.decide(T0 + 171)
    # No alert slips out one by one during a storm: the summary waits for the interval.
    assert due == []
    due, _ = groups.decide(T0 + 300)
    assert sorted(sizes(due)) == [("group", 1), ("storm", 3412)]
    storm = next(b for b in due if b.kind == "storm")
    assert storm.key == "sqli-union-select"
    assert storm.distinct_clients == 3412


def test_few_clients_are_no_storm() -> None:
    groups = ChannelGroups(Policy(group_interval_secs=60, storm_clients=20))
    for number in range(19):
        groups.add(entry(T0, client=f"192.0.2.{number}"))
    assert sizes(groups.decide(T0 + 60)[0]) == [("group", 1)] * 19


def test_storm_counts_only_clients_within_the_window() -> None:
    groups = ChannelGroups(Policy(storm_clients=3, storm_window_secs=60))
    for number in range(3):
        groups.add(entry(T0 + number * 20, client=f"192.0.2.{number}"))
    assert groups.distinct_clients("sqli-union-select", T0 + 60) == 3
    assert groups.distinct_clients("sqli-union-select", T0 + 61) == 2


QUIET = QuietHours(daytime(22), daytime(7), "Europe/Berlin")


def berlin(hour: int, minute: int = 0) -> float:
    return datetime(2026, 11, 23, hour - 1, minute, tzinfo=UTC).timestamp()  # CET = UTC+1


def test_quiet_hours_hold_what_is_not_critical_until_they_end() -> None:
    groups = ChannelGroups(Policy(group_interval_secs=60, storm_clients=0, quiet_hours=QUIET))
    groups.add(entry(berlin(23)))
    groups.add(entry(berlin(23), client="192.0.2.5", critical=True))
    due, wake = groups.decide(berlin(23, 30))
    assert [(b.kind, b.critical) for b in due] == [("group", True)]  # critical bypasses
    groups.remove(due[0].ids)
    assert wake == datetime(2026, 11, 24, 6, 0, tzinfo=UTC).timestamp()  # 07:00 in Berlin
    assert groups.decide(berlin(23, 59))[0] == []
    assert sizes(groups.decide(wake)[0]) == [("group", 1)]


def test_quiet_hours_with_critical_hold_hold_everything() -> None:
    quiet = QuietHours(daytime(22), daytime(7), "Europe/Berlin", critical="hold")
    groups = ChannelGroups(Policy(group_interval_secs=60, quiet_hours=quiet))
    groups.add(entry(berlin(23), critical=True))
    assert groups.decide(berlin(23, 1))[0] == []


def test_quiet_hours_within_one_day() -> None:
    quiet = QuietHours(daytime(12), daytime(13), "UTC")
    assert quiet.active(T0 + 1800)
    assert not quiet.active(T0 + 3600)
    assert quiet.ends_at(T0 + 1800) == T0 + 3600


def test_the_rate_limit_folds_the_excess_into_one_overflow_message() -> None:
    policy = Policy(group_interval_secs=0, storm_clients=0, rate_limit_messages=3,
                    rate_limit_window_secs=3600)  # fmt: skip
    groups = ChannelGroups(policy)
    for number in range(10):
        groups.add(entry(T0 + number, client=f"192.0.2.{number}", critical=number == 7))
    due, _ = groups.decide(T0 + 10)
    # The critical group goes on a budget of its own; the 9 others share theirs.
    assert sizes(due) == [("group", 1), ("group", 1), ("group", 1), ("overflow", 7)]
    assert due[0].critical and not any(b.critical for b in due[1:])
    for batch in due:
        groups.remove(batch.ids)
        groups.sent(batch, T0 + 10)
    groups.add(entry(T0 + 20, client="192.0.2.77"))
    due, wake = groups.decide(T0 + 20)
    assert due == [] and wake == T0 + 10 + 3600  # no budget left: it waits, not lost
    assert sizes(groups.decide(T0 + 3610)[0]) == [("group", 1)]


def test_critical_alerts_have_a_budget_of_their_own_under_the_rate_limit() -> None:
    policy = Policy(group_interval_secs=0, storm_clients=0, rate_limit_messages=2,
                    rate_limit_window_secs=3600)  # fmt: skip
    groups = ChannelGroups(policy)

    def send(at: float) -> list[tuple[str, int]]:
        due, _ = groups.decide(at)
        for batch in due:
            groups.remove(batch.ids)
            groups.sent(batch, at)
        return sizes(due)

    for number in range(2):
        groups.add(entry(T0, client=f"192.0.2.{number}"))
    assert send(T0) == [("group", 1), ("group", 1)]  # the budget of lesser alerts is spent
    groups.add(entry(T0 + 400, client="198.51.100.7", critical=True))
    assert send(T0 + 400) == [("group", 1)]  # not at T0 + 3600
    # The critical budget is bounded too: a flood of critical groups folds into one overflow.
    for number in range(5):
        groups.add(entry(T0 + 500, client=f"203.0.113.{number}", critical=True))
    assert send(T0 + 500) == [("overflow", 5)]
    groups.add(entry(T0 + 600, client="203.0.113.99", critical=True))
    assert send(T0 + 600) == []


def test_a_storm_of_critical_alerts_is_a_bounded_number_of_immediate_summaries() -> None:
    groups = ChannelGroups(Policy(group_interval_secs=300, storm_clients=20, storm_window_secs=300))
    for number in range(20):
        groups.add(entry(T0, client=f"10.0.0.{number}"))
    sent_at = []
    for second in range(1, 302):
        if second <= 30:  # a critical alert from a new client every second
            groups.add(entry(T0 + second, client=f"198.51.100.{second}", critical=True))
        due, _ = groups.decide(T0 + second)
        for batch in due:
            assert batch.kind == "storm" and batch.critical
            groups.remove(batch.ids)
            groups.sent(batch, T0 + second)
            sent_at.append((second, len(batch.ids)))
    # At once for the first few (the first with the 20 lesser alerts), then the rule's
    # summaries wait again: the first immediate one leaves the storm window at T0 + 301.
    first = [(second, 1) for second in range(2, STORM_CRITICAL_MESSAGES + 1)]
    assert sent_at == [(1, 21), *first, (301, 30 - STORM_CRITICAL_MESSAGES)]


# --- a whole notifier on a fake clock ------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    server.start()
    yield server
    server.stop()


def notifier(
    tmp_path: Path, receiver: WebhookReceiver, clock: FakeClock, **channel: object
) -> Notifier:
    settings = parse_notify_settings(
        {"channels": {"hook": {"type": "webhook", "url": receiver.url, "secret": WEBHOOK_SECRET,
                               "min_severity": "medium", **channel}}},
        file="test.toml",
    )  # fmt: skip
    return Notifier(settings, tmp_path / "outbox.db", clock=clock, start=False)


def bodies(receiver: WebhookReceiver) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(r["body"]) for r in receiver.accepted()]


def test_storm_summary_names_the_rule_the_client_count_and_the_top_ten(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    clock = FakeClock(T0)
    notify = notifier(tmp_path, receiver, clock, storm_clients=50, group_interval_secs=300)
    for number in range(400):
        clock.now = T0 + number * 0.5
        client = "203.0.113.9" if number % 4 == 0 else f"10.0.{number // 200}.{number % 200}"
        notify.submit([make_alert(number, client=client)])
        notify.pump()
    clock.now = T0 + 300
    notify.pump()
    assert notify.deliver() == 1
    (summary,) = bodies(receiver)
    assert summary["kind"] == "storm"
    assert summary["title"].startswith("storm: sqli-union-select from 301 clients in the last 5")
    assert summary["total_alerts"] == 400
    assert summary["clients"][0] == {"client": "203.0.113.9", "alerts": 100}
    assert len(summary["clients"]) == 10
    assert "sqli-union-select: 301 clients in the last 5 minutes, top 10:" in summary["text"]
    notify.close()


def test_a_per_client_group_message_says_what_where_who_and_what_to_do(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    clock = FakeClock(T0)
    notify = notifier(tmp_path, receiver, clock, group_interval_secs=60)
    notify.submit([make_alert(1, client="203.0.113.9", host="shop.example")])
    notify.submit([make_alert(2, client="203.0.113.9", rule="xss-script-tag",
                              categories=("xss",), host="shop.example")])  # fmt: skip
    notify.pump()
    assert notify.deliver() == 0
    clock.now = T0 + 60
    notify.pump()
    assert notify.deliver() == 1
    (message,) = bodies(receiver)
    assert message["title"] == "2 alerts from 203.0.113.9 (high: sqli-union-select, xss-script-tag)"
    assert message["hosts"] == [{"host": "shop.example", "alerts": 2}]
    assert "line: 203.0.113.9 - - [23/Nov/2026" in message["text"]
    assert "sqli: check the application's database log for this request" in message["text"]
    assert "xss: " in message["text"]
    notify.close()


def test_a_critical_alert_behind_a_storm_goes_out_at_once_in_the_storms_summary(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    # The red team's case: 20 clients raise a rule's alerts (a storm by the defaults), then
    # another attacker's critical alert of the same rule at 30 s.
    clock = FakeClock(T0)
    notify = notifier(tmp_path, receiver, clock)
    for number in range(20):
        clock.now = T0 + number
        notify.submit([make_alert(number, client=f"192.0.2.{number}", rule="attack-repeat")])
        notify.pump()
    assert notify.deliver() == 0
    clock.now = T0 + 30
    notify.submit([make_alert(99, client="198.51.100.7", rule="attack-repeat",
                              severity=Severity.CRITICAL)])  # fmt: skip
    notify.pump()
    assert notify.deliver() == 1  # not at T0 + 300
    (summary,) = bodies(receiver)
    assert summary["kind"] == "storm" and summary["severity"] == "critical"
    assert summary["total_alerts"] == 21
    assert summary["alerts"][-1]["client"] == "198.51.100.7"  # shown in full
    notify.close()


def test_a_critical_alert_is_sent_at_once_though_lesser_ones_spent_the_rate_limit(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    clock = FakeClock(T0)
    notify = notifier(tmp_path, receiver, clock, group_interval_secs=0, rate_limit_messages=3)
    for number in range(4):
        notify.submit([make_alert(number, client=f"203.0.113.{number}")])
    notify.pump()
    assert notify.deliver() == 3  # three messages: the third folds two groups
    clock.now = T0 + 400
    notify.submit([make_alert(7, client="198.51.100.7", severity=Severity.CRITICAL)])
    notify.submit([make_alert(8, client="203.0.113.50")])
    notify.pump()
    assert notify.deliver() == 1  # the critical one; the lesser one waits for its budget
    assert bodies(receiver)[-1]["title"] == "critical sqli-union-select: 198.51.100.7 on web1"
    notify.close()


def test_severity_floor_and_filters_keep_alerts_out(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    clock = FakeClock(T0)
    notify = notifier(tmp_path, receiver, clock, group_interval_secs=0, min_severity="high",
                      exclude_categories=["scanner"])  # fmt: skip
    notify.submit([make_alert(1, severity=Severity.MEDIUM)])
    notify.submit([make_alert(2, rule="scan-404-burst", categories=("scanner",))])
    notify.submit([make_alert(3)])
    notify.pump()
    notify.deliver()
    assert [m["alerts"][0]["rule"] for m in bodies(receiver)] == ["sqli-union-select"]
    assert notify.stats_fields()["notify_filtered"] == 2
    notify.close()
