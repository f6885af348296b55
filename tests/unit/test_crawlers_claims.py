"""Which User-Agents claim which crawler, and which addresses are checked as what, against a
real DNS server (dnsmasq on 127.0.0.1): a crawler's token is a case-insensitive substring read
without invisible characters (sites let ``xGooglebot/2.1`` through on ``~* googlebot``), each
shipped crawler's samples are read as its own and its near misses are not, and an
IPv4-mapped or NAT64 address is checked as the IPv4 address it carries."""

from __future__ import annotations

import asyncio
import ipaddress
import sys
import time
import tomllib
import unicodedata
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from lwsyslog.alerts import Alert
from lwsyslog.config import load_config
from lwsyslog.crawlers import FAKE_CRAWLER
from lwsyslog.crawlers.catalog import INVISIBLE, Catalog, checked_address, visible
from lwsyslog.crawlers.lookups import fcrdns, make_resolver
from lwsyslog.crawlers.verdict import Outcome
from lwsyslog.errors import ConfigError
from lwsyslog.events import Origin
from lwsyslog.pipeline import Pipeline
from lwsyslog.sinks.memory import MemorySink
from tests.unit.dns_server import (
    BINGBOT_UA,
    FORGED,
    GOOGLEBOT_UA,
    NO_PTR,
    REAL,
    LocalDns,
    access_line,
    crawler_config,
)

QUIET = "[sinks.journald]\nenabled = false\n[sinks.messages_file]\nenabled = false\n"
#: A Bingbot address whose PTR is under search.msn.com and resolves back to it.
BING = "157.55.39.1"
BING_NAME = "msnbot-157-55-39-1.search.msn.com"
#: The spellings the audit found unchecked, each from its own address with no reverse name.
EVASIONS = {
    "45.79.2.1": "Mozilla/5.0 (compatible; Googlebot2.1; +http://www.google.com/bot.html)",
    "45.79.2.2": "Mozilla/5.0 (compatible; Googlebot_/2.1)",
    "45.79.2.3": "Mozilla/5.0 (compatible; xGooglebot/2.1)",
    "45.79.2.4": "Mozilla/5.0 (compatible; Google\u200bbot/2.1)",
    # The same zero-width space as Apache writes it (escaped bytes, undone by the parser).
    "45.79.2.5": "Mozilla/5.0 (compatible; Google\\xe2\\x80\\x8bbot/2.1)",
    "45.79.2.6": "Mozilla/5.0 (compatible; G\u00adoogle\u200c\u200d\u2060bot\ufeff/2.1)",
    "45.79.2.7": "Mozilla/5.0 (compatible; bingbot2.0; +http://www.bing.com/bingbot.htm)",
}
#: Ordinary browsers and other bots, near a crawler's token: no claim.
NEAR_MISSES = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; DotBot/1.2; +https://opensiteexplorer.org/dotbot; help@moz.com)",
    "Mozilla/5.0 (compatible; Google Bot/2.1)",
    "Mozilla/5.0 (compatible; Google-Site-Verification/1.0)",
    "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 YaBrowser/24.10 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; U; Android 4.0; ru-ru; \u042f\u043d\u0434\u0435\u043a\u0441) Safari",
    "Mozilla/5.0 (compatible; Some\u200bBot/1.0)",  # invisible, but no token around it
    "",
)


@pytest.fixture
def dns_server(tmp_path: Path) -> Iterator[LocalDns]:
    server = LocalDns(
        tmp_path,
        (
            f"ptr-record={ipaddress.ip_address(BING).reverse_pointer},{BING_NAME}",
            f"host-record={BING_NAME},{BING}",
        ),
    )
    try:
        yield server
    finally:
        server.stop()


def make_pipeline(tmp_path: Path, table: str) -> tuple[Pipeline, MemorySink]:
    path = tmp_path / "lwsyslog.toml"
    path.write_text(QUIET + table, encoding="utf-8")
    sink = MemorySink()
    return Pipeline(load_config([path]), [sink]), sink


def run(table: str, tmp_path: Path, lines: list[str]) -> dict[str, Alert]:
    """The fake-crawler alerts of ``lines``, by client, once every verdict is in."""
    pipeline, sink = make_pipeline(tmp_path, table)
    for number, line in enumerate(lines, start=1):
        pipeline.process(line, Origin("access.log", number))
    pipeline.deliver_verdicts(wait_secs=10)
    pipeline.close()
    alerts = [a for a in sink.alerts if a.rule == FAKE_CRAWLER]
    by_client = {a.client_ip: a for a in alerts}
    assert len(by_client) == len(alerts), "one alert per client"
    return by_client


def shipped() -> dict[str, Any]:
    text = resources.files("lwsyslog.data").joinpath("crawlers.toml").read_text("utf-8")
    catalog: dict[str, Any] = tomllib.loads(text)["crawlers"]["catalog"]
    return catalog


def full_catalog(tmp_path: Path) -> Catalog:
    """Every shipped crawler, the two disabled until their ranges are set included."""
    path = tmp_path / "lwsyslog.toml"
    enable = '\nenabled = true\nnetworks = ["192.0.2.0/24"]\n'
    path.write_text(
        f"[crawlers.catalog.duckduckbot]{enable}[crawlers.catalog.gptbot]{enable}", "utf-8"
    )
    return Catalog(load_config([path]).crawlers.catalog)


def test_the_evasive_spellings_are_checked_and_flagged(
    tmp_path: Path, dns_server: LocalDns
) -> None:
    lines = [access_line(ip, ua) for ip, ua in EVASIONS.items()]
    alerts = run(crawler_config(dns_server), tmp_path, lines)
    assert sorted(alerts) == sorted(EVASIONS)
    for ip, alert in alerts.items():
        crawler = "Bingbot" if "bing" in EVASIONS[ip] else "Googlebot"
        assert f"claims to be {crawler}, but {ip} has no reverse DNS name" in alert.message
    assert sorted(dns_server.queries()) == sorted(
        ipaddress.ip_address(ip).reverse_pointer for ip in EVASIONS
    )


def test_real_googlebot_and_bingbot_addresses_are_not_flagged(
    tmp_path: Path, dns_server: LocalDns
) -> None:
    bingbot_chrome = (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
        "+http://www.bing.com/bingbot.htm) Chrome/131.0.0.0 Safari/537.36"
    )
    lines = [
        access_line(REAL, GOOGLEBOT_UA),
        access_line(REAL, "Googlebot-Image/1.0", path="/i.png"),
        access_line(BING, BINGBOT_UA),
        access_line(BING, bingbot_chrome, path="/b"),
    ]
    assert run(crawler_config(dns_server), tmp_path, lines) == {}
    assert sorted(dns_server.queries("A")) == ["crawl-66-249-66-1.googlebot.com", BING_NAME]
    # Each crawler's token from the other's address is a fake claim.
    crossed = [access_line(REAL, BINGBOT_UA), access_line(BING, GOOGLEBOT_UA)]
    alerts = run(crawler_config(dns_server), tmp_path, crossed)
    assert "claims to be Bingbot, but reverse DNS name crawl-66" in alerts[REAL].message
    assert f"claims to be Googlebot, but reverse DNS name {BING_NAME}" in alerts[BING].message


def test_near_miss_user_agents_claim_no_crawler(tmp_path: Path, dns_server: LocalDns) -> None:
    samples = [s for entry in shipped().values() for s in entry["must_not_match"]]
    catalog = full_catalog(tmp_path)
    benign = [ua for ua in (*NEAR_MISSES, *samples) if catalog.claimed(ua) is None]
    assert len(benign) >= len(NEAR_MISSES) + 15  # most shipped near misses claim nothing
    lines = [access_line(NO_PTR, ua) for ua in benign]
    assert run(crawler_config(dns_server), tmp_path, lines) == {}
    assert dns_server.queries() == []


def test_every_shipped_crawler_ships_samples_read_as_its_own(tmp_path: Path) -> None:
    entries = shipped()
    catalog = full_catalog(tmp_path)
    by_name = {crawler.name: crawler for crawler in catalog.crawlers}
    disguised = {crawler.name: crawler for crawler in catalog.disguised}
    assert len(by_name) == len(entries)
    for crawler_id, entry in entries.items():
        assert len(entry["must_match"]) >= 2 and len(entry["must_not_match"]) >= 2, crawler_id
        crawler = by_name[entry["name"]]
        for sample in entry["must_match"]:
            # Claimed in ASCII, or in look-alike letters only (and then a disguised claim).
            own = disguised[entry["name"]] if not sample.isascii() else crawler
            claimed = catalog.claimed(sample)
            assert claimed is crawler or claimed is own, (crawler_id, sample)
        for sample in entry["must_not_match"]:
            claimed = catalog.claimed(sample)
            assert claimed is None or claimed.name != crawler.name, (crawler_id, sample)


#: Googlebot's token in look-alike letters, each from its own address with no reverse name.
LOOKALIKES = {
    "45.79.3.1": "Mozilla/5.0 (compatible; \uff27\uff4f\uff4f\uff47\uff4c\uff45"
    "\uff42\uff4f\uff54/2.1)",
    "45.79.3.2": "Mozilla/5.0 (compatible; G\u043e\u043eglebot/2.1)",
    "45.79.3.3": "Mozilla/5.0 (compatible; \U0001d406\U0001d428\U0001d428\U0001d420\U0001d425"
    "\U0001d41e\U0001d41b\U0001d428\U0001d42d/2.1)",
    # Apache's escaping of the fullwidth "G" (UTF-8 bytes), undone by the parser.
    "45.79.3.4": "Mozilla/5.0 (compatible; \\xef\\xbc\\xa7oogle\u200bbot/2.1)",
    # From Googlebot's own address: no crawler writes its name in other letters.
    REAL: "Mozilla/5.0 (compatible; Goo\u0261lebot/2.1)",
}


def test_a_crawler_named_in_look_alike_letters_is_a_fake_claim_without_a_lookup(
    tmp_path: Path, dns_server: LocalDns
) -> None:
    lines = [access_line(ip, ua) for ip, ua in LOOKALIKES.items()]
    alerts = run(crawler_config(dns_server), tmp_path, lines)
    assert sorted(alerts) == sorted(LOOKALIKES)
    for ip, alert in alerts.items():
        assert (
            f"{ip} claims to be Googlebot, but its User-Agent writes Googlebot in look-alike "
            "characters" in alert.message
        )
    assert dns_server.queries() == []
    # The same words spaced apart claim nothing, in any letters.
    spaced = "Mozilla/5.0 (compatible; \uff27\uff4f\uff4f\uff47\uff4c\uff45 \uff42\uff4f\uff54)"
    assert full_catalog(tmp_path).claimed(spaced) is None


def test_a_pattern_that_misreads_its_samples_is_refused_when_verification_is_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lwsyslog.toml"
    # The pattern shipped before: a word boundary each side of each token.
    old = "|".join(
        rf"\b{token}\b"
        for token in ("Googlebot", "Google-InspectionTool", "GoogleOther", "Storebot-Google")
    )
    narrowed = f"[crawlers.catalog.googlebot]\nuser_agent = '{old}|Google-CloudVertexBot'\n"
    path.write_text(narrowed, encoding="utf-8")
    load_config([path])  # verification off: the catalog is not read
    path.write_text('[crawlers]\nverify = true\nresolver = "127.0.0.1:53"\n' + narrowed, "utf-8")
    with pytest.raises(ConfigError) as error:
        load_config([path])
    text = str(error.value)
    assert str(path) in text and ":4 [crawlers.catalog.googlebot] key 'must_match'" in text
    assert "Googlebot2.1" in text and "claims no crawler" in text


def test_invisible_characters_are_every_format_character_and_are_removed() -> None:
    missing = [
        f"U+{code:04X}"
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) == "Cf" and visible(f"a{chr(code)}b") != "ab"
    ]
    assert missing == [], f"add to INVISIBLE: {missing}"
    for extra in ("\u00ad", "\u034f", "\u180e", "\u3164", "\ufe0f", "\U000e0100"):
        assert visible(f"Google{extra}bot") == "Googlebot"
    assert INVISIBLE.startswith("[")
    text = "Mozilla/5.0 (compatible; Googlebot/2.1)"
    assert visible(text) is text and visible("\u042f\u043d") == "\u042f\u043d"


def test_a_long_hostile_user_agent_costs_linear_time(tmp_path: Path) -> None:
    catalog = full_catalog(tmp_path)
    hostile = [
        "Googl\u200b" * 1365,  # invisible characters everywhere, a near claim each time
        "\u00e9" * 8180 + "Google\u200bbot",
        "\u200b" * 8192,
        "Yandex" * 1365,
    ]
    for user_agent in hostile:
        started = time.perf_counter()
        for _ in range(10):
            catalog.claimed(user_agent)  # longer than the memory keeps: searched each time
        assert time.perf_counter() - started < 0.1, user_agent[:20]
    found = catalog.claimed(hostile[1])
    assert found is not None and found.name == "Googlebot"
    # Past 64 runs of invisible characters, every non-ASCII one goes: still a claim.
    many = "\u200b\u00e9" * 100 + "Google\u2060bot" + "\u00e9" * 10
    found = catalog.claimed(many)
    assert visible(many) == "Googlebot" and found is not None and found.name == "Googlebot"


def test_mapped_and_nat64_addresses_are_checked_as_the_ipv4_they_carry(
    tmp_path: Path, dns_server: LocalDns
) -> None:
    mapped_real = f"::ffff:{REAL}"
    nat64_real = "64:ff9b::42f9:4201"  # 66.249.66.1
    mapped_forged = f"::ffff:{FORGED}"
    # On its own, whatever the parsers make of the client text.
    resolver = make_resolver(dns_server.address, 2)
    catalog = Catalog(load_config([]).crawlers.catalog)
    lookup = asyncio.run(fcrdns(resolver, ipaddress.ip_address(mapped_real), catalog.wanted))
    assert lookup.outcome is Outcome.ANSWERED
    assert lookup.confirmed == ("crawl-66-249-66-1.googlebot.com",)
    assert checked_address(ipaddress.ip_address(nat64_real)) == ipaddress.ip_address(REAL)
    lines = [access_line(ip) for ip in (mapped_real, nat64_real, mapped_forged, REAL)]
    alerts = run(crawler_config(dns_server), tmp_path, lines)
    # The parsers write a mapped client as the IPv4 address it carries.
    assert list(alerts) == [FORGED]
    assert alerts[FORGED].key == FORGED
    assert "crawl-93-184-216-34.googlebot.com" in alerts[FORGED].message
    assert "does not resolve back" in alerts[FORGED].message
    assert dns_server.queries("AAAA") == []
    assert dns_server.queries() == [
        "1.66.249.66.in-addr.arpa",  # the direct fcrdns
        "1.66.249.66.in-addr.arpa",  # the mapped address: REAL's key, the others wait on it
        "34.216.184.93.in-addr.arpa",
    ]
