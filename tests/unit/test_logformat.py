"""LogFormat strings compile into patterns whose matches become the right AccessEvent."""

from __future__ import annotations

import calendar
from pathlib import Path

import pytest

from lwsyslog.errors import FormatError
from lwsyslog.events import AccessEvent, Origin
from lwsyslog.formats import BUILTIN_FORMATS, compile_logformat, split_request_line, unescape
from lwsyslog.formats.directives import DIRECTIVES
from lwsyslog.timeparse import apache_time, error_log_time, strftime_parser

FIXTURES = Path(__file__).parent.parent / "fixtures" / "formats"
ORIGIN = Origin("access.log", 1)
T0 = calendar.timegm((2000, 10, 10, 20, 55, 36))  # 10/Oct/2000:13:55:36 -0700


def parse(fmt: str, line: str) -> AccessEvent:
    event = compile_logformat(fmt).parse(line, ORIGIN)
    assert event is not None, f"{fmt!r} did not match {line!r}"
    return event


# --- built-in formats -----------------------------------------------------------------------


def test_builtin_names_are_apaches_defaults() -> None:
    assert BUILTIN_FORMATS["common"] == '%h %l %u %t "%r" %>s %b'
    assert BUILTIN_FORMATS["combined"].endswith('"%{Referer}i" "%{User-agent}i"')
    assert BUILTIN_FORMATS["vhost_combined"].startswith("%v:%p %h ")
    assert set(BUILTIN_FORMATS) == {
        "common",
        "combined",
        "vhost_combined",
        "vhost_combined_noport",
        "vhost_common",
        "referer",
        "agent",
    }


def test_common_line_gives_every_field() -> None:
    ev = parse(
        "common",
        '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326',
    )
    assert (ev.client_ip, ev.user, ev.time) == ("127.0.0.1", "frank", T0)
    assert (ev.method, ev.target, ev.protocol) == ("GET", "/apache_pb.gif", "HTTP/1.0")
    assert ev.request_line == "GET /apache_pb.gif HTTP/1.0"
    assert (ev.status, ev.bytes_sent) == (200, 2326)
    assert ev.raw.startswith("127.0.0.1 - frank")
    assert ev.origin is ORIGIN


def test_combined_line_gives_referer_and_agent() -> None:
    ev = parse(
        "combined",
        '203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] "GET /x?a=1&b=2 HTTP/1.1" 404 - '
        '"http://ex.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"',
    )
    assert ev.referer == "http://ex.com/start.html"
    assert ev.user_agent == "Mozilla/4.08 [en] (Win98; I ;Nav)"
    assert (ev.path, ev.query) == ("/x", "a=1&b=2")
    assert ev.bytes_sent is None
    assert ev.user == ""


def test_vhost_combined_line_gives_vhost_and_port() -> None:
    ev = parse(
        "vhost_combined",
        'www.example.com:443 203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" '
        '200 512 "-" "curl/8.4.0"',
    )
    assert (ev.vhost, ev.client_ip, ev.bytes_sent) == ("www.example.com", "203.0.113.9", 512)
    assert ev.extra == {"server_port": "443"}
    assert ev.user_agent == "curl/8.4.0"


def test_vhost_without_port_gives_vhost_and_client() -> None:
    ev = parse(
        "vhost_combined_noport",
        'www.example.com 203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" '
        '200 512 "-" "curl/8.4.0"',
    )
    assert (ev.vhost, ev.client_ip, ev.bytes_sent, ev.user_agent) == (
        "www.example.com",
        "203.0.113.9",
        512,
        "curl/8.4.0",
    )
    ev = parse(
        "vhost_common",
        'shop.example.com 2001:db8::7 - bob [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.1" 401 12',
    )
    assert (ev.vhost, ev.client_ip, ev.user, ev.status) == (
        "shop.example.com",
        "2001:db8::7",
        "bob",
        401,
    )


@pytest.mark.parametrize(
    "prefix",
    [
        "www.example.com 203.0.113.9 - -",
        "www.example.com 2001:db8::7 - -",
        "www.example.com crawl-1.googlebot.com - -",
        "www.example.com 203.0.113.9 - bob",
    ],
)
def test_a_vhost_in_front_never_passes_for_the_client(prefix: str) -> None:
    common = f'{prefix} [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5'
    for name, line in (("common", common), ("combined", common + ' "-" "ua"')):
        fmt = compile_logformat(name)
        assert fmt.match(line) is None, name
        assert fmt.match_lenient(line) is None, name


def test_a_port_after_the_vhost_is_never_read_as_part_of_its_name() -> None:
    line = (
        'www.example.com:443 203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" '
        '200 5 "-" "ua"'
    )
    assert compile_logformat("vhost_combined_noport").match(line) is None
    assert parse("vhost_combined", line).extra == {"server_port": "443"}


@pytest.mark.parametrize(
    ("server", "vhost", "port"),
    [
        ("[2001:db8::80]:443", "[2001:db8::80]", "443"),
        ("2001:db8::80:8443", "2001:db8::80", "8443"),
    ],
)
def test_ipv6_server_names_keep_their_port_apart(server: str, vhost: str, port: str) -> None:
    line = f'{server} 192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "ua"'
    ev = parse("vhost_combined", line)
    assert (ev.vhost, ev.extra["server_port"], ev.client_ip) == (vhost, port, "192.0.2.1")


@pytest.mark.parametrize(
    "client",
    [
        "192.0.2.1",
        "2001:db8::1",
        "::1",
        "crawl-66-249-66-1.googlebot.com",
        "localhost",
        "host_1.example.",
    ],
)
def test_client_addresses_and_host_names_are_read_whole(client: str) -> None:
    line = f'{client} - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5'
    assert parse("common", line).client_ip == client


def test_an_ipv6_zone_id_is_dropped_from_the_client() -> None:
    line = 'fe80::1%eth0 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5'
    assert parse("common", line).client_ip == "fe80::1"


@pytest.mark.parametrize(
    "client", ['"192.168.4.25', '"192.168.4.25"', "[192.0.2.1]", "192.0.2.1]", "-", "<script>"]
)
def test_a_client_never_holds_a_quote_or_a_bracket(client: str) -> None:
    line = f'{client} - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "ua"'
    for name in ("combined", "common"):
        assert compile_logformat(name).match(line) is None
        assert compile_logformat(name).match_lenient(line) is None


def test_a_quoted_host_is_read_when_the_format_says_so() -> None:
    ev = parse(
        '"%h" %l %u %t "%r" %>s %b',
        '"192.168.4.25" - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5',
    )
    assert ev.client_ip == "192.168.4.25"


def test_identd_lognames_other_than_addresses_are_accepted() -> None:
    ev = parse("common", '192.0.2.1 alice bob [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5')
    assert (ev.client_ip, ev.extra["remote_logname"], ev.user) == ("192.0.2.1", "alice", "bob")


def test_referer_and_agent_builtins() -> None:
    ev = parse("referer", "http://ex.com/a -> /b/c")
    assert (ev.referer, ev.target, ev.method) == ("http://ex.com/a", "/b/c", "")
    assert parse("agent", "Mozilla/5.0 (X11; Linux)").user_agent == "Mozilla/5.0 (X11; Linux)"


def test_fixture_lines_all_parse() -> None:
    combined = compile_logformat("combined")
    for line in (FIXTURES / "access_combined.log").read_text().splitlines():
        assert combined.parse(line, ORIGIN) is not None, line
    vhost = compile_logformat("vhost_combined")
    for line in (FIXTURES / "access_vhost_combined.log").read_text().splitlines():
        assert vhost.parse(line, ORIGIN) is not None, line
    noport = (compile_logformat("vhost_combined_noport"), compile_logformat("vhost_common"))
    for line in (FIXTURES / "access_vhost_noport.log").read_text().splitlines():
        assert any(f.parse(line, ORIGIN) is not None for f in noport), line


def test_a_common_line_does_not_match_combined_and_vice_versa() -> None:
    common = '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5'
    assert compile_logformat("combined").match(common) is None
    assert compile_logformat("common").match(common + ' "-" "ua"') is None


# --- escapes and '-' ------------------------------------------------------------------------


def test_escaped_quote_inside_a_quoted_field() -> None:
    ev = parse(
        "combined",
        r'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a\"b HTTP/1.1" 200 1 "-" "x\"y\\z"',
    )
    assert ev.target == '/a"b'
    assert ev.request_line == 'GET /a"b HTTP/1.1'
    assert ev.user_agent == 'x"y\\z'


def test_hex_and_control_escapes_are_undone() -> None:
    assert unescape(r"a\x41\tb\nc\\d\"e") == 'aA\tb\nc\\d"e'
    assert unescape(r"caf\xc3\xa9") == "café"
    # Not UTF-8 (an overlong '.'): stays visible, never dropped
    assert unescape(r"/\xc0\xae\xc0\xae/etc") == r"/\xc0\xae\xc0\xae/etc"
    assert unescape(r"\q") == r"\q"
    assert unescape("plain") == "plain"


def test_dash_means_empty_strings_and_none_numbers() -> None:
    ev = parse("combined", '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "-" - - "-" "-"')
    assert (ev.user, ev.referer, ev.user_agent, ev.request_line) == ("", "", "", "")
    assert (ev.status, ev.bytes_sent) == (None, None)


def test_tls_handshake_bytes_keep_the_raw_request_line() -> None:
    ev = parse(
        "combined",
        r'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "\x16\x03\x01\x02" 400 226 "-" "-"',
    )
    assert ev.method == "" and ev.target == "" and ev.protocol == ""
    assert ev.request_line == "\x16\x03\x01\x02"
    assert ev.status == 400


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GET /a HTTP/1.1", ("GET", "/a", "HTTP/1.1")),
        ("GET /", ("GET", "/", "")),
        ("GET /a b HTTP/1.1", ("GET", "/a b", "HTTP/1.1")),
        ("PROPFIND /dav/ HTTP/1.1", ("PROPFIND", "/dav/", "HTTP/1.1")),
        ("GET /a junk", ("GET", "/a junk", "")),
        ("\x16\x03\x01", ("", "", "")),
        ("", ("", "", "")),
        ("GET", ("", "", "")),
        ("<script> /x HTTP/1.1", ("", "", "")),
    ],
)
def test_split_request_line(line: str, expected: tuple[str, str, str]) -> None:
    assert split_request_line(line) == expected


def test_ipv6_client_address() -> None:
    ev = parse("common", '2001:db8::1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5')
    assert ev.client_ip == "2001:db8::1"


# --- custom formats -------------------------------------------------------------------------


def test_headers_env_cookie_and_final_status() -> None:
    fmt = '%a "%{X-Forwarded-For}i" "%{UNIQUE_ID}e" "%{session}C" "%{cookie}i" %>s %s'
    ev = parse(
        fmt, '10.0.0.1 "203.0.113.9, 10.0.0.2" "ZWx8" "abc123" "session=abc123; x=1" 302 200'
    )
    assert ev.client_ip == "10.0.0.1"
    assert ev.extra["header:x-forwarded-for"] == "203.0.113.9, 10.0.0.2"
    assert ev.extra["env:UNIQUE_ID"] == "ZWx8"
    assert ev.extra["cookie:session"] == "abc123"
    assert ev.cookie == "session=abc123; x=1"
    assert ev.status == 302  # %>s wins over %s
    assert ev.extra["status"] == "200"


def test_header_names_are_case_insensitive() -> None:
    ev = parse('"%{REFERER}i" "%{user-AGENT}i"', '"http://r/" "UA/1"')
    assert (ev.referer, ev.user_agent) == ("http://r/", "UA/1")


def test_strftime_time_format() -> None:
    ev = parse(
        '%h [%{%d/%b/%Y:%T %z}t] "%r"', '1.2.3.4 [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1"'
    )
    assert ev.time == T0


def test_strftime_without_zone_reads_utc_and_adds_millis() -> None:
    ev = parse('%h "%{%Y-%m-%d %H:%M:%S}t.%{msec_frac}t"', '1.2.3.4 "2000-10-10 20:55:36.250"')
    assert ev.time == T0 + 0.25


@pytest.mark.parametrize(
    ("arg", "value", "expected"),
    [
        ("sec", "971211336", T0),
        ("msec", "971211336500", T0 + 0.5),
        ("usec", "971211336000250", T0 + 0.00025),
        ("begin:sec", "971211336", T0),
        ("end:%d/%b/%Y:%H:%M:%S %z", "10/Oct/2000:13:55:36 -0700", T0),
    ],
)
def test_epoch_and_phase_time_tokens(arg: str, value: str, expected: float) -> None:
    ev = parse(f"%h %{{{arg}}}t", f"1.2.3.4 {value}")
    assert ev.time == pytest.approx(expected)


def test_time_only_format_goes_to_extra() -> None:
    ev = parse("%h %{%H:%M}t", "1.2.3.4 13:55")
    assert ev.time is None
    assert ev.extra["time:%H:%M"] == "13:55"


@pytest.mark.parametrize(
    ("fmt", "value", "expected"),
    [("%D", "1500", 1500), ("%T", "2", 2_000_000), ("%{ms}T", "15", 15_000), ("%{us}T", "7", 7)],
)
def test_durations_become_microseconds(fmt: str, value: str, expected: int) -> None:
    assert parse(f"%h {fmt}", f"1.2.3.4 {value}").duration_us == expected


def test_d_is_preferred_over_t_for_duration() -> None:
    ev = parse("%h %T %D", "1.2.3.4 1 1234567")
    assert ev.duration_us == 1234567
    assert ev.extra["duration_s"] == "1"


def test_conditional_directives_log_dash() -> None:
    fmt = "%h %400,501{User-agent}i %!200,304{Referer}i %404t"
    ev = parse(fmt, "1.2.3.4 - - -")
    assert (ev.user_agent, ev.referer, ev.time) == ("", "", None)
    ev = parse(fmt, "1.2.3.4 curl/8 http://r/ [10/Oct/2000:13:55:36 -0700]")
    assert (ev.user_agent, ev.referer, ev.time) == ("curl/8", "http://r/", T0)


def test_request_parts_without_percent_r() -> None:
    ev = parse('%h "%m %U%q %H" %>s', '1.2.3.4 "POST /login.php?next=%2F HTTP/1.1" 200')
    assert (ev.method, ev.target, ev.protocol) == ("POST", "/login.php?next=%2F", "HTTP/1.1")
    assert ev.request_line == "POST /login.php?next=%2F HTTP/1.1"
    assert ev.path == "/login.php"


def test_request_parts_next_to_percent_r_are_kept_in_extra() -> None:
    ev = parse('"%r" %m %U %{msec_frac}t', '"GET /a?b HTTP/1.1" GET /a 123')
    assert (ev.method, ev.target) == ("GET", "/a?b")
    assert ev.extra == {"method": "GET", "url_path": "/a", "time:msec_frac": "123"}


def test_every_other_directive_lands_in_extra_under_a_readable_key() -> None:
    fmt = (
        "%A %{c}a %{c}h %B %f %k %L %{note}n %{X-Frame}o %p %{remote}p %P %{tid}P "
        "%{hextid}P %R %V %X %I %S %{Trailer}^ti %{Trailer}^to %<s %% %l"
    )
    line = (
        "10.0.0.5 10.0.0.9 peer.example 512 /var/www/x.php 3 ZWx8 yes DENY 80 51234 1234 5678 "
        "1a2b application/x-httpd-php example.org + 700 1200 t1 t2 404 % ident"
    )
    ev = parse(fmt, line)
    assert ev.client_ip == "10.0.0.9"  # no %a or %h: the connection's peer is the client
    assert ev.extra == {
        "local_ip": "10.0.0.5",
        "peer_host": "peer.example",
        "filename": "/var/www/x.php",
        "keepalive_requests": "3",
        "log_id": "ZWx8",
        "note:note": "yes",
        "response_header:x-frame": "DENY",
        "server_port": "80",
        "remote_port": "51234",
        "pid": "1234",
        "tid": "5678",
        "hextid": "1a2b",
        "handler": "application/x-httpd-php",
        "connection_status": "+",
        "bytes_received": "700",
        "bytes_transferred": "1200",
        "request_trailer:trailer": "t1",
        "response_trailer:trailer": "t2",
        "remote_logname": "ident",
    }
    assert (ev.bytes_sent, ev.vhost, ev.status) == (512, "example.org", 404)


def test_every_documented_directive_compiles() -> None:
    args = {"C": "{x}", "e": "{x}", "i": "{x}", "n": "{x}", "o": "{x}", "^ti": "{x}", "^to": "{x}"}
    for letter in DIRECTIVES:
        fmt = f"%h [%{args.get(letter, '')}{letter}]"
        assert compile_logformat(fmt).specificity == (1 if letter == "%" else 2), fmt


def test_httpd_conf_escaped_quotes_in_the_format_are_accepted() -> None:
    ev = parse(r"%h \"%r\" %>s", '1.2.3.4 "GET / HTTP/1.1" 200')
    assert ev.method == "GET"


def test_lenient_match_keeps_trailing_fields() -> None:
    fmt = compile_logformat("combined")
    line = '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "ua" 1234 x'
    assert fmt.match(line) is None
    m = fmt.match_lenient(line)
    assert m is not None
    assert fmt.to_event(m, ORIGIN, line).extra == {"trailing": "1234 x"}


def test_pattern_is_one_anchored_regex_with_named_groups() -> None:
    fmt = compile_logformat("combined")
    assert fmt.pattern.groupindex.keys() >= {"h_0", "r_4", "i_user_agent_8"}
    line = '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "ua"'
    assert fmt.match(line) is not None
    assert fmt.match(line + "x") is None
    assert fmt.match("x " + line) is None


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "fragment"),
    [
        ("%h %Z", "'%Z' at position 3: unknown directive"),
        ("%h %", "'%' at position 3: incomplete directive"),
        ("%h %{Referer", "'%{Referer' at position 3: unterminated '{'"),
        ("%h %i", "'%i' at position 3: needs a {NAME} argument"),
        ("%{x}s", "'%{x}s' at position 0: %s takes no {argument}"),
        ("%{minutes}T", "argument must be one of ms, s, us"),
        ("%{a}{b}i", "more than one {argument}"),
        ("%!{x}i", "'!' must be followed by status codes"),
        ("%40{x}i", "'%4' at position 0: unknown directive"),
        ("%{}i", "empty {NAME} argument"),
    ],
)
def test_format_errors_name_the_directive_and_position(fmt: str, fragment: str) -> None:
    with pytest.raises(FormatError) as info:
        compile_logformat(fmt)
    assert fragment in str(info.value)


@pytest.mark.parametrize("fmt", ["", "no directives here"])
def test_formats_without_directives_are_rejected(fmt: str) -> None:
    with pytest.raises(FormatError):
        compile_logformat(fmt)


# --- time parsing ---------------------------------------------------------------------------


def test_apache_time_honours_the_zone_and_rejects_nonsense() -> None:
    assert apache_time("10/Oct/2000:13:55:36 -0700") == T0
    assert apache_time("10/Oct/2000:22:55:36 +0200") == T0
    assert apache_time("10/Oct/2000:13:55:37 -0700") == T0 + 1  # same minute, cached
    assert apache_time("10/Oct/2000:13:55:60 -0700") == T0 + 24  # a leap second
    for bad in (
        "31/Feb/2000:13:55:36 -0700",
        "10/Foo/2000:13:55:36 -0700",
        "10/Oct/2000:13:55:99 -0700",
        "10/Oct/2000:13:55:61 -0700",
        "10/Oct/2000:13:55:-1 -0700",
        "10/Oct/2000:13:55:\u0663\u0666 -0700",  # Arabic-Indic digits: not a log's seconds
        "junk",
        "",
    ):
        assert apache_time(bad) is None, bad


def test_error_log_times_are_read_as_utc() -> None:
    assert error_log_time("Tue Oct 10 20:55:36 2000") == T0
    assert error_log_time("Tue Oct 10 20:55:36.250000 2000") == T0 + 0.25
    assert error_log_time("2000-10-10 20:55:36.5") == T0 + 0.5
    assert error_log_time("Tue Foo 10 20:55:36 2000") is None
    assert error_log_time("not a time") is None


def test_a_time_outside_1970_to_9998_is_no_time() -> None:
    """Every later step (messages file, store, report in a local zone) can show what the
    parsers return: ``datetime`` stops at the year 9999."""
    for bad in ("31/Dec/9999:23:30:00 -0100", "01/Jan/1969:00:00:00 +0000"):
        assert apache_time(bad) is None, bad
    assert apache_time("30/Dec/9998:23:59:59 -1400") is not None
    assert error_log_time("Fri Dec 31 23:59:59 9999") is None
    assert error_log_time("9999-12-31 23:59:59") is None
    parser = strftime_parser("%Y-%m-%dT%H:%M:%S%z")
    assert parser is not None
    assert parser("9999-12-31T23:30:00-0100") is None
    assert parser("0001-01-01T00:00:00+0100") is None
    seconds = strftime_parser("%s")
    assert seconds is not None and seconds("99999999999999999999") is None


def test_strftime_parser_refuses_formats_without_a_date() -> None:
    assert strftime_parser("%H:%M:%S") is None
    parser = strftime_parser("%Y-%m-%dT%H:%M:%S%z")
    assert parser is not None
    assert parser("2000-10-10T22:55:36+0200") == T0
    assert parser("garbage") is None
