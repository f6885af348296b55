"""The plain fast path (lines without a backslash) gives exactly the general path's events.

A line with no backslash is matched by ``plain_pattern`` and converted by the per-format
``plain_event``; the general route is ``pattern`` and ``escaped_event``, which handle every
line. Both are run here on the same varied lines; they must never diverge.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Sequence

import pytest

from lwsyslog.events import AccessEvent, Origin
from lwsyslog.formats import BUILTIN_FORMATS, LineParser, compile_logformat
from lwsyslog.formats.directives import Directive, parse_logformat
from lwsyslog.formats.line_parser import Mode
from lwsyslog.formats.plain_event import compile_plain_event
from lwsyslog.formats.plain_native import NativePlainConverter

ORIGIN = Origin("access.log", 7)

FORMATS = (
    *BUILTIN_FORMATS,
    '%a %{c}a %m %U%q %H %>s %{ms}T %D "%{X-Forwarded-For}i" %!200h %l',
    '%v:%p %h %l %u [%{%d/%b/%Y:%H:%M:%S %z}t] "%r" %s %<s %B %O "%{Cookie}i" "%{Referer}i"',
    '%h %l %u %{sec}t.%{msec_frac}t "%r" %>s %b %{us}T %X %P "%{User-Agent}i"',
    "%h %u %r %>s %b",
    '%{%Y-%m-%d %H:%M:%S}t %V %h "%r" %>s %b %k %{Foo}e %{Bar}n %{q}C',
    '"%r" "%u" %>s %{User-agent}i',
    # No peer logged: the client is X-Forwarded-For's right-most entry; or the connection's.
    '%{X-Forwarded-For}i %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"',
    '%{c}a %l %u %t "%r" %>s %b "%{X-Forwarded-For}i"',
)

# Values for each directive letter, the odd ones included: "-" fields, IPv6, HTTP/0.9,
# spaces and tabs in the target, lower-case and non-letter methods, non-HTTP protocols,
# quotes (a plain line cannot escape them, so they end a quoted field), non-ASCII.
REQUESTS = (
    "GET / HTTP/1.1",
    "GET /a b HTTP/1.1",
    "GET /a b c HTTP/1.0",
    "GET /",
    "GET",
    "-",
    "",
    "get /x HTTP/1.0",
    "M-SEARCH * HTTP/1.1",
    "G3T /x HTTP/1.1",
    "GET  HTTP/1.1",
    "GET HTTP/1.1",
    " GET / HTTP/1.1",
    "GET / HTTP/1.1 ",
    "GET /x HTTP/",
    "GET /x HTTP/abc",
    "GET /x HTTPS/1.1",
    "GET /x RTSP/1.0",
    "GET /x HTTP/1.1 extra",
    "GET\t/x HTTP/1.1",
    "GET /\tx HTTP/1.1",
    "GET /ü?q=é HTTP/2.0",
    'GET /x"y HTTP/1.1',
    "\x16\x03\x01",
)
VALUES: dict[str, tuple[str, ...]] = {
    "host": (
        "198.51.100.7",
        "2001:db8::1",
        "fe80::1%eth0",
        "web_1.example",
        "-",
        "[::1]",
        "",
        "::ffff:192.0.2.1",
        "198.51.100.7:40001",
        "2001:DB8::1",
    ),
    "xff": (
        "198.51.100.7, 10.0.0.5",
        "-",
        "198.51.100.7",
        "10.0.0.5, unknown",
        "::ffff:192.0.2.1",
        "[2001:db8::1]:443",
        "a, b c",
        "",
    ),
    "l": ("-", "ident", "1.2.3.4", "::1"),
    "u": ("-", "frank", "a b", "- -", "ünï"),
    "r": REQUESTS,
    "number": ("200", "404", "-", "0200", "99999", "2000", "", "x"),
    "text": ("-", "", "https://example.com/?a=1", "Mozilla/5.0 (X11; Linux)", "a b", "café", '"'),
    "v": ("www.example.com", "www.example.com:443", "[::1]:443", "::1", "-"),
    "m": ("GET", "-", "g3t"),
    "U": ("/", "/a b", "-", ""),
    "q": ("", "?a=1", "?"),
    "H": ("HTTP/1.1", "-", ""),
    "X": ("+", "-", "X"),
}
TIMES = (
    "10/Oct/2000:13:55:36 -0700",
    "31/Feb/2026:00:00:00 +0000",
    "10/Oct/2000:13:55:61 -0700",
    "10/Xxx/2000:13:55:36 -0700",
    "junk",
)


def _value(rng: random.Random, d: Directive) -> str:
    """A value for ``d``: half the time a well-formed one (each pool starts with one), so
    that lines match often enough, else any from its pool."""
    choice = rng.choice if rng.random() < 0.5 else (lambda pool: pool[0])
    return _pick(choice, d)


def _pick(choice: Callable[[Sequence[str]], str], d: Directive) -> str:
    arg = d.arg or ""
    if d.letter == "t":
        if arg == "sec":
            return choice(("971211336", "-", "0"))
        if arg == "msec_frac":
            return choice(("123", "000", "-"))
        if arg.startswith("%Y"):
            return choice(("2000-10-11 14:32:52", "2000-13-11 14:32:52", "-"))
        if arg.startswith("%d"):
            return choice(TIMES)
        return "[" + choice(TIMES) + "]"
    if d.letter in ("h", "a", "A"):
        return choice(VALUES["host"])
    if d.letter == "i" and arg.lower() == "x-forwarded-for":
        return choice(VALUES["xff"])
    if d.letter in ("V",):
        return choice(VALUES["v"])
    if d.letter in VALUES:
        return choice(VALUES[d.letter])
    if d.letter in ("s", "b", "B", "O", "D", "T", "p", "P", "k"):
        return choice(VALUES["number"])
    return choice(VALUES["text"])


def _lines(logformat: str, count: int) -> list[str]:
    """``count`` lines of ``logformat`` from the value pools, some of them cut or extended."""
    rng = random.Random(logformat)
    items = parse_logformat(BUILTIN_FORMATS.get(logformat, logformat))
    lines = []
    for _ in range(count):
        line = "".join(i if isinstance(i, str) else _value(rng, i) for i in items)
        roll = rng.random()
        if roll < 0.05:
            line = line[: rng.randrange(len(line) + 1)]
        elif roll < 0.1:
            line += rng.choice((" 1234", " x y", "\n", "\r\n"))
        lines.append(line)
    return lines


def general_event(logformat: str, line: str, origin: Origin = ORIGIN) -> AccessEvent | None:
    """The event of ``line`` by the escape-aware pattern matched whole (the general path)."""
    fmt = compile_logformat(logformat)
    m = fmt.pattern.match(line)
    return None if m is None else fmt.escaped_event(m, origin, line)


def _fast(logformat: str, line: str) -> AccessEvent | None:
    fmt = compile_logformat(logformat)
    m = fmt.plain_pattern.match(line)
    return None if m is None else fmt.plain_event(m, ORIGIN, line)


@pytest.mark.parametrize("logformat", FORMATS)
def test_plain_path_equals_general_path_on_varied_lines(logformat: str) -> None:
    fmt = compile_logformat(logformat)
    matched = 0
    for line in _lines(logformat, 1000):
        general = fmt.pattern.match(line)
        plain = fmt.plain_pattern.match(line)
        assert (plain is None) == (general is None), line
        if general is None or plain is None:
            continue
        matched += 1
        expected = fmt.escaped_event(general, ORIGIN, line)
        assert fmt.plain_event(plain, ORIGIN, line) == expected, line
        assert fmt.parse(line, ORIGIN) == expected, line
    assert matched >= 100  # the pools must exercise the fast path, not just miss it


@pytest.mark.parametrize(
    ("request_line", "method", "target", "protocol"),
    [
        ("GET /a?b=1 HTTP/1.1", "GET", "/a?b=1", "HTTP/1.1"),
        ("GET /a b HTTP/1.1", "GET", "/a b", "HTTP/1.1"),
        ("GET /", "GET", "/", ""),
        ("GET  HTTP/1.1", "GET", "", "HTTP/1.1"),
        ("GET /x HTTP/1.1 extra", "GET", "/x HTTP/1.1 extra", ""),
        ("GET /x RTSP/1.0", "GET", "/x", "RTSP/1.0"),
        ("M-SEARCH * HTTP/1.1", "M-SEARCH", "*", "HTTP/1.1"),
        ("\x16\x03\x01", "", "", ""),
        ("-", "", "", ""),
    ],
)
def test_request_line_is_split_the_same_on_both_paths(
    request_line: str, method: str, target: str, protocol: str
) -> None:
    line = f'2001:db8::1 - - [10/Oct/2000:13:55:36 -0700] "{request_line}" 200 - "-" "-"'
    for path in (_fast, general_event):
        ev = path("combined", line)
        assert ev is not None
        assert (ev.method, ev.target, ev.protocol) == (method, target, protocol)
        assert ev.request_line == ("" if request_line == "-" else request_line)


def test_escaped_lines_take_the_general_path_and_are_unescaped() -> None:
    line = (
        '203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] "GET /a\\"b\\x16 HTTP/1.1" 200 5 '
        '"\\"ref\\"" "ua\\\\x"'
    )
    fmt = compile_logformat("combined")
    assert fmt.match(line) is not None and fmt.match(line).re is fmt.pattern  # type: ignore[union-attr]
    ev = fmt.parse(line, ORIGIN)
    assert ev is not None
    assert (ev.target, ev.referer, ev.user_agent) == ('/a"b\x16', '"ref"', "ua\\x")
    # The plain pattern is only for lines without a backslash: it must not read an escaped
    # quote as the end of a field and call the line a match with shifted fields.
    assert ev == general_event("combined", line)


@pytest.mark.parametrize("mode", ["auto", "access"])
def test_line_parser_hot_path_gives_what_the_general_route_gives(mode: Mode) -> None:
    """One stream through a parser as it runs, and through one kept off its hot path (the
    route every line took before the fast path existed): same events, line by line."""
    rng = random.Random(mode)
    lines = [
        line
        for logformat in ("combined", "vhost_combined", "vhost_combined_noport", "common")
        for line in _lines(logformat, 150)
    ]
    rng.shuffle(lines)
    lines += [line.replace("GET", "GET /a\\x16", 1) for line in lines[:100]]  # escapes
    fast, general = LineParser(mode), LineParser(mode)
    events = 0
    for line in lines:
        general._hot = None  # what the hot path reads: None sends every line the general way
        expected = general.parse(line, ORIGIN)
        assert fast.parse(line, ORIGIN) == expected, line
        events += isinstance(expected, AccessEvent)
    assert events >= 200
    assert fast.internal_errors == general.internal_errors == 0


def test_hot_path_leaves_line_ends_and_brackets_to_the_general_route() -> None:
    parser = LineParser("auto", ("agent",))
    first = parser.parse("curl/8", ORIGIN)
    assert isinstance(first, AccessEvent) and first.user_agent == "curl/8"
    # A trailing newline is dropped, not kept in the last field.
    ev = parser.parse("curl/8\n", ORIGIN)
    assert isinstance(ev, AccessEvent) and ev.user_agent == "curl/8"
    # A line starting "[" is tried as an error-log line first.
    error = "[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] denied"
    assert parser.parse(error, ORIGIN).log == "error"
    assert LineParser("access", ("agent",)).parse(error, ORIGIN).log == "access"


GOOD = '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "a" "b"'


@pytest.mark.parametrize(
    "line",
    [
        "\x00\x01\x02binary",
        "\ufffd\ufffd\x16\x03\x01",
        GOOD[:-1],  # the last quote cut: read leniently as common + trailing text
        GOOD[: GOOD.index("HTTP/1.1") + 8],  # cut inside the request line
        GOOD.replace("GET /", "GET /\\"),  # a backslash pair: an escaped blank
        GOOD.replace('"a"', '"a\\"'),  # an escaped closing quote: the fields shift
        GOOD + "\x00",
        "A" * 300_000,
        GOOD.replace('"b"', '"' + "b" * 300_000 + '"'),  # too long
    ],
)
def test_hostile_lines_after_a_good_one_read_as_on_the_general_route(line: str) -> None:
    fast, general = LineParser(), LineParser()
    for text in (GOOD, line, GOOD):
        general._hot = None
        expected = general.parse(text, ORIGIN)
        assert fast.parse(text, ORIGIN) == expected
    assert isinstance(expected, AccessEvent)
    assert fast.internal_errors == 0


def test_every_three_digit_status_reads_as_its_number() -> None:
    fmt = compile_logformat("common")
    for status in itertools.chain(("000", "099", "200", "999"), ("0200", "12345")):
        line = f'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" {status} 5'
        ev = fmt.parse(line, ORIGIN)
        assert ev is not None and ev.status == int(status)


@pytest.mark.parametrize("logformat", FORMATS)
def test_compiled_converter_equals_the_written_one(logformat: str) -> None:
    # The build that compiles lwsyslog converts with NativePlainConverter, any other with the
    # function written per format: both must give the same event for every plain match.
    fmt = compile_logformat(logformat)
    plan = fmt.plain_plan
    native, written = NativePlainConverter(plan), compile_plain_event(plan)
    matched = 0
    for line in _lines(logformat, 1000):
        m = fmt.plain_pattern.match(line)
        if m is None:
            continue
        matched += 1
        assert native(m, ORIGIN, line) == written(m, ORIGIN, line), line
    assert matched >= 100
