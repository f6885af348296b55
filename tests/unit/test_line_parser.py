"""LineParser recognises each line's kind and format, strips syslog headers, and never raises."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from lwsyslog.errors import FormatError
from lwsyslog.events import AccessEvent, ErrorEvent, Origin, Unparsed, UnparsedReason
from lwsyslog.formats import BUILTIN_FORMATS, LineParser, strip_syslog_header

FIXTURES = Path(__file__).parent.parent / "fixtures" / "formats"
ORIGIN = Origin("test.log", 3)

COMMON = '203.0.113.9 - bob [23/Nov/2026:14:00:00 +0000] "GET /a HTTP/1.1" 401 12'
COMBINED = COMMON + ' "http://ref/" "curl/8.4.0"'
VHOST = (
    "www.example.com:443 203.0.113.9 - - [23/Nov/2026:14:00:00 +0000] "
    '"GET /b HTTP/1.1" 200 9 "-" "ua"'
)
ERROR24 = (
    "[Sun Nov 23 14:00:00.5 2026] [authz_core:error] [pid 1:tid 2] [client 198.51.100.7:4] "
    "AH01630: client denied by server configuration: /srv"
)
ERROR22 = "[Sun Nov 23 14:00:00 2026] [error] [client 198.51.100.7] File does not exist: /x"


def access(parser: LineParser, line: str, origin: Origin = ORIGIN) -> AccessEvent:
    event = parser.parse(line, origin)
    assert isinstance(event, AccessEvent), event
    return event


def error(parser: LineParser, line: str, origin: Origin = ORIGIN) -> ErrorEvent:
    event = parser.parse(line, origin)
    assert isinstance(event, ErrorEvent), event
    return event


def unparsed(parser: LineParser, line: str) -> UnparsedReason:
    event = parser.parse(line, ORIGIN)
    assert isinstance(event, Unparsed), event
    assert event.raw == line.rstrip("\r\n")
    return event.reason


# --- kinds and formats ----------------------------------------------------------------------


def test_auto_mode_recognises_each_line_on_its_own() -> None:
    parser = LineParser()
    assert access(parser, COMBINED).user_agent == "curl/8.4.0"
    assert error(parser, ERROR24).code == "AH01630"
    assert access(parser, COMMON).status == 401
    assert error(parser, ERROR22).client_ip == "198.51.100.7"
    assert access(parser, VHOST).vhost == "www.example.com"


def test_forced_modes_accept_only_their_kind() -> None:
    assert unparsed(LineParser("access"), ERROR24) is UnparsedReason.NO_FORMAT_MATCHED
    assert unparsed(LineParser("error"), COMBINED) is UnparsedReason.NO_FORMAT_MATCHED
    assert error(LineParser("error"), ERROR24).level == "error"
    assert access(LineParser("access"), COMBINED).user == "bob"


def test_switching_formats_mid_stream_keeps_every_field() -> None:
    parser = LineParser()
    for _ in range(3):
        assert access(parser, COMMON).referer == ""
        assert access(parser, COMBINED).referer == "http://ref/"
        assert access(parser, VHOST).extra == {"server_port": "443"}
        assert access(parser, COMMON).user_agent == ""


def test_raw_logformat_strings_and_names_mix() -> None:
    parser = LineParser(access_formats=('%a %D "%r" %>s', "combined"))
    ev = access(parser, '10.1.1.1 1500 "GET /x HTTP/1.1" 500')
    assert (ev.client_ip, ev.duration_us, ev.status) == ("10.1.1.1", 1500, 500)
    assert access(parser, COMBINED).user_agent == "curl/8.4.0"


def test_most_specific_format_wins_for_lines_with_trailing_fields() -> None:
    parser = LineParser(access_formats=("common", "combined"))
    ev = access(parser, COMBINED + " 1234")
    assert (ev.user_agent, ev.extra["trailing"]) == ("curl/8.4.0", "1234")
    assert [f.name for f in parser.formats] == ["combined", "common"]


VHOST_NOPORT = (
    'www.example.com 203.0.113.9 - - [23/Nov/2026:14:00:00 +0000] "GET / HTTP/1.1" 200 9 "-" "ua"'
)


@pytest.mark.parametrize(
    ("client", "read"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8::7", "2001:db8::7"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("crawl-66-249-66-1.googlebot.com", "crawl-66-249-66-1.googlebot.com"),
    ],
)
def test_a_vhost_without_port_gives_the_real_client(client: str, read: str) -> None:
    parser = LineParser()
    for line in (
        VHOST_NOPORT.replace("203.0.113.9", client),
        VHOST_NOPORT.replace("203.0.113.9", client).removesuffix(' "-" "ua"'),
    ):
        ev = access(parser, line)
        assert (ev.client_ip, ev.vhost, ev.status) == (read, "www.example.com", 200)


def test_without_a_vhost_format_a_vhost_line_is_unparsed_not_misread() -> None:
    parser = LineParser(access_formats=("vhost_combined", "combined", "common"))
    assert unparsed(parser, VHOST_NOPORT) is UnparsedReason.NO_FORMAT_MATCHED
    assert unparsed(parser, VHOST_NOPORT.replace(" - - ", " - bob ")) is (
        UnparsedReason.NO_FORMAT_MATCHED
    )
    assert access(parser, COMBINED).client_ip == "203.0.113.9"


def test_mixed_vhost_layouts_each_keep_their_port() -> None:
    parser = LineParser()
    for _ in range(3):
        assert access(parser, VHOST_NOPORT).extra == {}
        ev = access(parser, VHOST)
        assert (ev.vhost, ev.extra, ev.client_ip) == (
            "www.example.com",
            {"server_port": "443"},
            "203.0.113.9",
        )
        assert access(parser, COMBINED).vhost == ""


# --- lines wrapped in quotes ----------------------------------------------------------------


def test_lines_wrapped_in_quotes_are_read_inside_them() -> None:
    parser = LineParser()
    lines = (FIXTURES / "access_quoted.log").read_text().splitlines()
    events = [access(parser, line) for line in lines]
    assert [e.client_ip for e in events] == ["192.168.4.25", "192.168.4.26", "192.168.4.27"]
    assert [e.raw for e in events] == lines
    assert events[0].user_agent.startswith("sqlmap/")
    assert events[2].request_line == "GET /phpmyadmin/ HTTP/1.1"  # CSV's "" undone
    assert access(parser, COMBINED).client_ip == "203.0.113.9"
    assert error(parser, f'"{ERROR24}"').client_ip == "198.51.100.7"


@pytest.mark.parametrize(
    "line",
    [
        '"' + COMBINED,  # a stray leading quote: the last quote closes the user agent
        '"' + COMMON,
        '"203.0.113.9" - bob [23/Nov/2026:14:00:00 +0000] "GET /a HTTP/1.1" 401 12',
        '"not a log line"',
        '"""',
    ],
)
def test_a_client_with_a_quote_is_never_accepted(line: str) -> None:
    parser = LineParser()
    assert unparsed(parser, line) is UnparsedReason.NO_FORMAT_MATCHED


def test_remote_user_with_blanks_still_parses() -> None:
    ev = access(LineParser(), COMBINED.replace(" bob ", " John Smith "))
    assert (ev.user, ev.client_ip) == ("John Smith", "203.0.113.9")


def test_fixture_files_parse_without_a_single_unparsed_line() -> None:
    parser = LineParser()
    for path in sorted(FIXTURES.glob("*.log")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            event = parser.parse(line, Origin(path.name, number))
            assert not isinstance(event, Unparsed), (path.name, number, event)


def test_invalid_configuration_fails_at_construction() -> None:
    with pytest.raises(FormatError, match="unknown directive"):
        LineParser(access_formats=("%h %Q",))
    with pytest.raises(FormatError):
        LineParser(access_formats=())
    with pytest.raises(ValueError, match="mode"):
        LineParser(mode="both")  # type: ignore[arg-type]


# --- line endings, empty lines --------------------------------------------------------------


def test_trailing_cr_and_newline_are_ignored() -> None:
    parser = LineParser()
    ev = access(parser, COMBINED + "\r")
    assert ev.user_agent == "curl/8.4.0"
    assert ev.raw == COMBINED
    assert error(parser, ERROR24 + "\r\n").message.endswith("/srv")


@pytest.mark.parametrize("line", ["", "\r", "\n", "   ", "\t\r\n"])
def test_empty_lines(line: str) -> None:
    assert unparsed(LineParser(), line) is UnparsedReason.EMPTY


# --- syslog headers -------------------------------------------------------------------------


def test_syslog_headers_are_stripped_and_fill_the_origin() -> None:
    parser = LineParser()
    lines = (FIXTURES / "syslog_wrapped.log").read_text().splitlines()
    events = [parser.parse(line, ORIGIN) for line in lines]
    assert [type(e).__name__ for e in events] == ["AccessEvent"] * 3 + ["ErrorEvent"]
    for event, line in zip(events, lines, strict=True):
        assert isinstance(event, AccessEvent | ErrorEvent)
        assert event.client_ip == "203.0.113.9"
        assert event.raw == line
        assert event.origin.host in ("web1", "web2")
        assert event.origin.name == ORIGIN.name
    assert events[1].origin.tag == "apache-access"
    assert events[3].origin.tag == "apache-error"


def test_wrapped_and_plain_lines_can_alternate() -> None:
    parser = LineParser()
    for _ in range(2):
        wrapped = access(parser, f"Nov 23 14:00:00 web1 apache-access: {COMBINED}")
        assert (wrapped.origin.host, wrapped.client_ip) == ("web1", "203.0.113.9")
        plain = access(parser, VHOST)
        assert (plain.origin, plain.vhost) == (ORIGIN, "www.example.com")
        assert error(parser, f"Nov 23 14:00:00 web2 apache-error: {ERROR22}").origin.host == "web2"


def test_a_known_origin_host_is_kept() -> None:
    origin = Origin("central/apache-access", 1, host="web9", tag="apache-access")
    ev = access(LineParser(), f"Nov 23 14:00:00 web1 apache-access: {COMBINED}", origin)
    assert ev.origin is origin


def test_a_header_never_parses_as_access_fields() -> None:
    # The message after the header is not a known format: the header must not be read as
    # client "Nov", logname "23", user "14:00:00 ..."
    line = 'Nov 23 14:00:00 web1 apache-access: 1.2.3.4 x [23/Nov/2026:14:00:00 +0000] "GET /"'
    assert unparsed(LineParser(), line) is UnparsedReason.NO_FORMAT_MATCHED


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Nov 23 14:00:00 web1 apache-access: msg", ("web1", "apache-access", "msg")),
        ("Nov  3 14:00:00 web1 httpd[77]: a b", ("web1", "httpd", "a b")),
        ("<190>Nov 23 14:00:00 web1 tag: x", ("web1", "tag", "x")),
        ("2026-11-23T14:00:00.123+01:00 web1 tag: x", ("web1", "tag", "x")),
        ("<134>1 2026-11-23T14:00:00Z web1 app 12 ID1 - x y", ("web1", "app", "x y")),
        ('<134>1 - - - - - [ex@1 a="b\\"]"] \ufeffx', ("", "", "x")),
    ],
)
def test_strip_syslog_header(line: str, expected: tuple[str, str, str]) -> None:
    assert strip_syslog_header(line) == expected


@pytest.mark.parametrize(
    "line",
    [COMMON, COMBINED, VHOST, ERROR24, "2001:db8::1 - - [x]", "Nov 23 junk", "<134>", "", "Nov"],
)
def test_lines_without_a_header_are_left_alone(line: str) -> None:
    assert strip_syslog_header(line) is None


# --- hostile input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "\x00\x00\x00\x00",
        "GET / HTTP/1.1\x00" + COMBINED,
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        "\x1b[31mred\x1b[0m " + COMBINED,
        COMBINED[:-5],
        '1.2.3.4 - - [23/Nov/2026:14:00:00 +0000] "GET /unterminated',
        '1.2.3.4 - - [23/Nov/2026:14:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "ua\\',
        "[" * 1000,
        "[Sun Nov 23 14:00:00 2026] [error" + "]" * 100,
        '"' * 5000,
        "\\" * 5001,
        "\ud800\udfff lone surrogates",
        "\ufffd\ufffd replacement characters",
        "%" * 100 + "{}",
        "1.2.3.4 - - [" + "9" * 5000 + "] x",
        '1.2.3.4 - - [23/Nov/2026:14:00:00 +0000] "GET / HTTP/1.1" ' + "9" * 5000 + " 5",
        "<134>1 " + "x " * 3000,
        "Nov 23 14:00:00 web1 tag: " + "\x00" * 10,
    ],
)
def test_hostile_lines_never_raise(line: str) -> None:
    parser = LineParser()
    event = parser.parse(line, ORIGIN)
    assert isinstance(event, AccessEvent | ErrorEvent | Unparsed)
    assert parser.internal_errors == 0


def test_nul_bytes_are_reported_as_binary() -> None:
    assert unparsed(LineParser(), "\x00\x01\x02binary") is UnparsedReason.BINARY


def test_ten_megabyte_lines_are_too_long_by_default() -> None:
    assert unparsed(LineParser(), "A" * 10_000_000) is UnparsedReason.TOO_LONG


def test_ten_megabyte_lines_parse_when_allowed() -> None:
    parser = LineParser(max_line_chars=50_000_000)
    big_target = "/" + "a" * 10_000_000
    ev = access(parser, COMBINED.replace("/a", big_target))
    assert ev.target == big_target
    # near misses of every shape stay linear instead of backtracking for ever
    for junk in (
        "1.2.3.4 " * 1_250_000,
        '1 - - [x] "' * 1_000_000,
        COMBINED[:60] + " [" * 5_000_000,
    ):
        assert isinstance(parser.parse(junk, ORIGIN), Unparsed)
    assert parser.internal_errors == 0


def _mutate(rnd: random.Random, line: str) -> str:
    chars = list(line)
    for _ in range(rnd.randrange(1, 6)):
        op = rnd.randrange(4)
        pos = rnd.randrange(len(chars) + 1)
        if op == 0 and chars:
            del chars[min(pos, len(chars) - 1)]
        elif op == 1:
            chars.insert(pos, rnd.choice('"\\[] -:%\x00\x1b\r{}'))
        elif op == 2:
            chars = chars[:pos]
        else:
            chars.insert(pos, chr(rnd.randrange(0x110000)))
    return "".join(chars)


def test_fuzz_random_bytes_and_mutated_lines_never_raise() -> None:
    rnd = random.Random(20261123)
    parser = LineParser(access_formats=(*BUILTIN_FORMATS, '%h "%{%Y-%m-%d %T}t" %D %{X}i'))
    seeds = [COMMON, COMBINED, VHOST, ERROR24, ERROR22, f"Nov 23 14:00:00 web1 a: {COMBINED}"]
    kinds: set[str] = set()
    for _ in range(3000):
        blob = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 300)))
        for line in (blob.decode("utf-8", errors="replace"), _mutate(rnd, rnd.choice(seeds))):
            event = parser.parse(line, ORIGIN)
            kinds.add(event.log)
            assert event.raw == line.rstrip("\r\n")
    assert parser.internal_errors == 0
    assert kinds == {"access", "error", "unparsed"}


@pytest.mark.parametrize(
    "line",
    [
        "Nov 23 14:00:00 web1.examp\u04cfe.com apache-access: x",
        "<134>1 2026-11-23T14:00:00Z web1.examp\u04cfe.com apache-access - - - x",
    ],
)
def test_a_syslog_header_host_shows_a_homoglyph_escaped(line: str) -> None:
    header = strip_syslog_header(line)
    assert header is not None
    assert header.host == "web1.examp%D3%8Fe.com"
