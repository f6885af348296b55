"""Attacker text never reaches an operator's terminal or file raw."""

from lwsyslog.sanitize import sanitize


def test_ansi_escape_and_newline_become_visible() -> None:
    text = sanitize("GET /\x1b[31mred\nforged line\r")
    assert "\x1b" not in text and "\n" not in text and "\r" not in text
    assert text == "GET /\\x1b[31mred\\x0aforged line\\x0d"


def test_backslash_is_doubled_so_the_escape_cannot_be_faked() -> None:
    assert sanitize("a\\x1bb") == "a\\\\x1bb"


def test_bidi_override_and_nul_are_escaped() -> None:
    assert sanitize("evil\u202etxt.exe\x00") == "evil\\u202etxt.exe\\x00"


def test_printable_unicode_is_kept_and_long_text_cut() -> None:
    assert sanitize("café") == "café"
    assert sanitize("x" * 50, 10) == "x" * 9 + "…"
