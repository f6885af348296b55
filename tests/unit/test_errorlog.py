"""Apache 2.2 and 2.4 error-log lines become ErrorEvents; the client comes only from the prefix."""

from __future__ import annotations

import calendar
from pathlib import Path

import pytest

from lwsyslog.events import ErrorEvent, Origin
from lwsyslog.formats import parse_error_line
from lwsyslog.formats.errorlog import split_client

FIXTURES = Path(__file__).parent.parent / "fixtures" / "formats"
ORIGIN = Origin("error.log", 7)
T24 = calendar.timegm((2026, 11, 23, 14, 0, 0))


def parse(line: str) -> ErrorEvent:
    event = parse_error_line(line, ORIGIN)
    assert event is not None, line
    return event


def test_24_default_format_gives_every_field() -> None:
    ev = parse(
        "[Sun Nov 23 14:00:00.123456 2026] [core:error] [pid 1234:tid 5678] "
        "[client 1.2.3.4:5678] AH00126: Invalid URI in request GET /%%% HTTP/1.1, "
        "referer: http://x/"
    )
    assert ev.time == pytest.approx(T24 + 0.123456)
    assert (ev.module, ev.level, ev.pid, ev.tid) == ("core", "error", 1234, "5678")
    assert (ev.client_ip, ev.client_port) == ("1.2.3.4", 5678)
    assert ev.code == "AH00126"
    assert ev.message == "Invalid URI in request GET /%%% HTTP/1.1"
    assert ev.referer == "http://x/"
    assert ev.origin is ORIGIN
    assert ev.raw.startswith("[Sun Nov 23")


def test_22_format_has_no_module_pid_or_port() -> None:
    ev = parse(
        "[Sun Nov 23 14:00:00 2026] [error] [client 1.2.3.4] File does not exist: /var/www/x"
    )
    assert ev.time == T24
    assert (ev.module, ev.level, ev.pid, ev.tid) == ("", "error", None, "")
    assert (ev.client_ip, ev.client_port) == ("1.2.3.4", None)
    assert ev.message == "File does not exist: /var/www/x"
    assert ev.code == ""


@pytest.mark.parametrize(
    "line",
    [
        "[Sun Nov 23 14:00:00 2026] [notice] Apache/2.2.22 configured -- resuming normal",
        "[Sun Nov 23 14:00:00.000001 2026] [mpm_event:notice] [pid 1:tid 2] AH00489: Apache/2.4",
    ],
)
def test_lines_without_client(line: str) -> None:
    ev = parse(line)
    assert (ev.client_ip, ev.client_port) == ("", None)
    assert ev.level == "notice"


@pytest.mark.parametrize(
    ("client", "ip", "port"),
    [
        ("[client [2001:db8::1]:443]", "2001:db8::1", 443),
        ("[client 2001:db8::1:443]", "2001:db8::1", 443),
        ("[client ::1:52174]", "::1", 52174),
        ("[client 192.0.2.1:80]", "192.0.2.1", 80),
    ],
)
def test_ipv6_and_ipv4_clients_with_ports(client: str, ip: str, port: int) -> None:
    ev = parse(f"[Sun Nov 23 14:00:00.1 2026] [authz_core:error] [pid 9] {client} AH01630: denied")
    assert (ev.client_ip, ev.client_port) == (ip, port)


def test_22_ipv6_client_is_kept_whole() -> None:
    ev = parse("[Sun Nov 23 14:00:00 2026] [error] [client 2001:db8::1] File does not exist: /x")
    assert (ev.client_ip, ev.client_port) == ("2001:db8::1", None)
    assert split_client("fe80::1:2", with_port=False) == ("fe80::1:2", None)


@pytest.mark.parametrize(
    ("line", "code", "message"),
    [
        (
            "[Sun Nov 23 14:00:01.0 2026] [auth_basic:error] [pid 1:tid 2] [client 1.2.3.4:5] "
            'AH01617: user admin: authentication failure for "/admin": Password Mismatch',
            "AH01617",
            'user admin: authentication failure for "/admin": Password Mismatch',
        ),
        (
            "[Sun Nov 23 14:00:02.0 2026] [auth_basic:error] [pid 1:tid 2] [client 1.2.3.4:5] "
            "AH01618: user bob not found: /admin",
            "AH01618",
            "user bob not found: /admin",
        ),
        (
            "[Sun Nov 23 14:00:03.0 2026] [authz_core:error] [pid 1:tid 2] [client 1.2.3.4:5] "
            "AH01630: client denied by server configuration: /var/www/html/server-status",
            "AH01630",
            "client denied by server configuration: /var/www/html/server-status",
        ),
    ],
)
def test_ah_codes_are_split_from_the_message(line: str, code: str, message: str) -> None:
    ev = parse(line)
    assert (ev.code, ev.message, ev.client_ip) == (code, message, "1.2.3.4")


def test_modsecurity_message_keeps_its_brackets_and_drops_the_echoed_client() -> None:
    ev = parse(
        "[Sun Nov 23 14:00:04.0 2026] [:error] [pid 1237] [client 192.0.2.44:5555] "
        "[client 192.0.2.44] ModSecurity: Access denied with code 403 (phase 2). "
        '[file "/etc/crs.conf"] [line "45"] [id "942100"] [msg "SQL Injection"] '
        '[hostname "www.example.com"] [uri "/index.php"] [unique_id "ZWx8"]'
    )
    assert (ev.module, ev.level, ev.client_ip, ev.client_port) == ("", "error", "192.0.2.44", 5555)
    assert ev.message.startswith("ModSecurity: Access denied with code 403")
    assert '[id "942100"]' in ev.message
    assert ev.message.endswith('[unique_id "ZWx8"]')


def test_fake_client_inside_the_message_never_becomes_the_client() -> None:
    ev = parse(
        "[Sun Nov 23 14:00:00.0 2026] [core:error] [pid 1:tid 2] [client 1.2.3.4:5] "
        "AH00126: Invalid URI in request GET /x?[client 6.6.6.6] HTTP/1.1"
    )
    assert ev.client_ip == "1.2.3.4"
    assert "[client 6.6.6.6]" in ev.message
    no_client = parse(
        "[Sun Nov 23 14:00:00.0 2026] [core:error] [pid 1:tid 2] AH00126: Invalid URI in "
        "request GET /[client 6.6.6.6] HTTP/1.1"
    )
    assert no_client.client_ip == ""
    old = parse("[Sun Nov 23 14:00:00 2026] [error] File does not exist: /var/www/[client 6.6.6.6]")
    assert old.client_ip == ""


def test_apr_status_and_remote_prefixes() -> None:
    ev = parse(
        "[Sun Nov 23 14:00:00.0 2026] [core:error] [pid 1:tid 2] (13)Permission denied: "
        "[remote 10.0.0.1:33] [client 1.2.3.4:5] AH00035: access to / denied"
    )
    assert (ev.client_ip, ev.client_port, ev.code) == ("1.2.3.4", 5, "AH00035")
    assert ev.message == "(13)Permission denied: access to / denied"


@pytest.mark.parametrize(
    ("remote", "ip", "port"),
    [
        ("[remote 203.0.113.50:51000]", "203.0.113.50", 51000),
        ("[remote 2001:db8::5:443]", "2001:db8::5", 443),
        ("[remote [2001:db8::5]:443]", "2001:db8::5", 443),
    ],
)
def test_remote_address_is_the_client_when_there_is_no_client(
    remote: str, ip: str, port: int
) -> None:
    # HTTP/2 requests are logged with [remote ...] (their connection has no scoreboard slot)
    ev = parse(
        f"[Sun Nov 23 14:00:06.0 2026] [auth_basic:error] [pid 1:tid 2] {remote} AH01618: "
        "user admin not found: /admin"
    )
    assert (ev.client_ip, ev.client_port, ev.code) == (ip, port, "AH01618")
    assert ev.message == "user admin not found: /admin"


def test_fake_remote_inside_the_message_never_becomes_the_client() -> None:
    ev = parse(
        "[Sun Nov 23 14:00:00.0 2026] [core:error] [pid 1:tid 2] AH00126: Invalid URI in "
        "request GET /[remote 6.6.6.6:1] HTTP/1.1"
    )
    assert (ev.client_ip, ev.client_port) == ("", None)


def test_syslog_errorlog_lines_without_time() -> None:
    ev = parse("[authz_core:error] [pid 1] [client 1.2.3.4:5] AH01630: client denied")
    assert ev.time is None
    assert (ev.module, ev.client_ip, ev.code) == ("authz_core", "1.2.3.4", "AH01630")


def test_trace_levels_and_referer_with_commas() -> None:
    ev = parse(
        "[Sun Nov 23 14:00:00.0 2026] [ssl:trace3] [pid 1:tid 2] [client 1.2.3.4:5] a, b, "
        "referer: http://r/?a,b"
    )
    assert (ev.level, ev.message, ev.referer) == ("trace3", "a, b", "http://r/?a,b")


@pytest.mark.parametrize(
    "line",
    [
        "",
        "[",
        "[Sun Nov 23 14:00:00 2026]",
        "[Sun Nov 23 14:00:00 2026] [bogus] message",
        "[anything] free text",
        '1.2.3.4 - - [23/Nov/2026:14:00:00 +0000] "GET / HTTP/1.1" 200 5',
        "\x00\x01[client 1.2.3.4]",
    ],
)
def test_non_error_lines_are_rejected(line: str) -> None:
    assert parse_error_line(line, ORIGIN) is None


def test_fixture_lines_all_parse() -> None:
    for name in ("error_24.log", "error_22.log"):
        for line in (FIXTURES / name).read_text().splitlines():
            ev = parse(line)
            assert ev.time is not None, line


@pytest.mark.parametrize("junk", ["\x1b[31m", "\x07", "<b>", "\u202e"])
def test_a_client_with_control_characters_or_markup_is_no_client(junk: str) -> None:
    ev = parse(
        f"[Sun Nov 23 14:00:00.1 2026] [authz_core:error] [pid 9] [client 1.2.3.4{junk}:5555] "
        "AH01630: client denied by server configuration: /srv/secret"
    )
    assert ev.client_ip == ""  # an address or nothing: never the junk
