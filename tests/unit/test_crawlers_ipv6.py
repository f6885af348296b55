"""Crawler verification of IPv6 clients per /64, against a real DNS server (dnsmasq on
127.0.0.1): one /64 has at most one check pending, so it cannot starve the checks of other
clients; its verdict stands for the whole /64 (one alert per /64 and crawler until the verdict
expires); a verified crawler's /64 is trusted, its neighbours are not; IPv4 addresses and the
IPv6 addresses that are no site's /64 keep their own keys."""

from __future__ import annotations

import json
from ipaddress import ip_address
from pathlib import Path

import pytest

from lwsyslog.alerts import Alert
from lwsyslog.config import load_config
from lwsyslog.crawlers import FAKE_CRAWLER
from lwsyslog.events import Origin
from lwsyslog.pipeline import Pipeline
from lwsyslog.sinks.memory import MemorySink
from tests.unit.dns_server import (
    BINGBOT_UA,
    NO_PTR,
    REAL,
    REAL6,
    LocalDns,
    access_line,
    crawler_config,
)

QUIET = "[sinks.journald]\nenabled = false\n[sinks.messages_file]\nenabled = false\n"
#: An attacker's /64 (no reverse names), and the addresses it rotates through.
ATTACKER_64 = "2a01:4f8:1:2::/64"
REAL6_64 = "2001:4860:4801:10::/64"


def attacker(n: int) -> str:
    """The ``n``th address of :data:`ATTACKER_64`."""
    return f"2a01:4f8:1:2::{n:x}"


def make_pipeline(tmp_path: Path, table: str) -> tuple[Pipeline, MemorySink]:
    path = tmp_path / "lwsyslog.toml"
    path.write_text(QUIET + table, encoding="utf-8")
    sink = MemorySink()
    return Pipeline(load_config([path]), [sink]), sink


def feed(pipeline: Pipeline, lines: list[str], first: int = 1) -> None:
    for number, line in enumerate(lines, start=first):
        pipeline.process(line, Origin("access.log", number))


def fakes(sink: MemorySink) -> list[Alert]:
    return [a for a in sink.alerts if a.rule == FAKE_CRAWLER]


def test_one_ipv6_64_cannot_starve_the_checks_of_other_clients(
    tmp_path: Path, dns_server: LocalDns, capsys: pytest.CaptureFixture[str]
) -> None:
    from lwsyslog.cli.main import main

    # The red-team scenario: more addresses of one /64 than max_pending (1,000) can hold,
    # then one IPv4 fake. Per address, the /64 filled the table and the IPv4 claim was dropped.
    lines = [access_line(attacker(n)) for n in range(1, 1501)]
    log = tmp_path / "access.log"
    log.write_text("\n".join([*lines, access_line(NO_PTR, second=1)]) + "\n", encoding="utf-8")
    config = tmp_path / "lwsyslog.toml"
    config.write_text(QUIET + crawler_config(dns_server, scan_wait_secs=3), encoding="utf-8")
    assert main(["scan", "--json", "--config", str(config), str(log)]) == 0
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    alerts = {r["key"]: r for r in records if r.get("rule") == FAKE_CRAWLER}
    assert NO_PTR in alerts, "the IPv4 claim was checked"
    assert sorted(alerts) == sorted([ATTACKER_64, NO_PTR])  # one alert for the /64, no storm
    assert "has no reverse DNS name" in alerts[NO_PTR]["message"]
    flood = alerts[ATTACKER_64]
    assert flood["count"] == 1500 and flood["client_ip"] == attacker(1)
    assert flood["first"]["line"] == 1 and flood["last"]["line"] == 1500
    assert f"{ATTACKER_64} claims to be Googlebot, but {attacker(1)} has no" in flood["message"]
    assert "no verdict" not in err
    assert len(dns_server.queries()) == 2  # one check for the /64, one for the IPv4 address


def test_a_fake_64_is_judged_by_its_verdict_and_alerted_once_per_crawler(
    tmp_path: Path, dns_server: LocalDns
) -> None:
    pipeline, sink = make_pipeline(tmp_path, crawler_config(dns_server))
    feed(pipeline, [access_line(attacker(1))])
    pipeline.deliver_verdicts(wait_secs=10)
    assert len(dns_server.queries()) == 1
    # Other addresses of the /64: judged by its verdict at once, no question, no new alert.
    feed(pipeline, [access_line(attacker(n)) for n in range(2, 202)], first=2)
    pipeline.deliver_verdicts(wait_secs=1)
    assert [(a.key, a.client_ip, a.count) for a in fakes(sink)] == [(ATTACKER_64, attacker(1), 1)]
    # Another crawler claimed from the /64 is its own alert, from the same verdict.
    feed(pipeline, [access_line(attacker(999), BINGBOT_UA, path="/b")], first=300)
    pipeline.deliver_verdicts()
    alerts = fakes(sink)
    assert [(a.key, a.client_ip) for a in alerts[1:]] == [(ATTACKER_64, attacker(999))]
    assert "claims to be Bingbot" in alerts[1].message
    assert alerts[1].sample == access_line(attacker(999), BINGBOT_UA, path="/b")
    assert len(dns_server.queries()) == 1
    fields = pipeline.crawlers.stats_fields() if pipeline.crawlers else {}
    assert fields["crawler_lookups"] == 1 and fields["crawler_alerts"] == 2
    pipeline.close()


def test_a_verified_crawlers_64_is_trusted_and_its_neighbours_are_checked(
    tmp_path: Path, dns_server: LocalDns
) -> None:
    pipeline, sink = make_pipeline(tmp_path, crawler_config(dns_server))
    feed(pipeline, [access_line(REAL6)])
    pipeline.deliver_verdicts(wait_secs=10)
    # Another address of Google's /64 (no reverse name of its own): trusted with the /64.
    # The next /64 is not Google's crawler /64: checked, and a fake.
    neighbour = "2001:4860:4801:11::1"
    feed(pipeline, [access_line("2001:4860:4801:10::2"), access_line(neighbour)], first=2)
    pipeline.deliver_verdicts(wait_secs=10)
    pipeline.close()
    assert [(a.key, a.client_ip) for a in fakes(sink)] == [("2001:4860:4801:11::/64", neighbour)]
    assert dns_server.queries() == [ip_address(ip).reverse_pointer for ip in (REAL6, neighbour)]


def test_ipv4_and_clients_that_are_no_sites_64_keep_their_own_keys(
    tmp_path: Path, dns_server: LocalDns
) -> None:
    from lwsyslog.crawlers.watch import verdict_key

    assert verdict_key("2A01:04F8:0001:0002::5dc") == ATTACKER_64
    assert verdict_key(REAL6) == REAL6_64
    # Scoped addresses, the local-use NAT64 prefix and names are no /64 of one site; an
    # IPv4-mapped or 64:ff9b::/96 address is the IPv4 address it carries.
    for client in (REAL, "64:ff9b:1:2::2d4f:101", f"{REAL6}%eth0", "a.example"):
        assert verdict_key(client) == client
    for client in ("64:ff9b::2d4f:101", "::ffff:45.79.1.1", "::FFFF:2d4f:101"):
        assert verdict_key(client) == NO_PTR
    pipeline, sink = make_pipeline(tmp_path, crawler_config(dns_server))
    clients = ["66.249.66.2", "64:ff9b::2d4f:101", "64:ff9b::2d4f:102", f"{attacker(1)}%eth0"]
    # A scoped address is never checked, and does not decide for its /64 (nor REAL's check
    # for its IPv4 neighbour).
    feed(pipeline, [access_line(c) for c in [REAL, *clients, attacker(1), REAL6]])
    pipeline.deliver_verdicts(wait_secs=10)
    pipeline.close()
    alerts = {a.key: a.client_ip for a in fakes(sink)}
    assert alerts == {
        "66.249.66.2": "66.249.66.2",
        NO_PTR: "64:ff9b::2d4f:101",
        "45.79.1.2": "64:ff9b::2d4f:102",
        ATTACKER_64: attacker(1),
    }
    assert len(dns_server.queries()) == 6
