"""Apache-escaped text measured by RE2 gives what the regex and the table give.

Where a quoted value stops, and whether a long field holds only the escapes Apache writes,
are read in one pass of RE2 (:mod:`lwsyslog.formats.escaped_text`); the regex and the
escape-by-escape definition are the reference, on fuzzed text.
"""

from __future__ import annotations

import random

from lwsyslog.formats.escaped_text import _RUN, apache_escapes_only, run_end
from lwsyslog.formats.fields import _apache_escapes_only, unescape
from tests.unit.test_unescape import _one_at_a_time


def test_a_run_ends_where_the_regex_ends_it() -> None:
    rng = random.Random(6)
    pieces = ('\\"', "\\\\", "\\", '"', "\\\n", "\n", "a", "é", "\\é", "\ud800", "\\x")
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        pos = rng.randint(0, len(text))
        found = _RUN.match(text, pos)
        assert found is not None
        data = text.encode("ascii") if text.isascii() else None
        assert run_end(text, data, pos) == found.end(), (text, pos)


def test_long_fields_are_unescaped_as_each_escape_alone() -> None:
    # Past a kilobyte, RE2 checks the escapes: one odd escape among thousands is found.
    rng = random.Random(8)
    usual = ('\\"', "\\\\", "\\n", "\\xc3\\xa9", "\\t", "\\x41", "a", "é", "\ud800")
    odd = ("\\", "\\'", "\\0", "\\x", "\\x4", "\\a", "\\\\\\", "\\é", "\\\n", "\\xg1")
    checked = 0
    for _ in range(600):
        pieces = [rng.choice(usual) for _ in range(rng.randint(300, 1200))]
        if rng.random() < 0.6:
            pieces.insert(rng.randrange(len(pieces) + 1), rng.choice(odd))
        text = "".join(pieces)
        data = text.encode("utf-8", "surrogatepass")
        assert apache_escapes_only(data) is not None
        checked += len(data) > 1024
        assert unescape(text) == _one_at_a_time(text), text[:200]
    assert checked > 500
    for text in ('\\"' * 30_000, "\\n" * 30_000, "\\\\" * 30_000 + "\\", "\\x41" * 20_000):
        assert _apache_escapes_only(text.encode()) == (not text.endswith("\\\\\\"))
        assert unescape(text) == _one_at_a_time(text)
