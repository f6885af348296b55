"""Every format gives one client one spelling: the address alone (no port, no brackets), an
IPv4-mapped address as IPv4, and, where no peer is logged, the right-most forwarded entry."""

from __future__ import annotations

import json

import pytest

from lwsyslog.events import AccessEvent, ErrorEvent, Origin
from lwsyslog.formats import LineParser
from lwsyslog.formats.addresses import client_text, last_hop
from lwsyslog.formats.xff import TrustedProxies

ORIGIN = Origin("access.log", 1)
XFF_FIRST = '%{X-Forwarded-For}i %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"'
STAMP = "[06/Dec/2026:10:00:00 +0000]"
IIS_NO_CLIENT = "#Fields: date time cs-method cs-uri-stem sc-status X-Forwarded-For"


def _access(parser: LineParser, text: str) -> AccessEvent:
    event = parser.parse(text, ORIGIN)
    assert isinstance(event, AccessEvent), event
    return event


def _xff_first(xff: str, agent: str = "curl/8") -> str:
    return f'{xff} - admin {STAMP} "GET /private/ HTTP/1.1" 401 381 "-" "{agent}"'


@pytest.mark.parametrize(
    ("logged", "client"),
    [
        ("198.51.100.23", "198.51.100.23"),
        ("198.51.100.23:40001", "198.51.100.23"),
        ("[2001:db8::1]:40001", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("2001:DB8::1", "2001:db8::1"),
        ("::ffff:66.249.66.1", "66.249.66.1"),
        ("[::ffff:66.249.66.1]:443", "66.249.66.1"),
        ("::ffff:42f9:4201", "66.249.66.1"),
        ("crawl-66-249-66-1.googlebot.com", "crawl-66-249-66-1.googlebot.com"),
        ("fe80::1%eth0", "fe80::1"),  # a zone id names the writer's interface: dropped
        ("host:8080", "host:8080"),
    ],
)
def test_a_logged_client_is_its_address_alone(logged: str, client: str) -> None:
    assert client_text(logged) == client


@pytest.mark.parametrize(
    ("xff", "client"),
    [
        ("198.51.100.23, 10.0.0.5", "10.0.0.5"),
        ("6.6.6.6,198.51.100.23", "198.51.100.23"),
        ("198.51.100.23", "198.51.100.23"),
        ("1.2.3.4, [2001:db8::1]:443", "2001:db8::1"),
        ("1.2.3.4, ::ffff:66.249.66.1", "66.249.66.1"),
        ("198.51.100.23, unknown", ""),  # the proxy wrote no address; the rest are claims
        ("198.51.100.23, ", ""),
        ("1.2.3.4, fe80::1%eth0", "fe80::1"),
        ("", ""),
    ],
)
def test_a_list_names_its_right_most_entry_or_no_one(xff: str, client: str) -> None:
    assert last_hop(xff) == client


def test_the_trusted_proxy_walk_names_a_mapped_client_in_ipv4() -> None:
    proxies = TrustedProxies(["10.0.0.0/8"])
    assert proxies.client("::ffff:66.249.66.1, 10.0.0.5") == "66.249.66.1"
    assert proxies.client("::ffff:10.0.0.9, ::ffff:10.0.0.5") == "10.0.0.9"  # all trusted


@pytest.mark.parametrize("agent", ["curl/8", 'curl/8 \\"quoted\\"'])  # plain and escaped path
def test_a_format_logging_only_x_forwarded_for_takes_its_right_most_entry(agent: str) -> None:
    parser = LineParser("access", (XFF_FIRST,))
    for _ in range(2):  # the first line takes the general route, the second the hot path
        event = _access(parser, _xff_first("198.51.100.23, 10.0.0.5", agent))
        assert event.client_ip == "10.0.0.5"
        assert event.extra["header:x-forwarded-for"] == "198.51.100.23, 10.0.0.5"
        assert "peer" not in event.extra


@pytest.mark.parametrize(("xff", "client"), [("-", ""), ("1.2.3.4, unknown", "")])
def test_a_header_that_ends_in_no_address_names_no_client(xff: str, client: str) -> None:
    parser = LineParser("access", (XFF_FIRST,))
    assert _access(parser, _xff_first(xff)).client_ip == client


def test_behind_trusted_proxies_the_walk_goes_on_from_the_right_most_entry() -> None:
    parser = LineParser("access", (XFF_FIRST,), trusted_proxies=["10.0.0.0/8"])
    for _ in range(2):
        event = _access(parser, _xff_first("6.6.6.6, 198.51.100.23, 10.0.0.7, 10.0.0.5"))
        assert (event.client_ip, event.extra["peer"]) == ("198.51.100.23", "10.0.0.5")
    # The right-most entry is no proxy: it is the client, whatever stands left of it.
    event = _access(parser, _xff_first("10.0.0.9, 198.51.100.23"))
    assert event.client_ip == "198.51.100.23" and "peer" not in event.extra


def test_the_connections_own_peer_is_the_client_when_nothing_else_is_logged() -> None:
    parser = LineParser("access", ('%{c}a %l %u %t "%r" %>s %b',))
    line = f'::ffff:192.0.2.9 - - {STAMP} "GET / HTTP/1.1" 200 5'
    assert _access(parser, line).client_ip == "192.0.2.9"


@pytest.mark.parametrize(
    ("value", "client"),
    [
        ("198.51.100.23:40001", "198.51.100.23"),
        ("[2001:db8::1]:40001", "2001:db8::1"),
        ("::ffff:66.249.66.1", "66.249.66.1"),
        ("198.51.100.23, 10.0.0.5", "10.0.0.5"),
    ],
)
def test_a_json_client_with_a_port_mapped_or_listed_is_one_address(value: str, client: str) -> None:
    line = json.dumps({"remote_addr": value, "request": "GET / HTTP/1.1", "status": 200})
    assert _access(LineParser(), line).client_ip == client


def test_a_json_client_list_is_walked_behind_trusted_proxies() -> None:
    parser = LineParser(trusted_proxies=["10.0.0.0/8"])
    line = json.dumps({"remote_addr": "6.6.6.6, 198.51.100.23, 10.0.0.5", "status": 401})
    event = _access(parser, line)
    assert (event.client_ip, event.extra["peer"]) == ("198.51.100.23", "10.0.0.5")
    assert event.extra["client_raw"] == "6.6.6.6, 198.51.100.23, 10.0.0.5"


def test_json_without_a_client_key_takes_the_forwarded_right_most_entry() -> None:
    line = json.dumps({"http_x_forwarded_for": "6.6.6.6, 198.51.100.23", "status": 401})
    event = _access(LineParser(), line)
    assert event.client_ip == "198.51.100.23"
    assert event.extra["header:x-forwarded-for"] == "6.6.6.6, 198.51.100.23"


@pytest.mark.parametrize(
    ("logged", "client"),
    [("::ffff:66.249.66.1", "66.249.66.1"), ("[2001:db8::1]:40001", "2001:db8::1")],
)
def test_an_iis_client_is_its_address_alone(logged: str, client: str) -> None:
    parser = LineParser(access_formats=("iis",))
    parser.parse("#Fields: date time c-ip cs-method cs-uri-stem sc-status", ORIGIN)
    event = _access(parser, f"2026-12-06 10:00:00 {logged} GET /x 401")
    assert event.client_ip == client


def test_iis_without_c_ip_takes_the_forwarded_right_most_entry() -> None:
    parser = LineParser(access_formats=("iis",))
    parser.parse(IIS_NO_CLIENT, ORIGIN)
    event = _access(parser, "2026-12-06 10:00:00 GET /x 401 6.6.6.6,+198.51.100.23")
    assert event.client_ip == "198.51.100.23"


def test_error_logs_name_a_mapped_client_in_ipv4() -> None:
    parser = LineParser()
    apache = parser.parse(
        "[Sun Dec 06 10:00:00.000000 2026] [auth_basic:error] [pid 1:tid 2] "
        "[client ::ffff:66.249.66.1:40001] AH01618: user admin not found: /private/",
        ORIGIN,
    )
    nginx = parser.parse(
        '2026/12/06 10:00:00 [error] 1#1: *1 open() "/x" failed (2: No such file or '
        'directory), client: ::ffff:66.249.66.1, server: localhost, request: "GET /x HTTP/1.1"',
        ORIGIN,
    )
    for event in (apache, nginx):
        assert isinstance(event, ErrorEvent) and event.client_ip == "66.249.66.1", event
