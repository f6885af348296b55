"""The caps on distinct pieces a decoding step resolves one by one: fields under them decode
as before, the rest of a field past one stays as it is, the field is flagged, the rule
``protocol-encoding-flood`` says so, and a flood costs a few normal lines, not twenty."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest

from lwsyslog import percent
from lwsyslog.config import load_config
from lwsyslog.events import AccessEvent, Origin
from lwsyslog.flooded import flooded_text
from lwsyslog.normalize import EventView, decode, flooded_head
from lwsyslog.percent import MAX_DISTINCT_PIECES, MAX_OVERLONG_PIECES
from lwsyslog.pipeline import Pipeline
from lwsyslog.rules.protocol import ProtocolEncodingFlood
from lwsyslog.rules.source import BuiltinDetector
from tests.unit.user_agent_cost import access_line, cost_ratio


def _charref(i: int) -> str:
    return f"&#{0x100 + i};"


def _wide(i: int) -> str:
    return f"%u{0x100 + i:04x}"


def _overlong(i: int) -> str:
    # Three-byte overlong forms of U+0100 on: each stands for one distinct letter.
    value = 0x100 + i
    return f"%e0%{0x80 | value >> 6:02x}%{0x80 | value & 0x3F:02x}"


# (one distinct piece, its cap): HTML references, IIS %uXXXX, overlong UTF-8.
FLOODS: tuple[tuple[Callable[[int], str], int], ...] = (
    (_charref, MAX_DISTINCT_PIECES),
    (_wide, MAX_DISTINCT_PIECES),
    (_overlong, MAX_OVERLONG_PIECES),
)


@pytest.mark.parametrize(("piece", "cap"), FLOODS)
def test_a_field_of_as_many_distinct_pieces_as_the_cap_decodes_whole(
    piece: Callable[[int], str], cap: int
) -> None:
    hits = percent.cap_hits()
    text = "x=" + "".join(map(piece, range(cap))) * 3
    assert decode(text) == "x=" + "".join(chr(0x100 + i) for i in range(cap)) * 3
    assert percent.cap_hits() == hits


@pytest.mark.parametrize(("piece", "cap"), FLOODS[::2])
def test_past_the_cap_the_rest_of_the_field_stays_as_it_is(
    piece: Callable[[int], str], cap: int
) -> None:
    hits = percent.cap_hits()
    pieces = [piece(i) for i in range(cap + 40)]
    decoded = decode("x=" + "".join(pieces))
    resolved = "".join(chr(0x100 + i) for i in range(cap))
    assert decoded.startswith("x=" + resolved)
    assert percent.cap_hits() > hits
    # Nothing past the cap is resolved: the rest holds every piece that follows, unchanged
    # but for the steps after the capped one (an overlong's bytes read as Latin-1).
    rest = decoded[len("x=" + resolved) :]
    assert chr(0x100 + cap) not in rest
    if piece is not _overlong:
        assert rest == "".join(pieces[cap:])


@pytest.mark.parametrize("count", [MAX_DISTINCT_PIECES + 40, 20 * MAX_DISTINCT_PIECES])
def test_past_the_cap_percent_escapes_are_decoded_in_bulk(count: int) -> None:
    # %uXXXX escapes past the cap are not resolved one by one but decoded all the same, by a
    # few passes over the text: a padding of distinct escapes hides nothing behind it.
    hits = percent.cap_hits()
    text = "x=" + "".join(map(_wide, range(count))) + "&y=%2527%u0020%U0041%uff0f"
    assert decode(text) == "x=" + "".join(chr(0x100 + i) for i in range(count)) + "&y=' A/"
    assert percent.cap_hits() > hits


@pytest.mark.parametrize(
    ("payload", "decoded"),
    [
        ("1%2527%2520UNION%2520SELECT%2520password", "1' union select password"),
        ("..%252f..%252fetc%252fpasswd", "../../etc/passwd"),
        ("%u0031%u0027%u0020OR%u0020%u0031%u003d%u0031", "1' or 1=1"),
    ],
)
def test_a_payload_behind_a_padding_of_distinct_escapes_is_still_decoded(
    payload: str, decoded: str
) -> None:
    # Red-team evasion: 65 distinct %uXXXX escapes in one parameter met the cap, and the
    # round that met it was the last, so the next parameter stayed encoded.
    padding = "".join(f"%u{0x4E00 + i:04x}" for i in range(MAX_DISTINCT_PIECES + 1))
    text = decode(f"a={padding}&id={payload}", form=True).lower()
    assert text.endswith("&id=" + decoded)


def test_a_few_distinct_pieces_repeated_thousands_of_times_decode_whole() -> None:
    hits = percent.cap_hits()
    text = "".join(_charref(i % 10) + _wide(i % 10) for i in range(2000))
    assert decode(text) == "".join(chr(0x100 + i % 10) * 2 for i in range(2000))
    assert percent.cap_hits() == hits


def test_the_view_flags_the_field_whose_decoding_met_a_cap() -> None:
    flood = "".join(map(_charref, range(200)))
    event = AccessEvent(
        origin=Origin("t", 1),
        raw="",
        target="/a?q=" + "".join(map(_wide, range(100))),
        user_agent="Mozilla/5.0 " + flood,
        referer="https://example.com/?a=1&amp;b=2",
    )
    view = EventView(event)
    assert view.flooded("query") and view.flooded("target") and view.flooded("user_agent")
    assert not view.flooded("path") and not view.flooded("referer")
    assert view.decoded("referer") == html.unescape(event.referer)


def test_the_flag_travels_with_the_fields_text_not_with_equal_text_elsewhere() -> None:
    # A rule confirmed on a field's text alone reads the flag from the text it is given; a
    # text equal to a flooded one but not decoded from a flooded field is not flagged.
    event = AccessEvent(
        origin=Origin("t", 1), raw="", target="/", user_agent="".join(map(_charref, range(200)))
    )
    flooded = EventView(event).lower("user_agent")
    assert flooded_text(flooded)
    assert not flooded_text(str(flooded))
    assert not flooded_text(flooded[:100]) and not flooded_text(flooded.upper())


def test_the_flood_rule_confirms_a_field_as_its_match_field_does() -> None:
    # The detect stage confirms the rule with its confirmation (compiled), not match_field.
    rule = ProtocolEncodingFlood()
    event = AccessEvent(
        origin=Origin("t", 1), raw="", target="/", user_agent="".join(map(_charref, range(200)))
    )
    flooded = EventView(event).lower("user_agent")
    confirm = rule.confirmation("user_agent")
    assert confirm is flooded_head
    for text in (flooded, str(flooded), "a=1&b=2", "", "%" * 300):
        assert confirm(text) == rule.match_field("user_agent", text)
    assert confirm(flooded) == flooded[:100] and type(confirm(flooded)) is str
    engine = BuiltinDetector().engine
    owner = next(i for i, r in enumerate(engine.rules) if r.id == ProtocolEncodingFlood.id)
    assert engine.confirmer(owner, "query") is flooded_head


# --- through the pipeline: the rule, and the cost ---------------------------------------------

#: Most a flooded line may cost, in normal lines of the same length: 21x for distinct
#: references before the caps, about 3 now. Generous: a loaded 2-core machine runs the tests.
BUDGET = 6.0


def _flood(piece: Callable[[int], str], length: int) -> str:
    pieces: list[str] = []
    total = 0
    while total < length:
        pieces.append(piece(len(pieces)))
        total += len(pieces[-1])
    return "".join(pieces)


@pytest.mark.parametrize("piece", [_charref, _wide], ids=["charrefs", "wide"])
def test_an_8k_user_agent_of_distinct_pieces_is_flagged_and_costs_a_few_normal_lines(
    piece: Callable[[int], str],
) -> None:
    pipeline = Pipeline(load_config([]))
    hostile = _flood(piece, 8000)
    result = pipeline.process(access_line(hostile, 0), Origin("flag", 1))
    assert "protocol-encoding-flood" in {finding.rule_id for finding in result.findings}
    ratio = cost_ratio(pipeline, hostile, BUDGET)
    assert ratio <= BUDGET, f"{piece.__name__} x {len(hostile)}: {ratio:.1f}x a normal line"


def test_an_ordinary_line_with_encodings_is_not_flagged() -> None:
    pipeline = Pipeline(load_config([]))
    cyrillic = "".join(f"%D0%{0xB0 + i % 16:02X}" for i in range(60))
    line = (
        f'203.0.113.5 - - [01/Mar/2026:10:00:00 +0000] "GET /wiki/{cyrillic}?a=1&b=%20x HTTP/1.1"'
        ' 200 5120 "https://example.com/?a=1&amp;b=2&amp;c=&lt;3" "Mozilla/5.0 (X11) Firefox/128.0"'
    )
    result = pipeline.process(line, Origin("ok", 1))
    assert "protocol-encoding-flood" not in {finding.rule_id for finding in result.findings}
