"""Decoded, lower-cased views of an event's fields, computed lazily for the rules.

Attackers hide payloads behind encodings that the web application will undo (percent and double
percent encoding, IIS ``%uXXXX``, overlong UTF-8, HTML entities, SQL comments, odd whitespace).
:func:`decode` undoes them the way a lenient application would, within fixed bounds, so a rule
pattern is written once against plain text. :class:`EventView` decodes a field only when a rule
asks for it and caches the result for the other rules reading the same event.
"""

from __future__ import annotations

import html
import operator
import re
from collections.abc import Callable
from typing import Final

from lwsyslog.appdecode import app_reading
from lwsyslog.canonical import CANONICAL_FIELDS, NO_CANONICAL, canonical_fields
from lwsyslog.events import Event, reader
from lwsyslog.flooded import FloodedText
from lwsyslog.matching.linear import Regex, linear_search
from lwsyslog.percent import CAPS, distinct_until_cap, percent_decoded, split_at
from lwsyslog.whitespace import ODD_SPACE_CHARS, folded

__all__ = [
    "COPY_SEPARATOR",
    "DECODE_ROUNDS",
    "FLOODED_HEAD_CHARS",
    "MAX_DECODED_CHARS",
    "TEXT_FIELDS",
    "VALUE_END",
    "EventView",
    "decode",
    "flooded_head",
    "raw_getter",
    "raw_source",
    "undecoded",
]

#: Longest text decoded; the rest of a field is ignored by rules (decoding shrinks text, but for
#: the second copy a comment brings, so cutting the input bounds the output and the work). The
#: largest ``max_line_bytes`` the configuration takes (``config.MAX_LINE_BYTES``): a field is
#: part of a line, so no field of a line read whole is ever cut here, and a payload padded
#: past any smaller cap is still read.
MAX_DECODED_CHARS: Final = 1 << 20

#: Characters of a flooded field's text that :func:`flooded_head` gives.
FLOODED_HEAD_CHARS: Final = 100

#: Percent-decoding is repeated at most this many times (``%25252e`` needs three).
DECODE_ROUNDS = 3

# Any character some decoding step acts on (fullwidth ASCII: app_reading), text without one,
# and without two spaces in a row, is returned as it is.
_NEEDS_WORK: Final = re.compile(rf"[%&\\\x00+*{ODD_SPACE_CHARS}\uff01-\uff5e]")
_ENTITY: Final = re.compile(r"&(?:#[0-9]|#[xX][0-9a-fA-F]|[a-zA-Z][a-zA-Z0-9]{1,30};)")
# _NEEDS_WORK without "&" and "*", which change nothing unless an entity or "/*" follows (a
# query's "&" usually has neither).
_NEEDS_WORK_BUT_AMP: Final = re.compile(rf"[%\\\x00+{ODD_SPACE_CHARS}\uff01-\uff5e]")
# More "&" than this and the text goes to decode() without a search for entities here (which
# costs a step per "&": decode() searches once, not twice).
_AMPERSANDS_CHECKED: Final = 16
# The searches undecoded() runs, bound once: it runs for most fields of most lines, and a
# method looked up on the pattern each time costs compiled code a generic call. (One
# alternation instead of the three was slower: it loses the character-class fast scan.)
_needs_work: Final = _NEEDS_WORK.search
_needs_work_but_amp: Final = _NEEDS_WORK_BUT_AMP.search
_entity: Final = _ENTITY.search
# MySQL runs the body of a versioned comment (/*!50000union*/); other comments are whitespace.
_SQL_COMMENT = re.compile(r"/\*(?:!\d*(.*?)|.*?)\*/", re.DOTALL)
# A backslash before a letter, which a shell drops (``w\\hoami`` runs ``whoami``). Two ways,
# each bounded by the other's cheap case: one ``re`` substitution of the backslash alone
# (empty template: no Python call per match) costs about 35 ns a backslash and 190 ns a match
# (754 us for 4,000 ``\\a``); one C-level ``str.replace`` per letter costs 52 scans of the
# text whatever it holds (166 us on 8 KB of words with a single backslash). Past one
# backslash in _DENSE_BACKSLASHES characters the scans are the cheaper.
_SHELL_ESCAPE: Final = re.compile(r"\\(?=[A-Za-z])")
_SHELL_ESCAPES: Final = tuple(
    ("\\" + letter, letter) for letter in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
_DENSE_BACKSLASHES: Final = 10


# html.unescape's own character reference (CPython's html._charref).
_CHARREF = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")


def _html_unescaped(text: str) -> str:
    """``html.unescape(text)``, with each distinct piece resolved once and put back by one
    C-level map and join (``html.unescape`` makes a Python call per reference: a field of
    1,600 ``&#65;`` cost 1,600 calls). A reference (CPython's ``html._charref``) starts at a
    "&" and holds no other, so the text cut before each "&" is pieces with at most one
    reference each, at their start: ``html.unescape`` of each piece is its share of the
    result. Cutting with ``str.split`` is one C call (a regex split cost a match per
    reference: 1,600 ``&amp;`` took 250 us)."""
    first = text.find("&")
    if first < 0:
        return text
    # One reference, ended by ";", at every "&" (a field of one entity repeated): it is all
    # there is to replace, and str.replace does it without a piece per reference.
    match = _CHARREF.match(text, first)
    if match is not None:
        reference = match.group()
        if reference.endswith(";") and text.count(reference) == text.count("&"):
            return text.replace(reference, html.unescape(reference))
    pieces = split_at(text, "&")
    rest = pieces[1:]
    # At most MAX_DISTINCT_PIECES distinct pieces are resolved (a Python call each); past
    # that, the text from the first piece not resolved on stays as it is.
    distinct, cut = distinct_until_cap(rest)
    meaning = {piece: html.unescape("&" + piece) for piece in distinct}
    if cut == len(rest):
        return pieces[0] + "".join(map(meaning.__getitem__, rest))
    return pieces[0] + "".join(map(meaning.__getitem__, rest[:cut])) + "&" + "&".join(rest[cut:])


# _ENTITY's numeric references, searched in byte classes: "0" a digit, "a" a hex letter, "x"
# x or X; and its named ones, searched only where a ";" is.
_REFERENCE_CLASSES = bytes(
    ord("0")
    if chr(byte).isdigit() and byte < 128
    else ord("a")
    if chr(byte) in "abcdefABCDEF"
    else ord("x")
    if chr(byte) in "xX"
    else byte
    if chr(byte) in "&#"
    else ord(".")
    for byte in range(256)
)
_NAMED_ENTITY = re.compile(r"&[a-zA-Z][a-zA-Z0-9]{1,30};")


def _has_entity(text: str) -> bool:
    """Whether ``_ENTITY`` matches somewhere in ``text``. Past a few "&" without one (a field
    of 4,000 "&#": the regex tried each "&", 190 us), by bytes searches in the text's byte
    classes for a numeric reference and a search for a named one only where a ";" is."""
    if text.count("&") <= _AMPERSANDS_CHECKED:
        return _ENTITY.search(text) is not None
    if "&#" in text:
        classes = text.encode("utf-8", "surrogatepass").translate(_REFERENCE_CLASSES)
        # A digit class or an "x" at all first: a search for "&#0" in "&#&#&#..." costs
        # 20 us, for one byte a microsecond.
        if b"0" in classes and b"&#0" in classes:
            return True
        if b"x" in classes and (b"&#x0" in classes or b"&#xa" in classes):
            return True
    return ";" in text and _NAMED_ENTITY.search(text) is not None


def _comment_replace(match: re.Match[str]) -> str:
    body = match.group(1)
    return " " if body is None else f" {body} "


def _strip_comments(text: str) -> str:
    """SQL comments replaced: a comment ends at the first ``*/`` after it, however far, so
    every ``/*`` before the last ``*/`` opens one and the search never scans past it (a
    bounded ``.{0,256}?`` made each unclosed ``/*`` cost 256 steps). Without a versioned
    comment, every comment is one space, found by two ``str.find`` calls: a regex
    substitution costs more per match, and a run of ``/*/*`` is thousands of comments."""
    end = text.rfind("*/")
    if end < 0:
        return text
    if text.find("/*!", 0, end + 2) >= 0:
        return _SQL_COMMENT.sub(_comment_replace, text[: end + 2]) + text[end + 2 :]
    parts: list[str] = []
    kept_from = 0
    opened = text.find("/*")
    while opened >= 0:
        closed = text.find("*/", opened + 2)
        if closed < 0:
            break
        parts.append(text[kept_from:opened])
        parts.append(" ")
        kept_from = closed + 2
        opened = text.find("/*", kept_from)
    parts.append(text[kept_from:])
    return "".join(parts)


#: Between the two texts :func:`_without_comments` gives: a line break (no pattern spans it)
#: and a character no rule reads as a separator or a word, so the second text's start is not
#: a value's start (``?ls&x=/*a*/`` must not read as a newline, then the command ``ls``).
COPY_SEPARATOR: Final = "\n\uffff"

#: A pattern piece for the end of a value: the text's end or :data:`COPY_SEPARATOR`, where the
#: comment-free text ends (``1 OR 1=1/*x*/``: SQL reads the value as ending after ``1=1``).
#: ``$`` alone sees only the second text's end, whose comment bodies SQL never reads. The
#: separator's own characters, not escapes: RE2 has no ``\\u``.
VALUE_END: Final = f"(?:$|{COPY_SEPARATOR})"


def _without_comments(text: str) -> str:
    """The text with its SQL comments replaced, then, after :data:`COPY_SEPARATOR`, the text
    with only the comment marks replaced (the bodies kept); each text's white space folded
    (:func:`~lwsyslog.whitespace.folded`). When every comment is empty the two are one text,
    given once.

    SQL reads ``union/*x*/select`` as ``union select``, but nothing else reads ``/* ... */``
    as a comment: ``a=/*&file=../../etc/passwd&b=*/`` gives an application both parameters
    whole, and a User-Agent ``/* ${jndi:...} */`` still reaches Log4j. Rules read both texts.
    """
    stripped = _strip_comments(text)
    if stripped == text:
        return folded(text)
    kept = folded(text.replace("/*", " ").replace("*/", " "))
    # Folded apart, each text stays ASCII when it was (the separator is not: folded with it,
    # every character would go through the slower Unicode scan). A blank the first text ends
    # with is the one the separator's line break takes in.
    stripped = folded(stripped)
    trimmed = stripped[:-1] if stripped[-1:] in (" ", "\n") else stripped
    if stripped == kept:
        # Every comment was empty (``union/**/select``, padding of ``/**/``): both readings
        # are one text, and a second copy would only double every rule's search.
        return trimmed
    return f"{trimmed}{COPY_SEPARATOR}{kept}"


def decode(text: str, *, form: bool = False, shell: bool = False) -> str:
    """``text`` with every supported encoding undone, bounded in size and work.

    Steps: ``+`` to space (only when ``form``: query strings), percent-decoding repeated up to
    :data:`DECODE_ROUNDS` times (``%XX`` as UTF-8, other bytes as Latin-1, ``%uXXXX``, overlong
    UTF-8 to ASCII), HTML entities once; then, when JSON/JavaScript escapes (``\\u00HH``,
    ``\\xHH``) or fullwidth ASCII are there, the text with them decoded and folded as an
    application does (:func:`~lwsyslog.appdecode.app_reading`) follows the text after
    :data:`COPY_SEPARATOR`, each text then taken on by the steps left: backslash to ``/``, NUL
    removed, SQL comments to a space (the body of a versioned ``/*!50000...*/`` kept; the text
    with the comment bodies kept follows on a line of its own when it differs:
    :func:`_without_comments`),
    whitespace runs to one space (one ``"\\n"`` when the run holds a line break). Text longer than
    :data:`MAX_DECODED_CHARS` is cut first.

    With ``shell``, a backslash before a letter is dropped first, as a shell drops it
    (``w\\hoami`` is ``whoami``): the text the command rules read besides the decoded one
    (:meth:`EventView.shell`). Path rules read the backslash as a separator.
    """
    if len(text) > MAX_DECODED_CHARS:
        text = text[:MAX_DECODED_CHARS]
    if _NEEDS_WORK.search(text) is None and "  " not in text:
        return text
    if form and "+" in text:
        text = text.replace("+", " ")
    if "%" in text:
        # A round that meets the cap of distinct pieces is not the last: it decoded the text
        # past the cap in bulk (percent.past_cap), and a payload encoded twice behind a
        # padding of distinct escapes needs the next round as any other does. A round
        # resolves at most the cap's worth one by one: the work stays bounded.
        for _ in range(DECODE_ROUNDS):
            decoded = percent_decoded(text)
            if decoded == text:
                break
            text = decoded
            if "%" not in text:
                break
    if "&" in text and _has_entity(text):
        text = _html_unescaped(text)
    # What a JSON decoder or NFKC makes of the text, as a copy of its own: the text itself
    # is what an application without them reads (a fullwidth "?" in a Japanese search stays).
    other = app_reading(text) if "\\" in text or not text.isascii() else None
    text = _finished(text, shell)
    if other is None:
        return text
    other = _finished(other, shell)
    return text if other == text else f"{text}{COPY_SEPARATOR}{other}"


def _finished(text: str, shell: bool) -> str:
    """The steps of :func:`decode` after the application's own decoding."""
    if "\\" in text:
        if shell:
            text = _shell_read(text)
        text = text.replace("\\", "/")
    if "\x00" in text:
        text = text.replace("\x00", "")
    if "/*" in text:
        return _without_comments(text)
    return folded(text)


def _shell_read(text: str) -> str:
    """``text`` with each backslash before a letter dropped, as a shell reads it."""
    if text.count("\\") * _DENSE_BACKSLASHES < len(text):
        return _SHELL_ESCAPE.sub("", text)
    for escaped, letter in _SHELL_ESCAPES:
        if escaped in text:
            text = text.replace(escaped, letter)
    return text


def _split_url(text: str) -> tuple[str, str | None]:
    cut = text.find("?")
    return (text, None) if cut < 0 else (text[:cut], text[cut + 1 :])


def _decode_url(text: str, shell: bool = False) -> str:
    """A URL decoded part by part, the query as a form (``+`` is a space there)."""
    path, query = _split_url(text)
    if query is None:
        return decode(path, shell=shell)
    return f"{decode(path, shell=shell)}?{decode(query, form=True, shell=shell)}"


# The file an error-log entry complains about (AH00128 "File does not exist: /x", AH01630,
# AH01264, AH01276...): the error log's equivalent of a request path, so path rules read both.
# A colon right after the path is Apache's ("Cannot serve directory /x/: No matching ...").
# nginx names it in quotes: 'open() "/x" failed (2: ...)' (its AH00128), '"/x/index.html" is not
# found', 'directory index of "/x/" is forbidden' (AH01276), and stat()/realpath() failures.
# Searched by RE2: ``re`` tries the phrases at every position of a message that names no file,
# which cost 380-600 us for an 8 KB message (most of an error line's time). The search reports
# its whole match, and the path is cut from it by string methods: a fragment group would have
# ``re`` match the span again to find it, 1-2 ms for a message naming an 8 KB path.
_ERROR_PATH: Final = linear_search(
    Regex(
        r"(?:file does not exist|unable to stat|denied by server configuration"
        r"|options directive|cannot serve directory|not allowed or link target not accessible"
        r"|file permissions deny server access|attempt to invoke directory as script)"
        r":?\s+'?(?:/[^\s',]*[^\s',:]|/)"
        r"|^script '/[^']*' not found"
        r'|^(?:open|stat|lstat|realpath|opendir)\(\) "/[^"]*" failed'
        r'|^"/[^"]*" is (?:not found|forbidden)'
        r'|^directory index of "/[^"]*" is forbidden',
        re.IGNORECASE,
    )
).search
# How the branches that quote the path start (the others start with a phrase, and the path
# runs from its "/" to the end of the match).
_QUOTED_STARTS: Final = (
    '"',
    "script '",
    "open(",
    "stat(",
    "lstat(",
    "realpath(",
    "opendir(",
    "directory ",
)


def _error_path(message: str) -> str:
    found = _ERROR_PATH(message)
    if found is None:
        return ""
    start = found.find("/")
    if not found[:10].lower().startswith(_QUOTED_STARTS):
        return found[start:]
    return found[start : found.rfind(found[start - 1])]


def _error_entry_path(event: Event) -> str:
    message = getattr(event, "message", "")
    return _error_path(message) if message else ""


def _empty(event: Event) -> str:
    return ""


#: The field names :class:`EventView` serves (``""`` when the event has no such field). For an
#: error-log entry, ``path`` is the file path its message names, if any. The fields of
#: :data:`~lwsyslog.canonical.CANONICAL_FIELDS` are an access event's path and target as the
#: server behind Apache sees them (``""`` when that is the field as logged).
TEXT_FIELDS: Final[frozenset[str]] = frozenset(
    {
        "target",
        "path",
        "query",
        "method",
        "protocol",
        "request_line",
        "user_agent",
        "cookie",
        "headers",
        "referer",
        "user",
        "message",
        "code",
        "module",
        *CANONICAL_FIELDS,
    }
)

_PLAIN: Final = frozenset({"method", "protocol", "request_line", "code", "module"})
_TARGET_PARTS: Final = frozenset({"target", "path", "query", *CANONICAL_FIELDS})
_ERROR_ONLY: Final = frozenset({"message", "code", "module"})


def raw_source(log: str, field: str) -> str:
    """The event attribute ``field`` is read from on ``log`` events (``""``: none, the field is
    always empty there). Fields sharing a source are functions of its value: an access event's
    ``path``, ``query`` and canonical forms are cut from ``target``, an error entry's ``path``
    is found in ``message``."""
    if field not in TEXT_FIELDS:
        raise KeyError(field)
    if field in _TARGET_PARTS:
        if log == "access":
            return "target"
        return "message" if field == "path" else ""
    if field == "referer" or (field in _ERROR_ONLY) == (log == "error"):
        return field
    return ""


def raw_getter(log: str, field: str) -> Callable[[Event], str]:
    """A fast function reading ``field`` as parsed from events of one ``log`` type."""
    source = raw_source(log, field)
    if not source:
        return _empty
    if field in CANONICAL_FIELDS:
        return _canonical_getter(field)
    if source != field:
        return operator.attrgetter(field) if log == "access" else _error_entry_path
    return reader(log, field)


def _canonical_getter(field: str) -> Callable[[Event], str]:
    """A canonical field of an access event as parsed: that form of its raw target."""

    def get(event: Event) -> str:
        target: str = getattr(event, "target", "")
        cut = target.find("?")
        path = target if cut < 0 else target[:cut]
        found = canonical_fields(path, path, target)
        return "" if found is None else found[field]

    return get


# The getters of each log type, for EventView: its event's log is known, no check per read.
_GETTERS: Final[dict[str, dict[str, Callable[[Event], str]]]] = {
    log: {field: raw_getter(log, field) for field in TEXT_FIELDS} for log in ("access", "error")
}


def flooded_head(text: str) -> str | None:
    """The first :data:`FLOODED_HEAD_CHARS` characters of ``text`` when it is the lower-cased
    text of a field whose decoding met a cap (:meth:`EventView.flooded`), else ``None``.

    How ``protocol-encoding-flood`` confirms a field: the detect stage asks it about every
    field value holding a "%" or "&" (half the lines of a log of query strings), and here, in
    a compiled module, that costs a C call rather than a Python function's.
    """
    return text[:FLOODED_HEAD_CHARS] if type(text) is FloodedText else None


class EventView:
    """One event's fields as rules read them: raw, decoded, and decoded lower-cased.

    Every value is computed on first use and cached, so a field no rule asks for is never decoded
    and a field twenty rules ask for is decoded once. Unknown field names raise ``KeyError``.
    """

    __slots__ = ("_decoded", "_flooded", "_lower", "event")

    def __init__(self, event: Event) -> None:
        self.event = event
        self._decoded: dict[str, str] = {}
        self._lower: dict[str, str] = {}
        self._flooded: tuple[str, ...] = ()

    def raw(self, field: str) -> str:
        """The field as parsed (Apache's escaping undone, nothing else)."""
        return _GETTERS[self.event.log][field](self.event)

    def decoded(self, field: str) -> str:
        """The field with every encoding of :func:`decode` undone (URLs part by part)."""
        value = self._decoded.get(field)
        if value is None:
            value = self._decode(field)
        return value

    def lower(self, field: str) -> str:
        """:meth:`decoded`, lower-cased: what most rule patterns search."""
        value = self._lower.get(field)
        if value is None:
            value = self._decoded.get(field)
            if value is None:
                value = self._decode(field)
            value = value.lower()
            if self._flooded and field in self._flooded:
                value = FloodedText(value)
            self._lower[field] = value
        return value

    def shell(self, field: str) -> str:
        """:meth:`lower`, but a backslash before a letter dropped as a shell drops it
        (``;w\\hoami`` reads ``;whoami``), not read as a ``/``: what the command rules read
        besides :meth:`lower` when the field holds a backslash. Not cached: asked only then."""
        raw = self.raw(field)
        if not raw or field in _PLAIN:
            return raw.lower()
        if field in _TARGET_PARTS and self.event.log == "access":
            text = (
                _decode_url(raw, True)
                if field.endswith("target")
                else decode(raw, form=field == "query", shell=True)
            )
        elif field == "referer":
            text = _decode_url(raw, True)
        else:
            text = decode(raw, shell=True)
        return text.lower()

    def flooded(self, field: str) -> bool:
        """Whether decoding ``field`` met the cap of distinct pieces resolved one by one
        (:data:`~lwsyslog.percent.MAX_DISTINCT_PIECES`): some of its encodings were left as
        they are, which no ordinary client makes happen."""
        if field not in self._decoded:
            self._decode(field)
        return field in self._flooded

    def _flagged(self, fields: tuple[str, ...], text: str, form: bool = False) -> str:
        """:func:`decode` of ``text``, ``fields`` noted as flooded when it met the cap."""
        hits = CAPS.count
        text = _decode_url(text) if fields[0] == "referer" else decode(text, form=form)
        if CAPS.count != hits:
            self._flooded += fields
        return text

    def _decode(self, field: str) -> str:
        event = self.event
        if field in CANONICAL_FIELDS and event.log == "access":
            # Apache resolves the path as sent (a "..%2f" is no ".." to it); the backend then
            # decodes what it got.
            target = event.target
            cut = target.find("?")
            raw = target if cut < 0 else target[:cut]
            found = canonical_fields(raw, self.decoded("path"), self.decoded("target"), decode)
            self._decoded.update(found or NO_CANONICAL)
            return self._decoded[field]
        if field in _TARGET_PARTS and event.log == "access":
            # Split the raw target first (an encoded "?" belongs to the path) and decode each
            # part once: "target", "path" and "query" share the work.
            target = event.target
            cut = target.find("?")
            if undecoded(target):
                # Nothing to undo in either part: the parts are slices of the target.
                if cut < 0:
                    self._decoded.update(target=target, path=target, query="")
                else:
                    self._decoded.update(target=target, path=target[:cut], query=target[cut + 1 :])
            elif cut < 0:
                path = self._flagged(("target", "path"), target)
                self._decoded.update(target=path, path=path, query="")
            else:
                path = self._flagged(("target", "path"), target[:cut])
                query = self._flagged(("target", "query"), target[cut + 1 :], form=True)
                self._decoded.update(target=f"{path}?{query}", path=path, query=query)
            return self._decoded[field]
        raw = _GETTERS[event.log][field](event)
        if raw and field not in _PLAIN:
            raw = self._flagged((field,), raw)
        self._decoded[field] = raw
        return raw


def undecoded(text: str) -> bool:
    """True when :func:`decode` returns ``text`` unchanged, and so does every way a field is
    decoded in parts (a URL's path and query): nothing in it to undo."""
    if len(text) > MAX_DECODED_CHARS or "  " in text:
        return False
    if _needs_work(text) is None:
        return True
    return (
        _needs_work_but_amp(text) is None
        and "/*" not in text
        and text.count("&") <= _AMPERSANDS_CHECKED
        and _entity(text) is None
    )
