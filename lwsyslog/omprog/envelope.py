"""Decode one line as rsyslog hands it to the omprog program.

The server's ``lwsyslog_json`` template emits one JSON object per line with the keys ``host``,
``tag``, ``program``, ``time`` (RFC 3339), ``facility``, ``severity`` and ``msg``. A line that
does not start with ``{`` is taken as a bare message (a raw ``%msg%`` template), so the program
also works without the JSON template. Nothing here raises on the content of a line: a line that
cannot be decoded becomes an :class:`EnvelopeFailure` carrying a bounded reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

import orjson

from lwsyslog.hostnames import host_shown
from lwsyslog.sanitize import sanitize

__all__ = [
    "MAX_NAME_CHARS",
    "Envelope",
    "EnvelopeFailure",
    "EnvelopeFailureReason",
    "decode_envelope",
]

_TEXT_KEYS = ("host", "tag", "program", "time", "facility", "severity")
_EMPTY = ("",) * len(_TEXT_KEYS)
_DECODER = json.JSONDecoder()
_MAX_DETAIL_CHARS = 120
_MAX_ESCAPED_FACTOR = 6  # jsonf writes a control character as \uXXXX: 6 bytes for 1
#: The longest host, tag and program name kept (a DNS name is at most 253 characters). The
#: sender writes them, and the program remembers thousands of hosts and sources: kept whole,
#: a flood of 5 KB host names took 800 MiB.
MAX_NAME_CHARS = 255
# Decoded UTF-8 never holds surrogates; only a JSON escape like "\ud800" can make one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class Envelope(NamedTuple):
    """One message as rsyslog delivered it (a tuple: one is made per line).

    ``tag`` has its trailing ``:`` removed; ``time_text`` is the template's RFC 3339 time and
    :attr:`time` its value in seconds since the epoch (None when missing or unreadable);
    ``replaced_utf8`` tells that invalid UTF-8 in the line was replaced by U+FFFD (the message
    is still analysed: one stray byte must not hide an attack).
    """

    msg: str
    host: str = ""
    tag: str = ""
    program: str = ""
    time_text: str = ""
    facility: str = ""
    severity: str = ""
    replaced_utf8: bool = False

    @property
    def time(self) -> float | None:
        """The reported time in seconds since the epoch; parsed on demand (the engine reads
        the time of the log line itself)."""
        return _rfc3339(self.time_text)

    @property
    def source(self) -> str:
        """``host/tag`` (``-`` for a missing part): the live name of the log this came from."""
        return f"{self.host or '-'}/{self.tag or self.program or '-'}"


class EnvelopeFailureReason(StrEnum):
    """Why a line is not an envelope (a fixed set, so counters stay bounded)."""

    EMPTY = "empty"
    TOO_LONG = "too-long"
    BAD_JSON = "bad-json"
    NOT_AN_OBJECT = "not-an-object"
    MISSING_MSG = "missing-msg"
    WRONG_TYPE = "wrong-type"


@dataclass(frozen=True, slots=True)
class EnvelopeFailure:
    """A line that can never become an event; ``detail`` is sanitized and short."""

    reason: EnvelopeFailureReason
    detail: str = ""


# The message member where a value starts (rsyslog's jsonf may write spaces around ":").
_MSG_MEMBER = re.compile(rb'[{,]\s*"msg"\s*:\s*"')


def _envelope_head(data: bytes, limit: int) -> bytes | None:
    """The head of a too-long envelope, closed after the head of its ``msg`` (``limit`` bytes),
    when ``msg`` is its last member (as the shipped template writes it); else ``None``.

    The message is then read as far as that, longer than ``max_line_bytes`` once decoded (the
    limit allows for every byte escaped), so the pipeline scans it as a cut line: a larger
    rsyslog ``$MaxMessageSize`` loses nothing. A quote cannot stand unescaped inside a JSON
    string, so the first ``,"msg":"`` is the member's own. An escape the cut splits is dropped.
    """
    head = data[: limit - 2]  # with the closing '"}', at most limit bytes
    member = _MSG_MEMBER.search(head)
    if member is None:
        return None
    at = member.end()
    end = len(head)
    escape = head.rfind(b"\\", max(at, end - 6))
    if escape >= 0:
        run = len(head[: escape + 1]) - len(head[: escape + 1].rstrip(b"\\"))
        # An odd run of backslashes opens an escape: complete it needs its letter (and four
        # hex digits for \u), or it is dropped.
        if run % 2 == 1 and (
            escape + 1 == end or (head[escape + 1 : escape + 2] == b"u" and end - escape < 6)
        ):
            end = escape
    return head[:end] + b'"}'


def decode_envelope(data: bytes, max_msg_bytes: int = 65536) -> Envelope | EnvelopeFailure:
    """Decode one line (without its newline) into an :class:`Envelope`, or say why not.

    A JSON line longer than ``max_msg_bytes`` times the worst escaping factor is not parsed
    whole, so a hostile megabyte costs almost nothing: its head is read, the message cut there
    (:func:`_envelope_head`), or it is refused as too long when it holds no message member.
    """
    if data.endswith(b"\r"):
        data = data[:-1]
    if data[:1] == b"{" and len(data) <= max_msg_bytes * _MAX_ESCAPED_FACTOR + 4096:
        # The template's own output, the common case: orjson reads it straight from the bytes
        # (a third of the json module's time, and no separate UTF-8 decode). It accepts only
        # valid UTF-8 and no lone surrogate, so what it returns needs no repair; anything it
        # refuses takes the careful path below, which repairs or names the problem.
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
        else:
            if type(value) is dict:
                return _from_object(value, False, False)
    if not data or data.isspace():
        return EnvelopeFailure(EnvelopeFailureReason.EMPTY)
    try:
        text = data.decode("utf-8")
        replaced = False
    except UnicodeDecodeError:
        text = data.decode("utf-8", "replace")
        replaced = True
    if text[0] != "{" and not text.lstrip().startswith("{"):
        return Envelope(msg=text, replaced_utf8=replaced)
    limit = max_msg_bytes * _MAX_ESCAPED_FACTOR + 4096
    if len(data) > limit:
        head = _envelope_head(data, limit)
        if head is None:
            return EnvelopeFailure(EnvelopeFailureReason.TOO_LONG, f"{len(data)} bytes")
        return decode_envelope(head, max_msg_bytes)
    try:
        value = _DECODER.decode(text)
    except (ValueError, RecursionError) as error:
        return EnvelopeFailure(EnvelopeFailureReason.BAD_JSON, _detail(str(error)))
    if not isinstance(value, dict):
        return EnvelopeFailure(EnvelopeFailureReason.NOT_AN_OBJECT, type(value).__name__)
    surrogates = ("\\ud" in text or "\\uD" in text) and _SURROGATE_ESCAPE.search(text) is not None
    return _from_object(value, replaced, surrogates)


def _from_object(
    value: dict[str, Any], replaced: bool, surrogates: bool
) -> Envelope | EnvelopeFailure:
    get = value.get
    msg, host, tag = get("msg"), get("host", ""), get("tag", "")
    program, time_text = get("program", ""), get("time", "")
    facility, severity = get("facility", ""), get("severity", "")
    if (
        not surrogates
        and type(msg) is str
        and type(host) is str
        and type(tag) is str
        and type(program) is str
        and type(time_text) is str
        and type(facility) is str
        and type(severity) is str
    ):
        # The template's own output: every field a string. One tuple, no per-field loop.
        tag = tag.rstrip()
        if tag.endswith(":"):
            tag = tag[:-1]
        if len(host) > MAX_NAME_CHARS or len(tag) > MAX_NAME_CHARS or len(program) > MAX_NAME_CHARS:
            host, tag, program = _bounded(host), _bounded(tag), _bounded(program)
        host = host_shown(host)
        return Envelope(msg, host, tag, program, time_text, facility, severity, replaced)
    return _from_mixed(value, replaced, surrogates)


def _bounded(name: str) -> str:
    return name[:MAX_NAME_CHARS]


def _from_mixed(
    value: dict[str, Any], replaced: bool, surrogates: bool
) -> Envelope | EnvelopeFailure:
    msg = value.get("msg")
    if type(msg) is not str:
        if msg is None:
            return EnvelopeFailure(EnvelopeFailureReason.MISSING_MSG)
        return EnvelopeFailure(EnvelopeFailureReason.WRONG_TYPE, f"msg is {type(msg).__name__}")
    fields = list(map(value.get, _TEXT_KEYS, _EMPTY))
    for index, item in enumerate(fields):
        if type(item) is str:
            continue
        if isinstance(item, int | float) and not isinstance(item, bool):
            # A template may send numeric facility/severity (syslogfacility, not -text).
            fields[index] = str(item)
        elif item is None:
            fields[index] = ""
        else:
            key = _TEXT_KEYS[index]
            return EnvelopeFailure(
                EnvelopeFailureReason.WRONG_TYPE, f"{key} is {type(item).__name__}"
            )
    if surrogates:
        # A lone surrogate (JSON "\ud800") is valid JSON but not encodable text: replace it
        # here so no later stage has to care.
        msg, changed = _encodable(msg)
        replaced = replaced or changed
        for index, item in enumerate(fields):
            fields[index], changed = _encodable(item)
            replaced = replaced or changed
    host, tag, program, time_text, facility, severity = fields
    tag = tag.rstrip()
    if tag.endswith(":"):
        tag = tag[:-1]
    host, tag, program = host_shown(_bounded(host)), _bounded(tag), _bounded(program)
    return Envelope(msg, host, tag, program, time_text, facility, severity, replaced)


def _encodable(text: str) -> tuple[str, bool]:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8"), True
    return text, False


def _rfc3339(text: str) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except (ValueError, OverflowError, OSError):
        return None


def _detail(text: str) -> str:
    return sanitize(text, _MAX_DETAIL_CHARS)
