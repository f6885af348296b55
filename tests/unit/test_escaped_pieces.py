"""Long lines with escapes, matched piece by piece, give what the whole pattern gives.

A line with a backslash is matched by the escape-aware pattern; a long one piece by piece,
its quoted values measured by RE2 (:mod:`lwsyslog.formats.segments`). Both ways are run here
on the same fuzzed lines, fields of hundreds of escapes among them: groups and events must
never differ.
"""

from __future__ import annotations

import random
import re

import pytest

from lwsyslog.events import Origin
from lwsyslog.formats import BUILTIN_FORMATS, LineParser, compile_logformat
from lwsyslog.formats.directives import Directive, parse_logformat
from lwsyslog.formats.segments import SEGMENTED_FROM
from tests.unit.test_logformat_fastpath import general_event

ORIGIN = Origin("access.log", 3)

# Every built-in format with a quoted value, and custom ones: quoted values next to each
# other, a time with blanks, a server name before a port, optional numbers.
FORMATS = (
    "common",
    "combined",
    "vhost_combined",
    "vhost_combined_noport",
    "vhost_common",
    '%v:%p %h %l %u [%t] "%r" %s %<s %B %O "%{Cookie}i" "%{Referer}i"',
    '"%r" "%u" %>s %{User-agent}i',
    '%h "%{X-Forwarded-For}i" "%r" %!200b "%l" %X "%{Referer}i"',
)
# Formats with a piece that may end in more than one place (free text outside quotes, a
# token not followed by a blank, a strftime time): matched whole.
WHOLE_FORMATS = (
    '%v:%p %h %l %u [%{%d/%b/%Y:%H:%M:%S %z}t] "%r" %s "%{Referer}i"',
    '%{Foo}e "%r" %>s "%{User-Agent}i"',
    '%u%{Foo}e "%r" %>s "%{Referer}i"',
    '%h "%m %U%q %H" %>s "%{Referer}i"',
)

# Pieces of logged values: Apache's escapes, the ones it never writes, raw quotes, blanks,
# backslash runs of each parity, a backslash before a line break, non-ASCII.
ESCAPED = (
    '\\"', "\\\\", "\\n", "\\t", "\\r", "\\x41", "\\xc3\\xa9", "\\x4", "\\'", "\\0", "\\a",
    "\\\\\\", '\\\\"', "\\\n", '"', " ", "\t", "a", "/", "-", "é", "[", "]", ":", "\\",
)  # fmt: skip
PLAIN = {
    "host": ("198.51.100.7", "2001:db8::1", "web_1.example", "-", "[::1]"),
    "v": ("www.example.com", "::1", "a:b:1", "-"),
    "number": ("200", "404", "-", "x"),
    "time": ("[10/Oct/2000:13:55:36 -0700]", '[junk\\"]'),
    "l": ("-", "ident", "1.2.3.4"),
    "X": ("+", "-"),
}


def _escaped(rng: random.Random, long: bool) -> str:
    count = rng.choice((0, 1, 3, 12)) if not long else rng.choice((40, 300, 1500))
    # Mostly the escapes Apache writes (else few lines would match).
    pool = ESCAPED if rng.random() < 0.3 else ESCAPED[:7]
    kinds = rng.sample(pool, rng.randint(1, 5))
    return "".join(rng.choice(kinds) for _ in range(count))


def _value(rng: random.Random, d: Directive, long: bool) -> str:
    if d.letter in ("r", "i", "u", "e", "C") or d.letter not in _PLAIN_LETTERS:
        if d.letter == "r" and rng.random() < 0.5:
            return f"GET /{_escaped(rng, long)} HTTP/1.1"
        return _escaped(rng, long and rng.random() < 0.6)
    pool = PLAIN[_PLAIN_LETTERS[d.letter]]
    if d.letter == "t" and (d.arg or "").startswith("%d"):
        pool = ("10/Oct/2000:13:55:36 -0700", "x y")
    # Mostly a well-formed value (each pool starts with one), else any.
    return pool[0] if rng.random() < 0.8 else rng.choice(pool)


_PLAIN_LETTERS = {"t": "time", "h": "host", "a": "host", "A": "host", "v": "v", "V": "v",
                  "l": "l", "X": "X", **dict.fromkeys("sbBODTpPk", "number")}  # fmt: skip


def _lines(logformat: str, count: int, seed: int, *, long: bool = True) -> list[str]:
    """``count`` lines of ``logformat``, most long (unless not ``long``) and full of escapes,
    some cut or extended."""
    rng = random.Random(f"{logformat} {seed}")
    items = parse_logformat(BUILTIN_FORMATS.get(logformat, logformat))
    lines = []
    for _ in range(count):
        wide = long and rng.random() < 0.7
        line = "".join(i if isinstance(i, str) else _value(rng, i, wide) for i in items)
        roll = rng.random()
        if roll < 0.05:
            line = line[: rng.randrange(len(line) + 1)]
        elif roll < 0.1:
            line += rng.choice((" 1234", ' "x\\"', "\\"))
        lines.append(line)
    return lines


def _groups(pattern: re.Pattern[str], line: str) -> tuple[str | None, ...] | None:
    found = pattern.match(line)
    return None if found is None else found.groups()


def test_formats_whose_pieces_end_in_one_place_are_matched_piece_by_piece() -> None:
    for logformat in FORMATS:
        assert compile_logformat(logformat)._escaped.exact, logformat
    for logformat in WHOLE_FORMATS:
        fmt = compile_logformat(logformat)
        assert not fmt._escaped.exact, logformat
        for line in _lines(logformat, 100, 0, long=False):
            assert fmt.match_escaped(line) == _groups(fmt.pattern, line), line


def test_a_piece_that_can_end_in_two_places_is_not_cut() -> None:
    # The free text may end before the blank or after it: the first way leaves "b " as the
    # request and fails at the status; the whole pattern goes back and takes the second.
    fmt = compile_logformat('%{X}e%u "%r" %>s')
    line = 'a "b "GET /\\" HTTP/1.1" 200'
    assert not fmt._escaped.exact
    assert fmt._escaped.match_pieces(line) is None
    expected = ("a ", '"b', 'GET /\\" HTTP/1.1', "200", "")
    assert fmt.match_escaped(line) == _groups(fmt.pattern, line) == expected


@pytest.mark.parametrize("logformat", FORMATS)
def test_pieces_give_the_whole_patterns_groups(logformat: str) -> None:
    fmt = compile_logformat(logformat)
    matched = 0
    for line in _lines(logformat, 400, 1):
        for segmented in (fmt._escaped, fmt._lenient_escaped):
            expected = _groups(segmented.pattern, line)
            assert segmented.match(line) == expected, line
            if segmented.exact:
                assert segmented.match_pieces(line) == expected, line
                matched += expected is not None and len(line) >= SEGMENTED_FROM
    assert matched >= 40  # the pools must exercise the pieces, not just miss them


@pytest.mark.parametrize("logformat", FORMATS)
def test_long_lines_give_the_whole_patterns_events(logformat: str) -> None:
    fmt = compile_logformat(logformat)
    long = 0
    for line in _lines(logformat, 300, 2):
        if "\\" not in line:
            continue
        assert fmt.event(line, ORIGIN, line) == general_event(logformat, line, ORIGIN), line
        m = fmt.match_lenient(line)
        lenient = None if m is None else fmt.escaped_event(m, ORIGIN, line)
        assert fmt.lenient_event(line, ORIGIN, line) == lenient, line
        long += len(line) >= SEGMENTED_FROM
    assert long >= 40


def test_the_parser_reads_a_long_escaped_line_as_the_whole_pattern_does() -> None:
    parser = LineParser()
    for n, line in enumerate(_lines("combined", 200, 3)):
        event = parser.parse(line, Origin("access.log", n))
        expected = general_event("combined", line, ORIGIN)
        if expected is not None and line[-1:] not in "\r\n":
            expected.origin = event.origin
            assert event == expected, line
