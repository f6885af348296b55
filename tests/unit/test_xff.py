"""X-Forwarded-For is believed only from a configured proxy, and then with the standard walk."""

from __future__ import annotations

import re

import pytest

from lwsyslog.errors import FormatError
from lwsyslog.events import AccessEvent, Origin
from lwsyslog.formats import LineParser
from lwsyslog.formats.xff import MAX_HOPS, TrustedProxies
from tests.unit.formats_fixtures import APACHE_JSON, IIS, NGINX, parse_all

ORIGIN = Origin("access.log", 1)
PROXIES = TrustedProxies(["10.0.0.0/8", "2001:db8:ffff::/48"])
XFF_FORMAT = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" "%{X-Forwarded-For}i"'


def _line(client: str, xff: str) -> str:
    return (
        f'{client} - - [05/Dec/2026:10:00:00 +0000] "GET /?id=1%27%20OR%201=1 HTTP/1.1" 200 5 '
        f'"-" "curl/8" "{xff}"'
    )


def _access(parser: LineParser, text: str) -> AccessEvent:
    event = parser.parse(text, ORIGIN)
    assert isinstance(event, AccessEvent), event
    return event


@pytest.mark.parametrize(
    ("xff", "client"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("203.0.113.9, 10.1.1.1", "203.0.113.9"),
        ("6.6.6.6, 203.0.113.9, 10.1.1.1", "203.0.113.9"),  # left of the first untrusted: ignored
        ("203.0.113.9:51234", "203.0.113.9"),
        ("[2001:db8::9]:443, 10.1.1.1", "2001:db8::9"),
        ("10.9.9.9, 10.1.1.1", "10.9.9.9"),  # every hop trusted: the left-most
        ("2001:db8:ffff::1, 2001:db8:1::5", "2001:db8:1::5"),
    ],
)
def test_trusted_peer_gives_the_right_most_untrusted_address(xff: str, client: str) -> None:
    assert PROXIES.client(xff) == client


@pytest.mark.parametrize(
    "xff",
    [
        "unknown",
        "203.0.113.9, garbage",
        "",
        " , ",
        "1.2.3.4.5",
        ", ".join(["10.0.0.1"] * 40),
    ],
)
def test_an_entry_that_is_not_an_address_stops_the_walk(xff: str) -> None:
    assert PROXIES.client(xff) is None


def test_more_than_max_hops_trusted_entries_name_no_client() -> None:
    assert PROXIES.client(", ".join(["203.0.113.9"] + ["10.0.0.1"] * MAX_HOPS)) is None
    assert PROXIES.client(", ".join(["203.0.113.9"] + ["10.0.0.1"] * (MAX_HOPS - 1))) == (
        "203.0.113.9"
    )


def test_logformat_xff_behind_a_trusted_proxy_replaces_the_client_and_keeps_the_peer() -> None:
    parser = LineParser("access", (XFF_FORMAT,), trusted_proxies=["10.0.0.0/8"])
    event = _access(parser, _line("10.0.0.5", "198.51.100.7"))
    assert event.client_ip == "198.51.100.7" and event.extra["peer"] == "10.0.0.5"
    # the hot path (same format again, no backslash) applies it too
    again = _access(parser, _line("10.0.0.5", "198.51.100.8"))
    assert again.client_ip == "198.51.100.8"


def test_spoofed_xff_from_an_untrusted_peer_is_ignored() -> None:
    parser = LineParser("access", (XFF_FORMAT,), trusted_proxies=["10.0.0.0/8"])
    event = _access(parser, _line("203.0.113.50", "10.0.0.1"))
    assert event.client_ip == "203.0.113.50" and "peer" not in event.extra


def test_without_trusted_proxies_xff_is_never_read() -> None:
    event = _access(LineParser("access", (XFF_FORMAT,)), _line("10.0.0.5", "198.51.100.7"))
    assert event.client_ip == "10.0.0.5" and "peer" not in event.extra


def test_invalid_proxy_setting_is_named() -> None:
    with pytest.raises(FormatError, match=re.escape("'10.0.0.0/33'")):
        LineParser(trusted_proxies=["10.0.0.0/33"])


def test_ipv4_peer_seen_on_a_dual_stack_socket_is_trusted() -> None:
    assert TrustedProxies(["127.0.0.1"]).trusts("::ffff:127.0.0.1")


def test_real_nginx_json_log_behind_the_trusted_proxy() -> None:
    """127.0.0.1 played the proxy in the run; 127.0.0.30 sent its own X-Forwarded-For."""
    parser = LineParser("access", ("json",), trusted_proxies=["127.0.0.1"])
    events = [e for e in parse_all(parser, NGINX / "access.json.log") if isinstance(e, AccessEvent)]
    via = [e for e in events if e.extra.get("peer") == "127.0.0.1"]
    assert {e.client_ip for e in via} == {"198.51.100.7", "203.0.113.77"}
    spoofed = next(e for e in events if "192.0.2.99" in e.extra.get("header:x-forwarded-for", ""))
    assert spoofed.client_ip == "127.0.0.30" and "peer" not in spoofed.extra
    assert not any(e.client_ip == "192.0.2.99" for e in events)


def test_real_apache_json_log_behind_the_trusted_proxy() -> None:
    parser = LineParser("access", ("json",), trusted_proxies=["127.0.0.1/32"])
    events = parse_all(parser, APACHE_JSON / "access.loggly.json.log")
    forwarded = [e for e in events if isinstance(e, AccessEvent) and "peer" in e.extra]
    assert {e.client_ip for e in forwarded} == {"198.51.100.7", "203.0.113.77"}


def test_iis_custom_xff_field_behind_the_trusted_proxy() -> None:
    parser = LineParser("access", ("iis",), trusted_proxies=["10.0.0.0/24"])
    events = [e for e in parse_all(parser, IIS) if isinstance(e, AccessEvent)]
    forwarded = {e.client_ip: e.extra["peer"] for e in events if "peer" in e.extra}
    # "198.51.100.7, 10.0.0.6": 10.0.0.6 is a trusted hop, the client is left of it
    assert forwarded == {"192.0.2.44": "10.0.0.5", "198.51.100.7": "10.0.0.5"}
    spoofed = next(e for e in events if e.client_ip == "203.0.113.30")
    assert spoofed.extra["header:x-forwarded-for"] == "192.0.2.99" and "peer" not in spoofed.extra


@pytest.mark.parametrize(
    ("xff", "client"),
    [
        # Python's parser keeps any text after the % as part of the address: dropped.
        ("2001:db8::5%eth0 categories=none count=0", "2001:db8::5"),
        ("[fe80::1%25lo]:80", "fe80::1"),
        ("::1% on db1.prod: critical sqli-union-select", "::1"),
        ("203.0.113.9, 2001:db8:ffff::2%eth0", "203.0.113.9"),  # a trusted hop with its zone
    ],
)
def test_a_zone_id_is_dropped_from_every_entry(xff: str, client: str) -> None:
    assert PROXIES.client(xff) == client


def test_a_zone_id_in_the_header_cannot_become_the_alerted_client() -> None:
    parser = LineParser("access", (XFF_FORMAT,), trusted_proxies=["10.0.0.0/8"])
    line = _line("10.0.0.1", "2001:db8::5%eth0 categories=none count=0")
    event = _access(parser, line)
    assert event.client_ip == "2001:db8::5"


def test_a_trusted_proxy_logged_with_its_zone_is_still_trusted() -> None:
    assert TrustedProxies(["fe80::/10"]).trusts("fe80::1%eth0")
