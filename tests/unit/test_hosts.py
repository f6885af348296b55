"""Silent web hosts: the tracker on injected clocks, and the alerts it makes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from lwsyslog.config import load_config
from lwsyslog.hosts import (
    HOST_BACK,
    HOST_SILENT,
    RESTART_GRACE_SECS,
    HostEvent,
    HostTracker,
    host_alert,
)
from lwsyslog.settings import HostSettings
from lwsyslog.severity import Severity
from lwsyslog.sinks.journald import journald_fields
from lwsyslog.sinks.messages_file import format_alert_line
from lwsyslog.status.monitor import Monitor

START = 1_800_000_000.0
#: Where the monotonic clock stands when the wall clock shows START.
MONO_START = 5_000.0


class Clock:
    """A wall clock and a monotonic one: ``now += secs`` moves both, ``step`` the wall only."""

    def __init__(self) -> None:
        self.now = START
        self.mono = MONO_START

    def __iadd__(self, secs: float) -> Clock:
        self.now += secs
        self.mono += secs
        return self

    def step(self, secs: float) -> None:
        self.now += secs

    def wall(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.mono


def tracker(**settings: object) -> tuple[HostTracker, Clock]:
    clock = Clock()
    hosts = HostTracker(
        HostSettings(**settings),  # type: ignore[arg-type]
        clock=clock.monotonic,
        wall_clock=clock.wall,
    )
    return hosts, clock


def test_a_quiet_host_is_reported_once_then_once_when_back() -> None:
    hosts, clock = tracker(silent_after_secs=900)
    assert hosts.seen(["web1", "web2"]) == []
    clock += 600
    hosts.seen(["web2"])
    clock += 299
    assert hosts.check() == []
    clock += 2
    (silent,) = hosts.check()
    assert (silent.rule, silent.host, silent.silence_secs) == (HOST_SILENT, "web1", 901)
    clock += 3600
    later = hosts.check()
    assert [e.host for e in later] == ["web2"]  # web1 is not reported a second time
    (back,) = hosts.seen(["web1"])
    assert (back.rule, back.host, back.silence_secs) == (HOST_BACK, "web1", 4501)
    assert hosts.seen(["web1"]) == [] and hosts.silent == 1


def test_per_host_limits_and_zero_turn_it_off() -> None:
    hosts, clock = tracker(
        silent_after_secs=60,
        silent_after_secs_per_host={"batch": 0.0, "slow": 3600.0},
    )
    hosts.seen(["web1", "batch", "slow"])
    clock += 100_000
    assert sorted(e.host for e in hosts.check()) == ["slow", "web1"]
    off, _ = tracker(silent_after_secs=0)
    off.seen(["web1"])
    assert off.check(MONO_START + 10**7) == []


def test_memory_is_bounded_by_forgetting_the_longest_quiet_host() -> None:
    hosts, clock = tracker(silent_after_secs=60, max_hosts=3)
    for name in ("a", "b", "c"):
        hosts.seen([name])
        clock += 1
    hosts.seen(["a"])  # a is recent again: b is now the longest quiet
    hosts.seen(["d"])
    assert sorted(hosts.hosts) == ["a", "c", "d"] and hosts.evictions == 1
    hosts.seen(f"flood{n}" for n in range(1000))
    assert len(hosts) == 3 and hosts.evictions == 1001


def test_after_a_start_remembered_hosts_get_a_grace_then_their_silence_counts() -> None:
    hosts, clock = tracker(silent_after_secs=900)
    hosts.restore({"web1": (START - 5000, False), "web2": (START - 5000, True)})
    assert hosts.check() == []  # the backlog rsyslog kept may still be on its way
    clock += RESTART_GRACE_SECS
    assert [e.host for e in hosts.check()] == ["web1"]  # web2 was already reported
    assert [e.rule for e in hosts.seen(["web2"])] == [HOST_BACK]


def test_host_alerts_name_the_host_everywhere_an_alert_is_shown() -> None:
    hosts, clock = tracker(silent_after_secs=900)
    hosts.seen(["web1.example.org"])
    clock += 1000
    (event,) = hosts.check()
    alert = host_alert(event, Severity.HIGH)
    assert (alert.rule, alert.severity, alert.host, alert.categories) == (
        "host-silent",
        Severity.HIGH,
        "web1.example.org",
        (),
    )
    fields = dict(journald_fields(alert))
    assert "LWSYSLOG_CATEGORY" not in fields  # a silent host is no attack category
    assert fields["MESSAGE"].startswith("high host-silent on web1.example.org: sent nothing for")
    assert fields["LWSYSLOG_HOST"] == "web1.example.org"
    assert "[source web1.example.org/-:0]" in format_alert_line(alert)
    (back,) = hosts.seen(["web1.example.org"])
    assert host_alert(back, Severity.HIGH).severity is Severity.LOW


def test_a_hostile_host_name_reaches_the_journal_made_visible() -> None:
    hosts, clock = tracker(silent_after_secs=1)
    hosts.seen(["web1\x1b[2J\nFAKE"])
    clock += 100
    (event,) = hosts.check()
    message = dict(journald_fields(host_alert(event, Severity.HIGH)))["MESSAGE"]
    assert "\x1b" not in message and "\n" not in message and "\\x1b[2J" in message


def test_times_a_peer_saw_count_only_when_newer() -> None:
    hosts, clock = tracker(silent_after_secs=60)
    hosts.seen(["web1"])
    clock += 100
    assert [e.host for e in hosts.check()] == ["web1"]
    assert hosts.seen_at({"web1": START - 10, "web9": START + 50}) == []  # older: no news
    (back,) = hosts.seen_at({"web1": START + 90})
    assert back.rule == HOST_BACK and hosts.snapshot()["web1"] == (START + 90, False)
    assert hosts.snapshot()["web9"] == (START + 50, False)


def test_a_clock_stepped_back_does_not_hide_a_silence() -> None:
    hosts, clock = tracker(silent_after_secs=120)
    hosts.seen(["web1"])
    clock.step(-3600)  # NTP or `date -s`, just before web1's rsyslogd is stopped
    clock += 121
    (silent,) = hosts.check()
    assert (silent.host, silent.silence_secs) == ("web1", 121)
    # Dated on the clock as it is now, so the alert's times agree with its silence.
    assert silent.when == START - 3600 + 121 and silent.last_line == START - 3600
    assert hosts.snapshot() == {"web1": (START - 3600, True)}


def test_a_clock_stepped_forward_does_not_invent_a_silence() -> None:
    hosts, clock = tracker(silent_after_secs=120)
    hosts.seen(["web1"])
    clock.step(3600)
    clock += 60
    assert hosts.check() == []
    hosts.seen(["web1"])
    clock += 119
    assert hosts.check() == []
    assert hosts.snapshot() == {"web1": (START + 3600 + 60, False)}


def test_a_restart_reads_remembered_times_on_the_clock_as_it_is_now() -> None:
    hosts, clock = tracker(silent_after_secs=900)
    # Written before the clock was stepped back: ahead of it now, so as recent as can be.
    hosts.restore({"web1": (START + 3600, False), "web2": (START - 500, False)})
    assert hosts.snapshot() == {"web2": (START - 500, False), "web1": (START, False)}
    clock += 400
    assert [e.host for e in hosts.check()] == ["web2"]
    clock += 500
    assert [e.host for e in hosts.check()] == ["web1"]


def test_a_peer_time_from_before_a_backward_step_does_not_end_a_silence() -> None:
    hosts, clock = tracker(silent_after_secs=60)
    hosts.seen(["web1"])
    clock += 100
    assert [e.host for e in hosts.check()] == ["web1"]
    clock.step(-3600)  # the peer's file still has web1's last line on the old clock
    assert hosts.seen_at({"web1": START + 90}) == []
    # What this tracker wrote comes back from the peer a little moved: no news either.
    (last_line, _) = hosts.snapshot()["web1"]
    clock += 10
    assert hosts.seen_at({"web1": last_line + 0.5}) == []
    assert hosts.silent == 1


def test_the_monitor_checks_on_the_monotonic_clock(tmp_path: Path) -> None:
    clock = Clock()
    config = dataclasses.replace(load_config([]), hosts=HostSettings(silent_after_secs=120))
    monitor = Monitor(
        config,
        state_dir=tmp_path,
        instance="default",
        report=lambda key, message: None,
        wall_clock=clock.wall,
        clock=clock.monotonic,
    )
    try:
        for _ in range(120):
            assert monitor.housekeep({"web1": None}, None) == []
            clock += 1
        clock.step(-3600)
        events: list[HostEvent] = []
        for _ in range(130):
            clock += 1
            events += monitor.housekeep({}, None)
        assert [(e.rule, e.host) for e in events] == [(HOST_SILENT, "web1")]
    finally:
        monitor.close()
