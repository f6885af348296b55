"""Crawler verification under hostile input, against a real DNS server (dnsmasq on 127.0.0.1):
what a log line or a reverse zone says reaches the alert outputs escaped and bounded, and a
flood of new addresses claiming Googlebot neither grows memory nor floods the resolver."""

from __future__ import annotations

import gc
import ipaddress
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from lwsyslog.config import load_config
from lwsyslog.crawlers import FAKE_CRAWLER
from lwsyslog.crawlers.catalog import Catalog
from lwsyslog.crawlers.verdict import Lookup, Outcome, judge
from lwsyslog.crawlers.watch import CrawlerWatch
from lwsyslog.events import AccessEvent, Origin
from lwsyslog.pipeline import Pipeline, parser_for
from lwsyslog.sinks.memory import MemorySink
from lwsyslog.sinks.messages_file import MessagesFileSink
from tests.unit.dns_server import GOOGLEBOT_UA, NO_PTR, REAL6, LocalDns, access_line, crawler_config

QUIET = "[sinks.journald]\nenabled = false\n[sinks.messages_file]\nenabled = false\n"
#: An address whose reverse name is long and under no crawler's domain.
LONG_PTR = "45.6.6.6"
LONG_NAME = ".".join(["x" * 60] * 3) + ".clients.example.net"
RAW_CONTROLS = ("\x1b", "\x07", "\x00", "\u202e", "\r")


@pytest.fixture
def dns_server(tmp_path: Path) -> Iterator[LocalDns]:
    server = LocalDns(tmp_path, (f"ptr-record=6.6.6.45.in-addr.arpa,{LONG_NAME}",))
    try:
        yield server
    finally:
        server.stop()


def test_hostile_agents_addresses_and_names_reach_the_outputs_escaped(
    tmp_path: Path, dns_server: LocalDns
) -> None:
    path = tmp_path / "lwsyslog.toml"
    path.write_text(QUIET + crawler_config(dns_server), encoding="utf-8")
    messages = tmp_path / "messages"
    memory = MemorySink()
    pipeline = Pipeline(load_config([path]), [memory, MessagesFileSink(messages)])
    hostile_ua = "\x1b[2J\x07Googlebot/2.1 \u202e(compatible)\x1b]0;owned\x07"
    scoped = f"{REAL6}%\x1b[31meth0"  # an IPv6 scope is free text: never asked, never shown
    lines = [
        access_line(NO_PTR, hostile_ua),
        access_line(LONG_PTR, GOOGLEBOT_UA),
        access_line(scoped, GOOGLEBOT_UA),
    ]
    for number, line in enumerate(lines, start=1):
        pipeline.process(line, Origin("access.log", number))
    pipeline.deliver_verdicts(wait_secs=10)
    pipeline.close()
    alerts = {a.client_ip: a for a in memory.alerts if a.rule == FAKE_CRAWLER}
    assert sorted(alerts) == sorted([NO_PTR, LONG_PTR])
    # The reverse name is shown cut short (the zone's owner chooses it), the sample whole.
    assert LONG_NAME not in alerts[LONG_PTR].message
    assert LONG_NAME[:80] in alerts[LONG_PTR].message
    assert len(alerts[LONG_PTR].message) < 300
    written = messages.read_text(encoding="utf-8")
    assert written.count(FAKE_CRAWLER) == 2
    for char in RAW_CONTROLS:
        assert char not in written, repr(char)
    assert "\\x1b[2J\\x07Googlebot/2.1" in written  # escaped, still readable
    assert dns_server.queries() == ["1.1.79.45.in-addr.arpa", "6.6.6.45.in-addr.arpa"]


def test_reverse_names_with_control_characters_are_escaped_in_the_reason() -> None:
    catalog = Catalog(load_config([]).crawlers.catalog)
    googlebot = catalog.claimed(GOOGLEBOT_UA)
    assert googlebot is not None
    address = ipaddress.ip_address("45.7.7.7")
    for name in ("crawl\x1b[2J.googlebot.com", "evil\u202e\x07" + "y" * 500 + ".example.net"):
        _, reason = judge(googlebot, address, Lookup(Outcome.ANSWERED, (name,)))
        assert not any(char in reason for char in RAW_CONTROLS), reason
        assert len(reason) < 250


def _events(count: int, start: int) -> Iterator[AccessEvent]:
    """Access events from ``count`` addresses never seen before, all claiming Googlebot: every
    other one private (not looked up, so cached at line speed), the rest global."""
    parser = parser_for(load_config([]))
    for n in range(start, start + count):
        first = 10 if n % 2 else 45
        ip = f"{first}.{100 + (n >> 16 & 63)}.{n >> 8 & 255}.{n & 255}"
        event = parser.parse(access_line(ip, path=f"/p{n}"), Origin("flood", n))
        assert isinstance(event, AccessEvent)
        yield event


def test_a_flood_of_new_addresses_keeps_memory_and_questions_bounded(
    tmp_path: Path, dns_server: LocalDns
) -> None:
    rate = 20.0
    table = crawler_config(
        dns_server,
        max_lookups_per_sec=rate,
        max_pending=200,
        max_cache_entries=100_000,  # the byte bound is the one that holds here
        max_cache_bytes=1 << 16,
        negative_ttl_secs=3600,
    )
    config_path = tmp_path / "flood.toml"
    config_path.write_text(table, encoding="utf-8")
    settings = load_config([config_path]).crawlers
    watch = CrawlerWatch(settings)
    started = time.monotonic()
    try:

        def run(count: int, start: int) -> None:
            for number, event in enumerate(_events(count, start)):
                watch.observe(event)
                if number % 500 == 0:
                    watch.collect()  # as the program's tick does
                    time.sleep(0.01)

        # Traced from the start, so what the steady state holds is counted before and after.
        tracemalloc.start()
        run(20_000, 0)  # fills the pending table, the cache and the User-Agent memory
        watch.collect()
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        run(40_000, 20_000)
        watch.collect()
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        elapsed = time.monotonic() - started
        asked = len(dns_server.queries())
    finally:
        watch.close()
    fields = watch.stats_fields()
    assert fields["crawler_claims"] == 60_000
    # 40,000 more addresses and the watch holds about what it held: kept, they would cost
    # 600 bytes or more each (24 MB); the slack is for what is in flight at either moment.
    assert grown < 64 * 1024, grown
    assert fields["crawler_pending"] <= 200
    assert fields["crawler_cache_bytes"] <= 1 << 16
    # The first 200 private addresses (and those met while the pending table had room) were
    # cached unasked; the byte bound evicted all but the last ~100.
    assert fields["crawler_skipped"] >= 200
    assert fields["crawler_cache_evictions"] >= fields["crawler_skipped"] - 100
    assert (
        fields["crawler_dropped"]
        >= 60_000 - fields["crawler_skipped"] - 200 - fields["crawler_lookups"]
    )
    # The resolver was asked at most as often as the rate allows (and was asked).
    assert 0 < asked <= 1 + rate * elapsed, (asked, elapsed)
    assert fields["crawler_lookups"] <= 1 + rate * elapsed


def test_a_backtracking_crawler_pattern_costs_linear_time(tmp_path: Path) -> None:
    path = tmp_path / "lwsyslog.toml"
    path.write_text(
        '[crawlers.catalog.evil]\nuser_agent = "(a|aa)+b"\ndomains = ["evil.example"]\n',
        encoding="utf-8",
    )
    catalog = Catalog(load_config([path]).crawlers.catalog)
    started = time.perf_counter()
    # Python's re needs about 7 s here (it tries every split of the a's; with 60 a's, years).
    assert catalog.claimed("a" * 34 + "c") is None
    assert time.perf_counter() - started < 0.5
    claim = catalog.claimed("Mozilla/5.0 aab")
    assert claim is not None and claim.name == "evil"
