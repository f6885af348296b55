"""The real omprog program verifying crawler claims against a real DNS server (dnsmasq on
127.0.0.1): exactly the expected alerts, none when off, bounded lookups and memory under a
flood of addresses, and no line or exit held up by a DNS server that hangs."""

from __future__ import annotations

import re
import time
from pathlib import Path

from lwsyslog.crawlers import FAKE_CRAWLER
from tests.unit.dns_server import (
    FOREIGN,
    FORGED,
    NO_PTR,
    REAL,
    SLOW,
    LocalDns,
    access_line,
    crawler_config,
)
from tests.unit.omprog_run import RunningProgram, base_config, envelope, wait_until


def fake_alerts(tmp_path: Path) -> dict[str, str]:
    """client -> messages-file line, for every bad-bot-fake-crawler alert."""
    path = tmp_path / "messages"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    found: dict[str, str] = {}
    for line in lines:
        if f" {FAKE_CRAWLER} " in line:
            client = re.search(r" client=(\S+)", line)
            assert client is not None and client.group(1) not in found, line
            found[client.group(1)] = line
    return found


def test_program_raises_exactly_the_expected_alerts(tmp_path: Path, dns_server: LocalDns) -> None:
    textfile = tmp_path / "metrics.prom"
    metrics = f'[metrics]\ntextfile = "{textfile}"\n'
    program = RunningProgram(tmp_path, base_config(tmp_path, crawler_config(dns_server) + metrics))
    try:
        lines = [
            envelope(access_line(ip, second=s))
            for ip in (REAL, FORGED, FOREIGN, NO_PTR, SLOW)
            for s in (1, 2)
        ]
        assert program.send(*lines) == ["OK"] * len(lines)
        # Raised when the verdicts arrive, with no further line to carry them.
        wait_until(lambda: len(fake_alerts(tmp_path)) == 3, "three fake-crawler alerts")
        time.sleep(1.5)  # SLOW's lookup has timed out by now: still no alert for it
        assert program.finish() == 0
    finally:
        program.close()
    alerts = fake_alerts(tmp_path)
    assert sorted(alerts) == sorted([FORGED, FOREIGN, NO_PTR])
    for client, line in alerts.items():
        assert " medium bad-bot-fake-crawler " in line and "categories=bad-bot" in line
        assert f"line: {access_line(client, second=1)}" in line  # the first line is the sample
    stats = program.stats_lines()[-1]
    assert stats["crawler_verified"] == "1" and stats["crawler_fake"] == "3"
    assert stats["crawler_unresolved"] == "1" and stats["crawler_lookups"] == "5"
    # The same figures for Prometheus (written at exit), counters and the cache as gauges.
    exposition = textfile.read_text(encoding="utf-8")
    for name, value in (("crawler_fake_total", 3), ("crawler_verified_total", 1)):
        assert f'lwsyslog_{name}{{omprog_instance="default"}} {value}.0' in exposition
    assert "# TYPE lwsyslog_crawler_cache_entries gauge" in exposition


def test_program_looks_nothing_up_when_verification_is_off(
    tmp_path: Path, dns_server: LocalDns
) -> None:
    table = f'[crawlers]\nverify = false\nresolver = "{dns_server.address}"\n'
    program = RunningProgram(tmp_path, base_config(tmp_path, table))
    try:
        lines = [envelope(access_line(ip)) for ip in (REAL, FORGED, FOREIGN, NO_PTR, SLOW)]
        assert program.send(*lines) == ["OK"] * len(lines)
        time.sleep(1.0)
        assert program.finish() == 0
    finally:
        program.close()
    assert fake_alerts(tmp_path) == {}
    assert dns_server.queries() == []
    assert "crawler_claims" not in program.stats_lines()[-1]


def test_a_flood_of_claimed_crawlers_costs_bounded_lookups_and_memory(
    tmp_path: Path, dns_server: LocalDns
) -> None:
    rate = 20
    table = crawler_config(
        dns_server,
        max_lookups_per_sec=rate,
        max_pending=100,
        max_cache_entries=500,
        max_cache_bytes=65536,
    )
    program = RunningProgram(tmp_path, base_config(tmp_path, table))
    try:
        addresses = [f"45.{90 + n // 62500}.{n // 250 % 250}.{n % 250 + 1}" for n in range(5000)]
        started = time.monotonic()
        for chunk in range(0, len(addresses), 500):
            batch = [envelope(access_line(ip)) for ip in addresses[chunk : chunk + 500]]
            assert program.send(*batch) == ["OK"] * len(batch)
        time.sleep(max(3.0 - (time.monotonic() - started), 0))
        asked = len(dns_server.queries())
        elapsed = time.monotonic() - started
        # The DNS server saw no more than the rate allows, and the worker did work.
        assert rate <= asked <= 1 + rate * elapsed, (asked, elapsed)
        assert program.finish() == 0
    finally:
        program.close()
    stats = program.stats_lines()[-1]
    assert int(stats["crawler_claims"]) == 5000
    assert int(stats["crawler_pending"]) <= 100
    assert int(stats["crawler_dropped"]) >= 5000 - 100 - int(stats["crawler_lookups"])
    assert int(stats["crawler_cache_entries"]) <= 500
    assert int(stats["crawler_cache_bytes"]) <= 65536


def test_program_answers_and_exits_promptly_while_dns_hangs(
    tmp_path: Path, dns_server: LocalDns
) -> None:
    table = crawler_config(dns_server, timeout_secs=30, max_lookups_per_sec=1000)
    program = RunningProgram(tmp_path, base_config(tmp_path, table))
    dns_server.pause()  # questions now go unanswered (30 s before any lookup gives up)
    try:
        slowest = 0.0
        started = time.monotonic()
        for n in range(300):
            sent = time.monotonic()
            assert program.send(envelope(access_line(f"45.91.{n // 250}.{n % 250 + 1}"))) == ["OK"]
            slowest = max(slowest, time.monotonic() - sent)
        total = time.monotonic() - started
        assert slowest < 1.0 and total < 5.0, (slowest, total)
        time.sleep(0.6)  # a housekeeping tick with every lookup still in flight
        assert program.send(envelope(access_line(SLOW))) == ["OK"]
        ending = time.monotonic()
        assert program.finish() == 0
        assert time.monotonic() - ending < 5.0  # the exit did not wait for the 30 s lookups
    finally:
        program.close()
        dns_server.resume()
    stats = program.stats_lines()[-1]
    assert int(stats["crawler_lookups"]) == 16  # max_in_flight hung, none started after
    assert fake_alerts(tmp_path) == {}
