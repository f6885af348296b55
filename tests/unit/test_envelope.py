"""Decoding rsyslog's JSON template (and raw lines) into envelopes, never failing hard."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from lwsyslog.omprog.envelope import (
    Envelope,
    EnvelopeFailure,
    EnvelopeFailureReason,
    decode_envelope,
)

ACCESS = '203.0.113.9 - - [23/Nov/2026:14:00:05 +0000] "GET / HTTP/1.1" 200 12 "-" "curl"'


def _json_line(**fields: object) -> bytes:
    base: dict[str, object] = {
        "host": "web1",
        "tag": "apache-access:",
        "program": "apache-access",
        "time": "2026-11-23T14:00:05.123456+01:00",
        "facility": "local6",
        "severity": "info",
        "msg": ACCESS,
    }
    base.update(fields)
    return json.dumps(base).encode()


def test_template_line_gives_every_field_with_tag_colon_stripped() -> None:
    envelope = decode_envelope(_json_line())
    assert envelope == Envelope(
        msg=ACCESS,
        host="web1",
        tag="apache-access",
        program="apache-access",
        time_text=envelope.time_text,
        facility="local6",
        severity="info",
    )
    assert envelope.time == datetime(2026, 11, 23, 13, 0, 5, 123456, tzinfo=UTC).timestamp()
    assert envelope.source == "web1/apache-access"


@pytest.mark.parametrize("surrogate", [False, True])
def test_host_tag_and_program_are_kept_to_255_characters(surrogate: bool) -> None:
    """The sender writes them and the program remembers thousands: a flood of 5 KB names once
    took 800 MiB. The message itself is never cut here."""
    odd = "\udfff" if surrogate else ""
    envelope = decode_envelope(
        _json_line(host="h" * 5000 + odd, tag="t" * 1000 + ":", program="p" * 300, msg=ACCESS)
    )
    assert isinstance(envelope, Envelope)
    assert (envelope.host, envelope.tag, envelope.program) == ("h" * 255, "t" * 255, "p" * 255)
    assert envelope.msg == ACCESS


@pytest.mark.parametrize("surrogate", [False, True])
@pytest.mark.parametrize(
    ("host", "shown"),
    [
        ("db1.example.com: critical sqli-union-select on web9", None),
        ("web1.examp\u04cfe.com", "web1.examp%D3%8Fe.com"),  # Cyrillic palochka for l
        ("web1\u3164\u2800", "web1%E3%85%A4%E2%A0%80"),  # invisible fillers
        ("web1%20", "web1%2520"),  # a percent sign cannot fake an encoding
        ("web-1.example_2.org", "web-1.example_2.org"),
        ("2001:db8::1", "2001:db8::1"),
    ],
)
def test_a_host_name_keeps_only_what_a_host_name_can_hold(
    host: str, shown: str | None, surrogate: bool
) -> None:
    """The host names the alert, the status's web hosts and their silence: a sender must not
    make it pass for another host or read as alert text."""
    envelope = decode_envelope(_json_line(host=host + ("\udfff" if surrogate else "")))
    assert isinstance(envelope, Envelope)
    if shown is None:
        assert envelope.host.startswith("db1.example.com:%20critical%20sqli-union-select")
    elif surrogate:
        assert envelope.host.startswith(shown)
    else:
        assert envelope.host == shown


def test_raw_line_is_a_message_without_host() -> None:
    envelope = decode_envelope(ACCESS.encode())
    assert isinstance(envelope, Envelope)
    assert (envelope.msg, envelope.host, envelope.tag) == (ACCESS, "", "")
    assert envelope.source == "-/-"


def test_carriage_return_before_the_newline_is_dropped() -> None:
    envelope = decode_envelope(ACCESS.encode() + b"\r")
    assert isinstance(envelope, Envelope)
    assert envelope.msg == ACCESS


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"", EnvelopeFailureReason.EMPTY),
        (b"   ", EnvelopeFailureReason.EMPTY),
        (b'{"host": "web1", "msg": "unterminated', EnvelopeFailureReason.BAD_JSON),
        (b"{" * 100_000, EnvelopeFailureReason.BAD_JSON),
        (b'{"host": "web1"}', EnvelopeFailureReason.MISSING_MSG),
        (b'{"msg": 42}', EnvelopeFailureReason.WRONG_TYPE),
        (b'{"msg": "x", "host": ["a"]}', EnvelopeFailureReason.WRONG_TYPE),
    ],
)
def test_undecodable_lines_give_a_reason_instead_of_raising(
    line: bytes, reason: EnvelopeFailureReason
) -> None:
    failure = decode_envelope(line)
    assert isinstance(failure, EnvelopeFailure)
    assert failure.reason is reason


def test_json_array_is_not_an_envelope() -> None:
    # Starts with "[" like an error-log line would, but is JSON: taken as a raw message.
    assert isinstance(decode_envelope(b"[1, 2]"), Envelope)
    failure = decode_envelope(b'{"a": 1} trailing')
    assert isinstance(failure, EnvelopeFailure)


def test_huge_json_line_without_a_message_is_refused_before_parsing() -> None:
    line = json.dumps({"host": "web1", "tag": "A" * 2_000_000}).encode()
    failure = decode_envelope(line, max_msg_bytes=65536)
    assert isinstance(failure, EnvelopeFailure)
    assert failure.reason is EnvelopeFailureReason.TOO_LONG


def test_huge_json_line_gives_the_head_of_its_message_longer_than_the_line_limit() -> None:
    # rsyslog's $MaxMessageSize set above 6 times max_line_bytes: the message is read as far
    # as the limit allows, longer than max_line_bytes, so the pipeline scans it as a cut line.
    request = "GET /x/../../../etc/passwd?a="
    for spaced in (True, False):
        fields = {"host": "web1", "tag": "apache-access:", "msg": request + "A" * 2_000_000}
        line = json.dumps(fields, separators=(", ", ": ") if spaced else (",", ":")).encode()
        envelope = decode_envelope(line, max_msg_bytes=65536)
        assert isinstance(envelope, Envelope)
        assert (envelope.host, envelope.tag) == ("web1", "apache-access")
        assert envelope.msg.startswith(request) and len(envelope.msg) > 65536


@pytest.mark.parametrize("shift", range(8))
def test_a_cut_inside_an_escape_drops_it_and_keeps_the_message(shift: int) -> None:
    # Every control byte is written \u00XX: wherever the limit falls, no escape is left open.
    line = _json_line(msg="A" * shift + "\x01" * 200_000)
    envelope = decode_envelope(line, max_msg_bytes=4096)
    assert isinstance(envelope, Envelope)
    assert envelope.msg.startswith("A" * shift + "\x01") and len(envelope.msg) > 4096
    assert not envelope.replaced_utf8


def test_invalid_utf8_is_replaced_and_still_analysed() -> None:
    envelope = decode_envelope(b'{"host": "web1", "msg": "GET /\xff\xfe?id=1 UNION SELECT"}')
    assert isinstance(envelope, Envelope)
    assert envelope.replaced_utf8
    assert envelope.msg == "GET /\ufffd\ufffd?id=1 UNION SELECT"


def test_lone_surrogate_escape_is_replaced() -> None:
    envelope = decode_envelope(b'{"host": "w\\ud800", "msg": "a\\udc00b"}')
    assert isinstance(envelope, Envelope)
    assert envelope.replaced_utf8
    envelope.msg.encode("utf-8")
    envelope.host.encode("utf-8")


def test_surrogate_pair_escape_is_kept_as_the_character() -> None:
    envelope = decode_envelope(b'{"msg": "smile \\ud83d\\ude00"}')
    assert isinstance(envelope, Envelope)
    assert envelope.msg == "smile \U0001f600"
    assert not envelope.replaced_utf8


def test_numeric_facility_and_unreadable_time_are_tolerated() -> None:
    envelope = decode_envelope(_json_line(facility=22, severity=6, time="yesterday", host=None))
    assert isinstance(envelope, Envelope)
    assert (envelope.facility, envelope.severity, envelope.time, envelope.host) == (
        "22",
        "6",
        None,
        "",
    )


def test_failure_detail_is_sanitized() -> None:
    failure = decode_envelope(b'{"msg": "x\x1b[31m')
    assert isinstance(failure, EnvelopeFailure)
    assert "\x1b" not in failure.detail
