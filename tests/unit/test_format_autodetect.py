"""``--log auto`` recognises each kind on its own, line by line, in any mix."""

from __future__ import annotations

import pytest

from lwsyslog.errors import FormatError
from lwsyslog.events import AccessEvent, ErrorEvent, Origin, Unparsed, UnparsedReason
from lwsyslog.formats import DEFAULT_ACCESS_FORMATS, LineParser
from tests.unit.formats_fixtures import APACHE_JSON, IIS, NGINX, lines

COMBINED = '192.0.2.1 - bob [05/Dec/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 5 "-" "curl/8.0"'
APACHE_ERROR = (
    "[Sat Dec 05 10:00:00.123456 2026] [core:error] [pid 7:tid 8] [client 192.0.2.2:5555] "
    "AH00128: File does not exist: /var/www/html/.env"
)
NGINX_ERROR = lines(NGINX / "error.log")[10]  # the /.env probe
NGINX_JSON = lines(NGINX / "access.json.log")[0]
APACHE_JSON_LINE = lines(APACHE_JSON / "access.loggly.json.log")[0]
IIS_HEADER = [line.rstrip("\r") for line in lines(IIS)[:4]]
IIS_ENTRY = lines(IIS)[4].rstrip("\r")


def _kinds(parser: LineParser, stream: list[str]) -> list[str]:
    out = []
    for n, text in enumerate(stream, 1):
        event = parser.parse(text, Origin("mixed.log", n))
        if isinstance(event, AccessEvent):
            out.append(f"access:{event.client_ip}")
        elif isinstance(event, ErrorEvent):
            out.append(f"error:{event.client_ip}")
        else:
            out.append(f"unparsed:{event.reason.value}")
    return out


def test_default_formats_include_json_and_iis() -> None:
    assert "json" in DEFAULT_ACCESS_FORMATS and "iis" in DEFAULT_ACCESS_FORMATS


def test_a_mixed_stream_is_read_line_by_line() -> None:
    stream = [
        COMBINED,
        NGINX_ERROR,
        COMBINED,
        NGINX_JSON,
        APACHE_ERROR,
        *IIS_HEADER,
        IIS_ENTRY,
        APACHE_JSON_LINE,
        COMBINED,
        IIS_ENTRY,
    ]
    assert _kinds(LineParser(), stream) == [
        "access:192.0.2.1",
        "error:127.0.0.23",
        "access:192.0.2.1",
        "access:127.0.0.10",
        "error:192.0.2.2",
        *["unparsed:directive"] * 4,
        "access:192.0.2.10",
        "access:127.0.0.10",
        "access:192.0.2.1",
        "access:192.0.2.10",
    ]


def test_an_iis_entry_is_recognised_without_its_header() -> None:
    assert _kinds(LineParser(), [IIS_ENTRY]) == ["access:192.0.2.10"]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (NGINX / "error.log", ErrorEvent),
        (NGINX / "access.json.log", AccessEvent),
        (NGINX / "access-default-escape.json.log", AccessEvent),
        (NGINX / "access.combined.log", AccessEvent),
        (APACHE_JSON / "access.loggly.json.log", AccessEvent),
        (APACHE_JSON / "access.full.json.log", AccessEvent),
        (APACHE_JSON / "error.log", ErrorEvent),
    ],
    ids=lambda v: getattr(v, "name", ""),
)
def test_each_real_file_is_recognised_whole_by_auto(path: object, kind: type) -> None:
    parser = LineParser()
    events = [parser.parse(t, Origin("f", n)) for n, t in enumerate(lines(path), 1)]  # type: ignore[arg-type]
    assert all(isinstance(e, kind) for e in events), [e for e in events if not isinstance(e, kind)]


def test_the_iis_fixture_is_recognised_whole_by_auto() -> None:
    parser = LineParser()
    events = [parser.parse(t, Origin("u_ex.log", n)) for n, t in enumerate(lines(IIS), 1)]
    assert all(
        isinstance(e, AccessEvent)
        or (isinstance(e, Unparsed) and e.reason is UnparsedReason.DIRECTIVE)
        for e in events
    )


def test_syslog_wrapped_lines_of_each_kind() -> None:
    stream = [
        f"Dec  5 10:00:00 web1 nginx: {NGINX_ERROR}",
        f"Dec  5 10:00:00 web1 nginx-access: {NGINX_JSON}",
        f"Dec  5 10:00:00 win1 iis-access: {IIS_HEADER[3]}",
        f"Dec  5 10:00:00 win1 iis-access: {IIS_ENTRY}",
    ]
    parser = LineParser()
    events = [parser.parse(t, Origin("central.log", n)) for n, t in enumerate(stream, 1)]
    assert [e.log for e in events] == ["error", "access", "unparsed", "access"]
    assert [e.origin.host for e in events] == ["web1", "web1", "win1", "win1"]


def test_modes_keep_to_their_kind() -> None:
    access, error = LineParser("access"), LineParser("error")
    assert _kinds(access, [NGINX_ERROR]) == ["unparsed:no-format-matched"]
    assert _kinds(error, [NGINX_JSON, IIS_ENTRY]) == ["unparsed:no-format-matched"] * 2
    assert _kinds(error, [NGINX_ERROR]) == ["error:127.0.0.23"]


def test_kinds_not_listed_in_access_formats_are_not_read() -> None:
    parser = LineParser("auto", ("combined",))
    assert _kinds(parser, [NGINX_JSON, IIS_ENTRY, IIS_HEADER[3], COMBINED]) == [
        "unparsed:no-format-matched",
        "unparsed:no-format-matched",
        "unparsed:no-format-matched",
        "access:192.0.2.1",
    ]


def test_json_or_iis_alone_is_a_valid_format_list() -> None:
    assert _kinds(LineParser("access", ("nginx_json",)), [NGINX_JSON]) == ["access:127.0.0.10"]
    assert _kinds(LineParser("access", ("iis",)), [IIS_ENTRY]) == ["access:192.0.2.10"]
    with pytest.raises(FormatError, match="no access-log format"):
        LineParser("access", ())


def test_apache_lines_after_another_kind_take_the_fast_path_again() -> None:
    """A JSON line turns the hot path off; the next Apache line turns it back on, and its
    events are the same as a fresh parser's."""
    parser, fresh = LineParser(), LineParser()
    parser.parse(NGINX_JSON, Origin("f", 1))
    for n in range(2, 5):
        assert parser.parse(COMBINED, Origin("f", n)) == fresh.parse(COMBINED, Origin("f", n))
    assert parser._hot is not None
