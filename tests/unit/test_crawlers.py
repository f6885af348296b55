"""Crawler verification in the pipeline, against a real DNS server (dnsmasq on 127.0.0.1):
which claims raise bad-bot-fake-crawler and which never do, what is cached, what the config
accepts, and how the catalog reads User-Agents."""

from __future__ import annotations

import ipaddress
import json
import time
import tracemalloc
from pathlib import Path

import pytest

from lwsyslog.alerts import Alert
from lwsyslog.config import load_config
from lwsyslog.crawlers import FAKE_CRAWLER
from lwsyslog.crawlers.cache import ENTRY_BYTES, NAME_BYTES, ResolutionCache
from lwsyslog.crawlers.catalog import Catalog, under
from lwsyslog.crawlers.verdict import Lookup, Outcome, Verdict
from lwsyslog.errors import ConfigError
from lwsyslog.events import Origin
from lwsyslog.pipeline import Pipeline
from lwsyslog.sinks.memory import MemorySink
from tests.unit.dns_server import (
    BINGBOT_UA,
    FOREIGN,
    FORGED,
    NO_PTR,
    NO_PTR6,
    REAL,
    REAL6,
    SLOW,
    LocalDns,
    access_line,
    crawler_config,
)

QUIET = "[sinks.journald]\nenabled = false\n[sinks.messages_file]\nenabled = false\n"


def make_pipeline(tmp_path: Path, table: str) -> tuple[Pipeline, MemorySink]:
    path = tmp_path / "lwsyslog.toml"
    path.write_text(QUIET + table, encoding="utf-8")
    sink = MemorySink()
    return Pipeline(load_config([path]), [sink]), sink


def feed(pipeline: Pipeline, lines: list[str]) -> None:
    for number, line in enumerate(lines, start=1):
        pipeline.process(line, Origin("access.log", number))


def fakes(sink: MemorySink) -> dict[str, Alert]:
    alerts = [a for a in sink.alerts if a.rule == FAKE_CRAWLER]
    by_client = {a.client_ip: a for a in alerts}
    assert len(by_client) == len(alerts), "one alert per address"
    return by_client


def test_each_kind_of_address_gets_its_verdict(tmp_path: Path, dns_server: LocalDns) -> None:
    pipeline, sink = make_pipeline(tmp_path, crawler_config(dns_server))
    lines = [access_line(ip, second=s) for ip in (REAL, FORGED, FOREIGN, NO_PTR) for s in (1, 2)]
    feed(pipeline, [*lines, access_line(SLOW)])
    pipeline.deliver_verdicts(wait_secs=10)
    alerts = fakes(sink)
    assert sorted(alerts) == sorted([FORGED, FOREIGN, NO_PTR])  # none for REAL, none for SLOW
    forged = alerts[FORGED]
    assert "claims to be Googlebot" in forged.message
    assert "crawl-93-184-216-34.googlebot.com" in forged.message
    assert "does not resolve back" in forged.message
    assert "static.5.5.5.45.clients.example.net" in alerts[FOREIGN].message
    assert "is not under googlebot.com, google.com" in alerts[FOREIGN].message
    assert "has no reverse DNS name" in alerts[NO_PTR].message
    for alert in alerts.values():
        assert alert.categories == ("bad-bot",)
        assert alert.severity.value == "medium"
        assert alert.count == 2  # both lines of the address, seen while it was checked
        assert alert.sample == access_line(alert.client_ip, second=1)  # its first line
        assert alert.first == Origin("access.log", lines.index(alert.sample) + 1)
        assert alert.last == Origin("access.log", alert.first.line + 1)  # its second line
    fields = pipeline.crawlers.stats_fields() if pipeline.crawlers else {}
    assert fields["crawler_verified"] == 1 and fields["crawler_fake"] == 3
    assert fields["crawler_unresolved"] == 1  # SLOW timed out: not judged
    pipeline.close()
    # The real crawler's name was confirmed by a forward question; the foreign name never
    # needed one (it is no crawler's).
    assert dns_server.queries("A") == [
        "crawl-66-249-66-1.googlebot.com",
        "crawl-93-184-216-34.googlebot.com",
    ]


def test_ipv6_addresses_are_verified_too(tmp_path: Path, dns_server: LocalDns) -> None:
    pipeline, sink = make_pipeline(tmp_path, crawler_config(dns_server))
    feed(pipeline, [access_line(REAL6), access_line(NO_PTR6)])
    pipeline.deliver_verdicts(wait_secs=10)
    pipeline.close()
    assert list(fakes(sink)) == [NO_PTR6]
    assert dns_server.queries("AAAA") == ["crawl-v6.googlebot.com"]


def test_verdicts_are_cached_and_a_fake_is_reported_once_per_crawler(
    tmp_path: Path, dns_server: LocalDns
) -> None:
    pipeline, sink = make_pipeline(tmp_path, crawler_config(dns_server))
    feed(pipeline, [access_line(NO_PTR), access_line(REAL)])
    pipeline.deliver_verdicts(wait_secs=10)
    assert list(fakes(sink)) == [NO_PTR]
    asked = len(dns_server.queries())
    # Later lines: judged from the cache at once; the same claim is not reported again, a
    # claim of another crawler from the same address is.
    feed(
        pipeline,
        [access_line(NO_PTR), access_line(REAL), access_line(NO_PTR, BINGBOT_UA, path="/b")],
    )
    pipeline.deliver_verdicts()
    alerts = [a for a in sink.alerts if a.rule == FAKE_CRAWLER]
    assert len(alerts) == 2
    assert "claims to be Bingbot" in alerts[1].message and "search.msn.com" in alerts[1].message
    assert alerts[1].sample == access_line(NO_PTR, BINGBOT_UA, path="/b")
    assert len(dns_server.queries()) == asked  # no new question
    pipeline.close()


def test_an_expired_verdict_is_looked_up_again(tmp_path: Path, dns_server: LocalDns) -> None:
    table = crawler_config(dns_server, negative_ttl_secs=1, cache_ttl_secs=1)
    pipeline, sink = make_pipeline(tmp_path, table)
    feed(pipeline, [access_line(NO_PTR)])
    pipeline.deliver_verdicts(wait_secs=10)
    time.sleep(1.1)
    feed(pipeline, [access_line(NO_PTR, second=9)])
    pipeline.deliver_verdicts(wait_secs=10)
    assert len([a for a in sink.alerts if a.rule == FAKE_CRAWLER]) == 2
    assert dns_server.queries().count("1.1.79.45.in-addr.arpa") == 2
    pipeline.close()


def test_nothing_is_looked_up_when_verification_is_off(
    tmp_path: Path, dns_server: LocalDns
) -> None:
    for table in ("", f'[crawlers]\nverify = false\nresolver = "{dns_server.address}"\n'):
        pipeline, sink = make_pipeline(tmp_path, table)
        assert pipeline.crawlers is None
        feed(pipeline, [access_line(ip) for ip in (REAL, FORGED, FOREIGN, NO_PTR, SLOW)])
        pipeline.deliver_verdicts(wait_secs=1)
        pipeline.close()
        assert fakes(sink) == {}
    assert dns_server.queries() == []


def test_private_addresses_allow_list_and_ordinary_agents_are_not_looked_up(
    tmp_path: Path, dns_server: LocalDns
) -> None:
    table = crawler_config(dns_server) + f'[allow]\nclients = ["{FORGED}/32"]\n'
    pipeline, sink = make_pipeline(tmp_path, table)
    feed(
        pipeline,
        [
            access_line("10.1.2.3"),  # behind an unlisted proxy, real crawlers look like this
            access_line("www.example.net"),  # HostnameLookups On: no address to check
            access_line(FORGED),  # allow-listed
            access_line(NO_PTR, "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"),
            access_line(NO_PTR, "Googlebot-lookalike checker (not really)"),
        ],
    )
    pipeline.deliver_verdicts(wait_secs=10)
    pipeline.close()
    assert list(fakes(sink)) == [NO_PTR]  # the last line claims Googlebot
    assert dns_server.queries() == ["1.1.79.45.in-addr.arpa"]


def test_published_ranges_decide_without_dns(tmp_path: Path, dns_server: LocalDns) -> None:
    extra = '[crawlers.catalog.duckduckbot]\nenabled = true\nnetworks = ["20.191.45.0/24"]\n'
    pipeline, sink = make_pipeline(tmp_path, crawler_config(dns_server, extra))
    ua = "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)"
    feed(pipeline, [access_line("20.191.45.212", ua), access_line(FOREIGN, ua)])
    pipeline.deliver_verdicts()
    pipeline.close()
    alerts = fakes(sink)
    assert list(alerts) == [FOREIGN]
    assert "not in DuckDuckBot's published address ranges" in alerts[FOREIGN].message
    assert dns_server.queries() == []


def test_pending_addresses_are_bounded_and_counted(tmp_path: Path, dns_server: LocalDns) -> None:
    table = crawler_config(dns_server, max_pending=5, max_lookups_per_sec=50)
    pipeline, sink = make_pipeline(tmp_path, table)
    feed(pipeline, [access_line(f"45.80.{n // 250}.{n % 250 + 1}") for n in range(40)])
    assert pipeline.crawlers is not None
    assert pipeline.crawlers.pending == 5
    pipeline.deliver_verdicts(wait_secs=10)
    fields = pipeline.crawlers.stats_fields()
    pipeline.close()
    assert fields["crawler_dropped"] == 35 and fields["crawler_lookups"] == 5
    assert len(fakes(sink)) == 5


def test_scan_waits_for_verdicts_then_reports(
    tmp_path: Path, dns_server: LocalDns, capsys: pytest.CaptureFixture[str]
) -> None:
    from lwsyslog.cli.main import main

    log = tmp_path / "access.log"
    log.write_text("\n".join(access_line(ip) for ip in (REAL, FORGED, SLOW)) + "\n")
    config = tmp_path / "lwsyslog.toml"
    config.write_text(QUIET + crawler_config(dns_server, scan_wait_secs=0.5, timeout_secs=5))
    assert main(["scan", "--json", "--config", str(config), str(log)]) == 0
    out, err = capsys.readouterr()
    assert f'"rule": "{FAKE_CRAWLER}", "key": "{FORGED}"' in out
    assert REAL not in out.split(FAKE_CRAWLER, 1)[1]
    # SLOW's question is never answered: the scan gives up after scan_wait_secs.
    assert "no verdict within 0.5s for 1 client(s)" in err


def test_config_errors_name_file_line_table_and_key(tmp_path: Path) -> None:
    path = tmp_path / "lwsyslog.toml"
    cases = {
        "[crawlers]\nverify = true\n": ("key 'resolver'", "needs a resolver"),
        '[crawlers]\nresolver = "dns.example.net"\n': (":2 [crawlers] key 'resolver'", "system"),
        '[crawlers]\nresolver = "127.0.0.1:99999"\n': ("key 'resolver'", "65535"),
        "[crawlers]\nmax_pending = 0\n": (":2 [crawlers] key 'max_pending'", ">= 1"),
        "[crawlers]\ncolour = 1\n": ("key 'colour'", "unknown key"),
        '[crawlers.catalog.mybot]\nuser_agent = "MyBot("\ndomains = ["x.example"]\n': (
            ":2 [crawlers.catalog.mybot] key 'user_agent'",
            "invalid regular expression",
        ),
        '[crawlers.catalog.mybot]\nuser_agent = "MyBot"\ndomains = ["*.example.com"]\n': (
            ":3 [crawlers.catalog.mybot] key 'domains'",
            "not a domain name",
        ),
        '\n[crawlers.catalog.mybot]\nuser_agent = "MyBot"\n': (
            ":2 [crawlers.catalog.mybot]",
            "set domains",
        ),
        '[crawlers.catalog.mybot]\ndomains = ["mybot.example"]\n': ("mybot]", "user_agent"),
    }
    for text, (where, why) in cases.items():
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as error:
            load_config([path])
        assert str(path) in str(error.value) and where in str(error.value), text
        assert why in str(error.value), text


def test_users_add_and_change_crawlers(tmp_path: Path) -> None:
    path = tmp_path / "lwsyslog.toml"
    path.write_text(
        '[crawlers.catalog.mybot]\nname = "MyBot"\nuser_agent = "\\\\bMyBot/"\n'
        'domains = ["Crawl.MyBot.Example."]\n'
        "[crawlers.catalog.bingbot]\nenabled = false\n"
        '[crawlers.catalog.googlebot]\ndomains = ["googlebot.com"]\n',
        encoding="utf-8",
    )
    catalog = {spec.name: spec for spec in load_config([path]).crawlers.catalog}
    assert "Bingbot" not in catalog
    assert catalog["MyBot"].domains == ("crawl.mybot.example",)
    assert catalog["Googlebot"].domains == ("googlebot.com",)
    assert "Googlebot" in catalog["Googlebot"].user_agent  # the other keys stay shipped


def test_catalog_reads_claims_from_user_agents() -> None:
    catalog = Catalog(load_config([]).crawlers.catalog)
    claims = {
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, "
        "like Gecko) Chrome/131.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
        "+http://www.google.com/bot.html)": "Googlebot",
        "Googlebot-Image/1.0": "Googlebot",
        "AdsBot-Google (+http://www.google.com/adsbot.html)": "Google special-case crawler",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)": "Bingbot",
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)": "YandexBot",
        "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)": (
            "Baiduspider"
        ),
        "Mozilla/5.0 (Macintosh) Safari/605.1.15 (Applebot/0.1)": "Applebot",
        "Mozilla/5.0 (compatible; SeznamBot/4.0; +https://o-seznam.cz/napoveda/)": "SeznamBot",
    }
    for user_agent, name in claims.items():
        found = catalog.claimed(user_agent)
        assert found is not None and found.name == name, user_agent
    for ordinary in (
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 YaBrowser/24.10 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 13) Chrome/120.0 YandexSearch/24.32 Mobile Safari/537.36",
        "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",  # shipped disabled
        "",
    ):
        assert catalog.claimed(ordinary) is None, ordinary


def test_domains_match_on_label_boundaries() -> None:
    assert under("crawl-1.googlebot.com", ("googlebot.com",))
    assert under("googlebot.com", ("googlebot.com",))
    assert not under("evilgooglebot.com", ("googlebot.com",))
    assert not under("googlebot.com.evil.net", ("googlebot.com",))


def test_cache_holds_its_bounds_and_its_byte_estimate_is_not_low() -> None:
    cache = ResolutionCache(max_entries=1000, max_bytes=1 << 30)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for n in range(1000):
        name = f"crawl-{n}.example-isp.net"
        lookup = Lookup(Outcome.ANSWERED, (name,), ())
        key = f"45.{n // 250}.{n % 250}.1"
        entry = cache.put(key, ipaddress.ip_address(key), lookup, 1e12)
        entry.judged["Googlebot"] = Verdict.FAKE  # as every entry a claim made
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert cache.bytes >= used, f"estimate {cache.bytes} below measured {used}"
    assert cache.bytes < 3 * used  # and not wildly above it
    small = ResolutionCache(max_entries=100, max_bytes=50 * (ENTRY_BYTES + NAME_BYTES + 60))
    for n in range(5000):
        small.put(f"45.1.{n // 250}.{n % 250}", None, Lookup(Outcome.ANSWERED, ("x" * 40,)), 1e12)
    assert len(small) <= 50 and small.bytes <= small.max_bytes
    assert small.evictions == 5000 - len(small)


def test_rules_list_the_fake_crawler_alert_with_its_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lwsyslog.cli.main import main

    path = tmp_path / "lwsyslog.toml"
    rows = {}
    for table in (
        "",
        '[crawlers]\nverify = true\nresolver = "127.0.0.1:5353"\nseverity = "high"\n',
    ):
        path.write_text(table, encoding="utf-8")
        assert main(["rules", "--json", "--config", str(path)]) == 0
        found = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        rows[bool(table)] = next(row for row in found if row["id"] == FAKE_CRAWLER)
    assert rows[False]["enabled"] is False and "verify is off" in rows[False]["description"]
    assert rows[True]["enabled"] is True and rows[True]["severity"] == "high"
    assert rows[True]["categories"] == ["bad-bot"] and "127.0.0.1:5353" in rows[True]["description"]


def test_check_config_says_whether_claims_are_verified(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lwsyslog.cli.main import main

    path = tmp_path / "lwsyslog.toml"
    path.write_text("", encoding="utf-8")
    assert main(["check-config", "--config", str(path)]) == 0
    assert "crawler verification: off" in capsys.readouterr().out
    path.write_text(
        '[crawlers]\nverify = true\nresolver = "127.0.0.1:5353"\n'
        "[crawlers.catalog.bingbot]\nenabled = false\n"
        # A channel may filter on the crawler alert like on any rule.
        '[notify.channels.ops]\ntype = "webhook"\nurl = "http://127.0.0.1:9/hook"\n'
        'include_rules = ["bad-bot-fake-crawler"]\n',
        encoding="utf-8",
    )
    assert main(["check-config", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("crawler verification"))
    assert "on, resolver 127.0.0.1:5353" in line and "Googlebot" in line
    assert "Bingbot" not in line


def test_scan_says_when_the_resolver_does_not_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With nothing listening at the resolver's address, every claim went unjudged and the scan
    said nothing about it (audit finding)."""
    from lwsyslog.cli.main import main

    log = tmp_path / "access.log"
    log.write_text("\n".join(access_line(ip) for ip in (REAL, FORGED, NO_PTR)) + "\n")
    config = tmp_path / "lwsyslog.toml"
    table = '[crawlers]\nverify = true\nresolver = "127.0.0.1:9"\ntimeout_secs = 0.3\n'
    config.write_text(QUIET + table + "scan_wait_secs = 5\n")
    assert main(["scan", "--json", "--config", str(config), str(log)]) == 0
    err = capsys.readouterr().err
    assert "crawler verification: 3 check(s) got no DNS answer (last: " in err
    assert "is [crawlers] resolver answering?" in err
