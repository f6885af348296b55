"""Serialized objects in a parameter or cookie: the carrier of a deserialization gadget chain.

An application that unserializes what a client sends runs the methods of whatever classes the
client names (``__wakeup``/``__destruct`` in PHP, ``readObject`` in Java, a BinaryFormatter's
surrogates in .NET): ysoserial, PHPGGC and ysoserial.net build those chains. Their payloads
have fixed openings, read in the text as decoded but with its case kept (base64 is
case-sensitive):

- Java: ``rO0AB`` (base64 of the stream magic ``AC ED 00 05``), ``aced0005`` in hex;
- PHP: ``O:8:"stdClass":1:{`` and ``C:11:"ArrayObject":...`` (also ``O:+8:``), and the same in
  base64 (``Tzo``, ``Qzo``; an array, ``YTo``, when an object is inside it): the base64 is
  decoded (its first :data:`MAX_BASE64_CHARS` characters) and must hold a serialized object;
- .NET: ``AAEAAAD/////`` (base64 of a BinaryFormatter header), ``0001000000ffffffff01`` in hex.

The blob must start a value (after ``=``, a quote, ``:``, ``;``, ``{``...), not sit inside a
word. A plain PHP array (``a:2:{...}``, which some applications pass around) is no object.

JSF's client-side view state is Java-serialized (``javax.faces.ViewState=rO0AB...``) in an
application that keeps it unencrypted; it travels in POST bodies, which are not logged. In a
logged query or cookie it is reported: unencrypted, it is itself the vulnerability (MyFaces and
Mojarra unserialize it before anything else), and a site that knowingly runs so allows the
path in ``[rules.code-injection-serialized-object]``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Final

from lwsyslog.events import Event
from lwsyslog.matching.linear import Regex, linear_search
from lwsyslog.normalize import EventView
from lwsyslog.rules.base import ACCESS, Rule, RuleMatch
from lwsyslog.rules.samples import AccessSample
from lwsyslog.severity import Severity

__all__ = ["MAX_BASE64_CHARS", "SerializedObject"]

#: Most base64 characters of a PHP blob decoded to look for an object in it.
MAX_BASE64_CHARS: Final = 1024
#: Most characters a finding's fragment shows of a blob.
_SHOWN: Final = 48

# What may come right before a value: the blob must start one.
_BEFORE = r"(?:^|[=&;:\"'\s,(\[{])"
# A PHP serialized object or Serializable: its class name and property count (a namespace's
# backslash is a "/" once decoded).
_PHP_OBJECT = r"[OC]:\+?\d{1,4}:\"[A-Za-z_/][\w/]*\":\d{1,4}:[{\"]"
# A query's "+" sent unencoded is a space to the application too, and breaks the base64 there.
_B64 = r"[A-Za-z0-9+/_-]"
_BLOB = linear_search(
    Regex(
        _BEFORE + r"(?:rO0AB" + _B64 + r"{12,}|(?:0x)?(?i:aced0005)[0-9a-fA-F]{8,}"
        r"|AAEAAAD/////" + _B64 + r"{4,}|(?i:0001000000ffffffff01)[0-9a-fA-F]{4,}"
        r"|" + _PHP_OBJECT + r")"
    )
)
# A PHP value in base64: an object (Tzo: "O:", Qzo: "C:") or an array (YTo: "a:"), then a digit.
_PHP_BASE64 = linear_search(Regex(_BEFORE + r"(?:Tzo|Qzo|YTo)[w-z0-5]" + _B64 + r"{8,}"))
# The same in the bytes a base64 blob decodes to, where a namespace keeps its backslash.
_PHP_OBJECT_INSIDE = linear_search(Regex(r"[OC]:\+?\d{1,4}:\"[A-Za-z_\\][\w\\]*\":\d{1,4}:[{\"]"))
#: Most blobs of one field the rule reads (the work per line stays bounded).
_MAX_BLOBS: Final = 8


def _decoded_php(blob: str) -> str:
    """The first :data:`MAX_BASE64_CHARS` characters of a base64 blob decoded (Latin-1),
    ``""`` when they are no base64 (the URL-safe alphabet read as the standard one)."""
    text = blob[:MAX_BASE64_CHARS].replace("-", "+").replace("_", "/")
    text = text[: len(text) - len(text) % 4]
    try:
        return base64.b64decode(text).decode("latin-1")
    except (binascii.Error, ValueError):
        return ""


def _php_base64_object(text: str) -> str | None:
    """The first base64 PHP value in ``text`` that decodes to (or holds) a serialized object."""
    pos = 0
    for _ in range(_MAX_BLOBS):
        found = _PHP_BASE64.search(text[pos:])
        if found is None:
            return None
        start = text.find(found, pos)
        pos = start + len(found)
        blob = found.lstrip("=&;:\"' \n,([{")
        if _PHP_OBJECT_INSIDE.search(_decoded_php(blob)) is not None:
            return blob
    return None


def serialized_object(text: str) -> str | None:
    """The opening of the first serialized object in ``text`` (decoded, case kept)."""
    found = _BLOB.search(text)
    if found is not None:
        return found.lstrip("=&;:\"' \n,([{")[:_SHOWN]
    blob = _php_base64_object(text)
    return None if blob is None else blob[:_SHOWN]


class SerializedObject(Rule):
    """A Java, PHP or .NET serialized object in the query or a cookie (see the module
    docstring)."""

    id = "code-injection-serialized-object"
    categories = ("code-injection",)
    severity = Severity.HIGH
    description = 'serialized object (Java rO0AB, PHP O:8:"...", .NET AAEAAAD) in a parameter'
    logs = ACCESS
    fields = ("query", "cookie")
    triggers = dict.fromkeys(
        fields, r"ro0ab|aced0005|aaeaaad/|0001000000ffffffff|tzo|qzo|yto|[oc]:\+?\d"
    )
    must_match = (
        AccessSample(target="/app?state=rO0ABXNyABdqYXZhLnV0aWwuUHJpb3JpdHlRdWV1ZZTa"),
        AccessSample(target="/app?s=aced0005737200176a6176612e7574696c"),
        AccessSample(target='/index.php?data=O:8:"stdClass":1:{s:4:"file";s:3:"abc";}'),
        AccessSample(target="/index.php?data=Tzo4OiJzdGRDbGFzcyI6MDp7fQ=="),
        AccessSample(target="/index.php?d=YToxOntpOjA7Tzo4OiJzdGRDbGFzcyI6MDp7fX0%3D"),
        AccessSample(
            target="/index.php?data=O:40:%22Illuminate%5CBroadcasting%5CPendingBroadcast%22:2:{}"
        ),
        AccessSample(target="/api?v=AAEAAAD/////AQAAAAAAAAAMAgAAAF5NaWNyb3NvZnQ="),
        AccessSample(target="/", cookie="prefs=rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA"),
        AccessSample(target="/x.php?d=O:%2B8:%22stdClass%22:0:{}"),
    )
    must_not_match = (
        AccessSample(target="/index.php?d=YToyOntpOjA7czoxOiJhIjtpOjE7czoxOiJiIjt9"),
        AccessSample(target='/index.php?prefs=a:2:{i:0;s:1:"a";i:1;s:1:"b";}'),
        AccessSample(target="/search?q=Kyoto+tzoutzou+rO0AB"),
        AccessSample(target="/img?token=xrO0ABXNyABdqYXZhLnV0aWwuUHJpb3Jp"),
        AccessSample(target="/search?q=NO:8:%22x%22"),
        AccessSample(target="/p?id=TzoxYWJjZGVmZ2hpams"),
    )

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """The first field holding a serialized object."""
        for name in self.fields:
            text = view.decoded(name)
            if text:
                fragment = serialized_object(text)
                if fragment is not None:
                    return RuleMatch(name, fragment)
        return None
