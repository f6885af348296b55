"""JSON access lines: real nginx (``escape=json`` and default escaping) and Apache JSON LogFormat
logs from a run against real servers, the key mapping, and lines that must be refused."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from lwsyslog.config import load_config
from lwsyslog.errors import FormatError
from lwsyslog.events import AccessEvent, Origin
from lwsyslog.formats import LineParser
from lwsyslog.formats.json_access import JsonAccessReader
from lwsyslog.pipeline import Pipeline
from tests.unit.formats_fixtures import APACHE_JSON, NGINX, clients, lines, parse_all
from tests.unit.user_agent_cost import cost_ratio

ORIGIN = Origin("access.json", 1)
FILES = (
    NGINX / "access.json.log",
    NGINX / "access-default-escape.json.log",
    APACHE_JSON / "access.loggly.json.log",
    APACHE_JSON / "access.full.json.log",
)


def _events(path: Path) -> list[AccessEvent]:
    events = parse_all(LineParser("access", ("json",)), path)
    assert all(isinstance(e, AccessEvent) for e in events), [e for e in events if e.log != "access"]
    return [e for e in events if isinstance(e, AccessEvent)]


def _one(path: Path, client: str, needle: str) -> AccessEvent:
    return next(e for e in _events(path) if e.client_ip == client and needle in e.target)


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_line_of_each_real_json_log_is_an_access_event(path: Path) -> None:
    events = _events(path)
    assert len(events) == len(lines(path))
    assert {e.client_ip for e in events} == set(clients(path.parent))
    assert all(e.time is not None and e.status is not None for e in events)


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sqli_request_has_its_target_method_and_status(path: Path) -> None:
    sqli = _one(path, "127.0.0.21", "UNION")
    assert sqli.method == "GET" and sqli.status == 200
    assert sqli.path == "/index.html"
    assert sqli.query == "id=1%27%20UNION%20SELECT%20username,password%20FROM%20users--"


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_quotes_backslashes_and_non_ascii_come_back_as_sent(path: Path) -> None:
    """The hostile-bytes request: escape=json, nginx's \\xHH and Apache's \\" and \\xhh all
    give the same User-Agent and Referer (an invalid byte is replaced or shown as \\xff)."""
    hostile = next(e for e in _events(path) if e.client_ip == "127.0.0.28")
    assert hostile.user_agent.startswith('agent "with quotes" \\ and \\u0041 {braces} café ')
    assert hostile.user_agent[-1] in ("\ufffd", "f")  # U+FFFD or the text \xff
    assert hostile.referer == 'http://x/"}, "remote_addr": "6.6.6.6'
    assert hostile.client_ip == "127.0.0.28"  # the JSON planted in the Referer stays there


def test_nginx_json_keeps_request_line_protocol_and_duration() -> None:
    event = _one(NGINX / "access.json.log", "127.0.0.10", "/about.html")
    assert event.request_line == "GET /about.html HTTP/1.1" and event.protocol == "HTTP/1.1"
    assert event.vhost == "127.0.0.1" and event.duration_us is not None
    assert event.bytes_sent == 13 and event.user_agent.startswith("Mozilla/5.0")


def test_apache_loggly_format_joins_path_and_query() -> None:
    """That LogFormat logs %U (decoded path) as "request" and %q (with its "?") as "query"."""
    event = _one(APACHE_JSON / "access.loggly.json.log", "127.0.0.27", "svg")
    assert event.target == "/index.html?q=%3Csvg%2Fonload%3Dalert(1)%3E"
    assert event.request_line == "GET /index.html?q=%3Csvg%2Fonload%3Dalert(1)%3E"
    decoded_path = next(
        e for e in _events(APACHE_JSON / "access.loggly.json.log") if "6.6" in e.path
    )
    assert decoded_path.path == "/x, client: 6.6.6.6, server: evil"
    assert decoded_path.client_ip == "127.0.0.29"


def test_forwarded_header_is_kept_for_the_trusted_proxy_rule() -> None:
    spoofed = _one(NGINX / "access.json.log", "127.0.0.30", "UNION")
    assert spoofed.extra["header:x-forwarded-for"] == "192.0.2.99"


def test_unmapped_keys_go_to_extra() -> None:
    event = JsonAccessReader().parse(
        '{"remote_addr":"192.0.2.1","request":"GET / HTTP/1.1","trace_id":"ab12","n":3}',
        ORIGIN,
        "raw",
    )
    assert event is not None and event.extra == {"trace_id": "ab12", "n": "3"}


def test_a_key_mapping_replaces_the_default_keys_of_a_field() -> None:
    reader = JsonAccessReader({"client_ip": ["src"], "target": ["u"]})
    event = reader.parse('{"src":"192.0.2.7","remote_addr":"10.0.0.1","u":"/x?a=1"}', ORIGIN, "r")
    assert event is not None and event.client_ip == "192.0.2.7" and event.target == "/x?a=1"
    assert event.extra["remote_addr"] == "10.0.0.1"


def test_key_mapping_errors_name_the_field() -> None:
    with pytest.raises(FormatError, match="unknown field 'client'"):
        JsonAccessReader({"client": ["ip"]})
    with pytest.raises(FormatError, match="'target' needs a non-empty list"):
        JsonAccessReader({"target": []})


def test_keys_are_matched_without_case() -> None:
    event = JsonAccessReader().parse('{"RemoteIP":"192.0.2.9","Status":"404"}', ORIGIN, "r")
    assert event is not None and (event.client_ip, event.status) == ("192.0.2.9", 404)


def test_half_a_surrogate_pair_does_not_hide_the_request() -> None:
    # orjson refuses "\udfff"; one character the client chose must not make the line unparsed.
    line = (
        '{"remote_addr":"203.0.113.8","status":"200",'
        '"request":"GET /item?id=1%27%20UNION%20SELECT%20password%20FROM%20users-- HTTP/1.1",'
        '"http_user_agent":"\\udfffcurl \\ud83d\\ude00"}'
    )
    event = JsonAccessReader().parse(line, ORIGIN, line)
    assert event is not None
    assert event.client_ip == "203.0.113.8" and event.target.startswith("/item?id=1%27")
    assert event.user_agent == "\ufffdcurl \U0001f600"  # a valid pair stays its character
    result = Pipeline(load_config([])).process(line, ORIGIN)
    assert "sqli" in {c for f in result.findings for c in f.categories}


@pytest.mark.parametrize(
    "text",
    [
        "[1, 2, 3]",
        '"just a string"',
        "{not json}",
        '{"a": 1',
        "{" + '"a":' * 5000 + "1" + "}" * 5000,
        "{" + ",".join(f'"k{i}":{i}' for i in range(300)) + "}",
    ],
    ids=["array", "string", "broken", "unterminated", "nested-5000", "300-keys"],
)
def test_lines_that_are_not_a_flat_json_object_are_refused(text: str) -> None:
    assert JsonAccessReader().parse(text, ORIGIN, text) is None


def test_nested_and_non_scalar_values_are_never_taken() -> None:
    line = json.dumps(
        {
            "remote_addr": {"ip": "6.6.6.6"},
            "request": ["GET / HTTP/1.1"],
            "status": True,
            "http_user_agent": None,
        }
    )
    event = JsonAccessReader().parse(line, ORIGIN, line)
    assert event is not None
    assert (event.client_ip, event.request_line, event.status, event.user_agent) == (
        "",
        "",
        None,
        "",
    )


def test_a_client_list_gives_its_right_most_entry_and_is_kept_whole() -> None:
    """nginx's $proxy_add_x_forwarded_for under the client key: the last entry is the peer
    nginx saw; the ones to its left are claims anyone can send."""
    line = '{"remoteIP":"6.6.6.6, 10.0.0.1","request":"/"}'
    event = JsonAccessReader().parse(line, ORIGIN, line)
    assert event is not None and event.client_ip == "10.0.0.1"
    assert event.extra["client_raw"] == "6.6.6.6, 10.0.0.1"


@pytest.mark.parametrize("value", ["6.6.6.6, unknown", "6.6.6.6, ", "a b", "<script>"])
def test_a_client_value_that_names_no_address_is_not_the_client(value: str) -> None:
    line = json.dumps({"remote_addr": value, "request": "/"})
    event = JsonAccessReader().parse(line, ORIGIN, line)
    assert event is not None and event.client_ip == ""
    assert event.extra["client_raw"] == value


def test_values_are_bounded() -> None:
    line = json.dumps({"remote_addr": "192.0.2.1", "http_user_agent": "A" * 100_000})
    event = JsonAccessReader(max_value_chars=1000).parse(line, ORIGIN, line)
    assert event is not None and len(event.user_agent) == 1000


def test_time_layouts() -> None:
    reader = JsonAccessReader()
    expected = 1_796_484_565.0  # 2026-12-05T15:29:25Z
    for value in (
        '"2026-12-05T15:29:25+00:00"',
        '"2026-12-05T16:29:25+01:00"',
        '"2026-12-05T15:29:25Z"',
        '"05/Dec/2026:15:29:25 +0000"',
        '"[05/Dec/2026:10:29:25 -0500]"',
        '"1796484565.000"',
        "1796484565",
        "1796484565000",
    ):
        event = reader.parse('{"time":' + value + "}", ORIGIN, "r")
        assert event is not None and event.time == expected, value
    bad = reader.parse('{"time":"yesterday"}', ORIGIN, "r")
    assert bad is not None and bad.time is None


def _reference_escapes(text: str) -> str:
    """The reading of Apache's escapes that ``JsonAccessReader`` keeps: each ``\\xHH`` is the
    byte HH, every other escaped character stays escaped (a ``re`` substitution, left to right)."""
    return re.sub(
        r"\\(?:x([0-9A-Fa-f]{2})|(.))",
        lambda m: f"\\u00{m.group(1)}" if m.group(1) is not None else m.group(),
        text,
        flags=re.DOTALL,
    )


def test_apache_escapes_read_like_the_reference_on_fuzzed_values() -> None:
    # Runs of backslashes, x, hex digits and quotes: an escaped backslash before "x41" must not
    # start an escape, a lone \x or \xZZ must leave the line unread, never misread.
    reader = JsonAccessReader()
    pieces = ["\\", "\\\\", "x", "4", "1", "a", "F", "g", '"', "u", "0", "n", " ", "é", "/"]
    pieces += ["\\xc3", "\\xa9", "\\x4", "\\xff"]
    chooser = random.Random(7)
    read = 0
    for _ in range(20_000):
        value = "".join(chooser.choice(pieces) for _ in range(chooser.randint(0, 10)))
        line = (
            '{"client":"192.0.2.1","request":"GET / HTTP/1.1","status":200,'
            f'"user_agent":"{value}"}}'
        )
        event = reader.parse(line, ORIGIN, line)
        try:
            agent = json.loads(line)["user_agent"]
        except json.JSONDecodeError:
            try:
                agent = json.loads(_reference_escapes(line))["user_agent"]
            except json.JSONDecodeError:
                assert event is None, line
                continue
            if not agent.isascii() and max(agent) <= "\xff":
                agent = agent.encode("latin-1").decode("utf-8", "backslashreplace")
            read += 1
        assert event is not None, line
        assert event.user_agent == ("" if agent == "-" else agent), line
    assert read > 2000  # the escapes' reading was exercised


def test_a_user_agent_of_escaped_bytes_costs_a_few_ordinary_lines() -> None:
    # 8,000 UTF-8 bytes of "é" that Apache writes as \xc3\xa9: a re substitution called Python
    # for each of the 8,000 escapes (6.4-7.4 ordinary lines of that length); C now (1-2).
    pipeline = Pipeline(load_config([]))
    hostile = "\\xc3\\xa9" * 4000
    ratio = cost_ratio(pipeline, hostile, 3.0, _apache_json_line)
    assert ratio <= 3.0, f"8 KB of escaped bytes cost {ratio:.1f} ordinary JSON lines"


def _apache_json_line(user_agent: str, serial: int) -> str:
    return (
        '{"time":"2026-03-01T10:00:00+0000","client":"203.0.113.5","remote_user":"-",'
        f'"request":"GET /index.html HTTP/1.1","status":200,"bytes":5120,"referer":"-",'
        f'"user_agent":"{user_agent} u{serial}"}}'
    )
