"""Turning logged text back into values: Apache's escaping undone, the request line split.

Apache (``ap_escape_logitem``) writes ``"`` and ``\\`` as ``\\"`` and ``\\\\``, common control
characters as ``\\n``, ``\\t``..., and every other non-printable or non-ASCII byte as
``\\xhh``. :func:`unescape` reverses that: the bytes are rebuilt and decoded as UTF-8, and a
byte sequence that is not valid UTF-8 (an overlong ``\\xc0\\xae`` for instance) stays visible
as ``\\xhh`` text instead of being replaced or dropped.
"""

from __future__ import annotations

import re

# The C decoder of Python's bytes escapes: for the escapes Apache writes it reads the same as
# the table (see _apache_escapes_only), without a piece per escape. Typed in _codecs only.
from _codecs import escape_decode

from lwsyslog.formats.escaped_text import apache_escapes_only

__all__ = ["split_request_line", "text_value", "unescape"]

# One escape: "\\" and "x" with two hex digits, or any one byte. Split on it (the group kept),
# the escapes are every other piece.
_ESCAPE = re.compile(rb"\\(x[0-9a-fA-F]{2}|.)", re.DOTALL)
_SIMPLE = {
    b'"': b'"',
    b"\\": b"\\",
    b"n": b"\n",
    b"t": b"\t",
    b"r": b"\r",
    b"b": b"\b",
    b"v": b"\v",
    b"f": b"\f",
}


def _escape_table() -> dict[bytes, bytes]:
    """What each possible escape stands for: the byte of ``\\xhh`` (either case), the
    character of a simple escape, and for any other byte the escape itself, kept."""
    table = {bytes((byte,)): b"\\" + bytes((byte,)) for byte in range(256)}
    table.update(_SIMPLE)
    digits = "0123456789abcdefABCDEF"
    for high in digits:
        for low in digits:
            table[f"x{high}{low}".encode()] = bytes((int(high + low, 16),))
    return table


#: Every escape's meaning, looked up by the escape: a line of 8,000 escapes costs one split,
#: one C-level map and one join, not a Python call per escape.
_MEANING = _escape_table()


#: A backslash not followed by one of the escapes Apache writes (checked once the escaped
#: backslashes are out of the way).
_SUSPECT = re.compile(rb'\\(?![\\"ntrbvf]|x[0-9a-fA-F]{2})')
# More backslashes than this and the check is done by whole-field operations instead of a
# search: the search is a regex step per backslash, the operations a few passes.
_SEARCHED_BACKSLASHES = 64
# Longer fields are checked by RE2 where it is installed.
_LONG_FIELD = 1024
_AT_BACKSLASH = bytes(0xFF if byte == ord("\\") else 0 for byte in range(256))
_NOT_ESCAPE_LETTER = bytes(0 if chr(byte) in '"ntrbvf' else 0xFF for byte in range(256))


def _apache_escapes_only(data: bytes) -> bool:
    """True when every escape in ``data`` is one Apache writes. Then Python's own escape
    decoder gives what the table does (it differs on octal digits, ``\\a``, ``\\'``, a line
    break and a short ``\\x``, which it reads or rejects), about six times faster on a field
    of 8,000 ``\\"``. Each escaped backslash is first replaced by a byte no escape can hold
    (left to right, as a decoder reads them): what is left of a run of backslashes is at most
    one, which escapes the byte after it, and no ``\\x`` can borrow a digit across a pair.

    A backslash not followed by an escape is then searched for, or, past a few dozen
    backslashes (a regex step each: 150 us for 8,000 ``\\"``) and with no ``\\x`` (whose
    digits a mask would have to follow too; a removal of the ``\\xhh`` cost more than the
    search), found by whole-field operations: a mask of the backslashes and a mask of the
    bytes after them that are not an escape letter, as integers, share a bit when some
    backslash escapes nothing Apache writes.

    A field of more than a kilobyte is checked in one pass of RE2 instead
    (:func:`~lwsyslog.formats.escaped_text.apache_escapes_only`): the replacement, the
    search for ``\\x`` and the masks each read the field again, slowly where nearly every
    byte is a backslash (900 us for 60,000 ``\\"``, against 170)."""
    if len(data) > _LONG_FIELD:
        checked = apache_escapes_only(data)
        if checked is not None:
            return checked
    data = data.replace(b"\\\\", b"_")
    if data.count(b"\\") <= _SEARCHED_BACKSLASHES or b"\\x" in data:
        return _SUSPECT.search(data) is None
    at = int.from_bytes(data.translate(_AT_BACKSLASH), "big")
    after = int.from_bytes(data[1:].translate(_NOT_ESCAPE_LETTER) + b"\xff", "big")
    return not at & after


def unescape(value: str) -> str:
    """Undo Apache's log escaping in ``value`` (see the module docstring). Never raises."""
    if "\\" not in value:
        return value
    data = value.encode("utf-8", "surrogatepass")
    if _apache_escapes_only(data):
        return escape_decode(data)[0].decode("utf-8", "backslashreplace")
    pieces = _ESCAPE.split(data)
    pieces[1::2] = map(_MEANING.__getitem__, pieces[1::2])
    return b"".join(pieces).decode("utf-8", "backslashreplace")


def text_value(value: str | None) -> str:
    """A logged string field as the event holds it: ``-`` or absent is ``""``, escapes undone."""
    if not value or value == "-":
        return ""
    if "\\" in value:
        return unescape(value)
    return value


_METHOD = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_PROTOCOL = re.compile(r"[A-Za-z][A-Za-z0-9.+-]*/[0-9][0-9.]*")


def split_request_line(line: str) -> tuple[str, str, str]:
    """``(method, target, protocol)`` from an (unescaped) HTTP request line.

    ``"GET /a b HTTP/1.1"`` keeps the space in the target; ``"GET /"`` (HTTP/0.9) has no
    protocol. Anything whose first word is not an HTTP token (TLS handshake bytes, binary
    junk, an empty line) gives ``("", "", "")``: the caller keeps the raw line.
    """
    parts = line.split(" ")
    if len(parts) < 2:
        return "", "", ""
    method = parts[0]
    if not (method.isascii() and method.isalpha()) and _METHOD.fullmatch(method) is None:
        return "", "", ""
    if len(parts) == 3:
        target, protocol = parts[1], parts[2]
        if protocol.startswith("HTTP/") or _PROTOCOL.fullmatch(protocol):
            return method, target, protocol
        return method, f"{target} {protocol}", ""
    if len(parts) == 2:
        return method, parts[1], ""
    last = parts[-1]
    if last.startswith("HTTP/") or _PROTOCOL.fullmatch(last):
        return method, " ".join(parts[1:-1]), last
    return method, " ".join(parts[1:]), ""
