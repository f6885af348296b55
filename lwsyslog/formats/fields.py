"""Turning logged text back into values: Apache's escaping undone, the request line split.

Apache (``ap_escape_logitem``) writes ``"`` and ``\\`` as ``\\"`` and ``\\\\``, common control
characters as ``\\n``, ``\\t``..., and every other non-printable or non-ASCII byte as
``\\xhh``. :func:`unescape` reverses that: the bytes are rebuilt and decoded as UTF-8, and a
byte sequence that is not valid UTF-8 (an overlong ``\\xc0\\xae`` for instance) stays visible
as ``\\xhh`` text instead of being replaced or dropped.
"""

from __future__ import annotations

import re

__all__ = ["split_request_line", "text_value", "unescape"]

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


def _replace(m: re.Match[bytes]) -> bytes:
    seq = m.group(1)
    if len(seq) == 3:
        return bytes((int(seq[1:], 16),))
    return _SIMPLE.get(seq, b"\\" + seq)


def unescape(value: str) -> str:
    """Undo Apache's log escaping in ``value`` (see the module docstring). Never raises."""
    if "\\" not in value:
        return value
    raw = value.encode("utf-8", "surrogatepass")
    return _ESCAPE.sub(_replace, raw).decode("utf-8", "backslashreplace")


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
