"""A web host's name as lwsyslog keeps and shows it.

The name comes from a syslog header (the one the web host's rsyslog wrote, or one in a scanned
file): text its sender chose. A host name is ASCII letters, digits, dots, hyphens and
underscores (colons for an IPv6 address), and such a name is kept as it is. Every other
character (a space, a homoglyph such as Cyrillic palochka U+04CF for ``l``, an invisible
filler, ``%`` itself) is percent-encoded as its UTF-8 bytes (``db1%20critical``,
``examp%D3%8Fe.com``), so a name can neither pass for another host nor carry words that read
as part of an alert (``db1: critical ...``). Percent-encoding, not a backslash escape: the
outputs escape backslashes again, and ``%`` reads back unambiguously. Names a user writes
(``[hosts] silent_after_secs_per_host``, ``lwsyslog alerts --host``) go through the same
function, so ``bücher`` there matches the lines of ``bücher``.
"""

from __future__ import annotations

__all__ = ["host_shown"]

_PLAIN_CHAR = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-")
# Names seen, as shown. A few web hosts in practice; bounded (names are at most 255
# characters, at most 12 characters each once encoded) against a sender making up names.
_SHOWN: dict[str, str] = {}
_SHOWN_LIMIT = 1024


def host_shown(name: str) -> str:
    """``name`` with every character a host name cannot hold percent-encoded."""
    shown = _SHOWN.get(name)
    if shown is not None:
        return shown
    if _PLAIN_CHAR.issuperset(name):
        shown = name
    else:
        shown = "".join(char if char in _PLAIN_CHAR else _percent(char) for char in name)
    if len(_SHOWN) >= _SHOWN_LIMIT:
        _SHOWN.clear()
    _SHOWN[name] = shown
    return shown


def _percent(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
