"""The grammar of Apache ``LogFormat`` strings (mod_log_config), read with pyparsing.

A format is literal text and ``%`` directives. A directive is ``%``, any number of modifiers
(``<`` / ``>`` for the original / final request, ``!`` and comma-separated status codes that
make the item conditional, one ``{argument}``), then the directive letter (or ``^ti`` /
``^to``). :func:`parse_logformat` turns a string into :class:`Directive` and literal items
and raises :class:`~lwsyslog.errors.FormatError` naming the bad directive and its position.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from lwsyslog.errors import FormatError

if TYPE_CHECKING:
    import pyparsing as pp

__all__ = [
    "ARG_CHOICES",
    "DIRECTIVES",
    "PARSED_TABLE",
    "Directive",
    "parse_logformat",
    "parse_with_grammar",
    "stored_items",
    "table_entry",
]

#: The built-in formats parsed ahead of time, inside the package (see :func:`stored_items`).
PARSED_TABLE = "data/logformat-items.json"

DIRECTIVES: dict[str, str] = {
    "%": "a literal percent sign",
    "a": "client IP address ({c}: the underlying connection's peer)",
    "A": "local IP address",
    "B": "response size in bytes, headers excluded",
    "b": "response size in bytes, headers excluded, '-' for zero",
    "C": "a request cookie ({NAME} required)",
    "D": "time taken to serve the request, in microseconds",
    "e": "an environment variable ({NAME} required)",
    "f": "file name",
    "h": "remote host name or IP ({c}: the underlying connection's peer)",
    "H": "request protocol",
    "i": "a request header ({NAME} required)",
    "k": "keep-alive requests handled on this connection",
    "l": "remote logname (identd)",
    "L": "request log ID",
    "m": "request method",
    "n": "a note from another module ({NAME} required)",
    "o": "a response header ({NAME} required)",
    "p": "server port ({canonical}, {local} or {remote})",
    "P": "process ID of the child ({pid}, {tid} or {hextid})",
    "q": "query string, with its leading '?'",
    "r": "first line of the request",
    "R": "handler that generated the response",
    "s": "status ('%>s' final, '%<s' original)",
    "t": "request time ({strftime format}, sec, msec, usec, msec_frac, usec_frac, begin:/end:)",
    "T": "time taken to serve the request ({s}, {ms} or {us}; seconds by default)",
    "u": "remote user (from authentication)",
    "U": "URL path requested, without query string",
    "v": "canonical ServerName of the virtual host",
    "V": "server name according to UseCanonicalName",
    "X": "connection status when the response completed (X, + or -)",
    "I": "bytes received, request and headers included (mod_logio)",
    "O": "bytes sent, headers included (mod_logio)",
    "S": "bytes transferred, received and sent (mod_logio)",
    "^ti": "a request trailer ({NAME} required)",
    "^to": "a response trailer ({NAME} required)",
}
"""Every directive mod_log_config documents, with what it logs."""

_ARG_REQUIRED = frozenset({"C", "e", "i", "n", "o", "^ti", "^to"})
_ARG_OPTIONAL = frozenset({"a", "h", "p", "P", "t", "T"})

ARG_CHOICES: dict[str, frozenset[str]] = {
    "a": frozenset({"c"}),
    "h": frozenset({"c"}),
    "p": frozenset({"canonical", "local", "remote"}),
    "P": frozenset({"pid", "tid", "hextid"}),
    "T": frozenset({"s", "ms", "us"}),
}
"""Directives whose ``{argument}`` must be one of a fixed set of words."""


@dataclass(frozen=True, slots=True)
class Directive:
    """One ``%`` item of a LogFormat string, as written at ``position``."""

    letter: str
    arg: str | None
    position: int
    text: str
    statuses: tuple[int, ...] = ()
    negated: bool = False
    redirect: str = ""  # "<" original request, ">" final request, "" Apache's default

    @property
    def conditional(self) -> bool:
        """True when Apache logs ``-`` instead of the value for some statuses."""
        return bool(self.statuses)


LogFormatItem = Directive | str


@cache
def _grammar() -> pp.ParserElement:
    # Imported here: a configuration of built-in formats never needs the grammar (see
    # stored_items), and pyparsing costs every start of scan and of the program ~25 ms.
    import pyparsing as pp  # noqa: PLC0415

    arg = pp.Regex(r"\{[^}]*\}")
    modifier = pp.Regex(r"[<>!,]|\d{3}")
    # Any character may follow the modifiers so that a wrong letter is reported by name
    # below instead of as an anonymous grammar failure; only '{' (an unterminated
    # argument) and the end of the string leave the letter missing.
    letter = pp.Regex(r"\^\w{0,2}|[^{]", re.DOTALL)
    directive = pp.Group(
        pp.Located(pp.Literal("%") + pp.Group(pp.ZeroOrMore(arg | modifier)) + pp.Optional(letter))
    )
    literal = pp.Group(pp.Located(pp.Regex(r"[^%]+", re.DOTALL)))
    grammar = pp.ZeroOrMore(directive | literal) + pp.StringEnd()
    grammar.leave_whitespace()
    return grammar


def _unescape_literal(text: str) -> str:
    # mod_log_config turns \n and \t into control characters; \" is how a quote is written
    # inside a quoted LogFormat in httpd.conf, so a line copied from there works as-is.
    if "\\" not in text:
        return text
    return re.sub(r"\\([nt\"])", lambda m: {"n": "\n", "t": "\t", '"': '"'}[m.group(1)], text)


def _fail(fmt: str, position: int, text: str, problem: str) -> FormatError:
    return FormatError(f"LogFormat {fmt!r}: directive {text!r} at position {position}: {problem}")


def _directive(fmt: str, start: int, end: int, mods: list[str], letter: str | None) -> Directive:
    text = fmt[start:end]
    if letter is None:
        if end < len(fmt) and fmt[end] == "{":
            raise _fail(fmt, start, fmt[start:], "unterminated '{' argument")
        raise _fail(fmt, start, text, "incomplete directive (no letter after the modifiers)")
    if letter not in DIRECTIVES:
        raise _fail(fmt, start, text, "unknown directive")
    args = [m[1:-1] for m in mods if m.startswith("{")]
    statuses = tuple(int(m) for m in mods if m.isdigit())
    negated = "!" in mods
    redirects = [m for m in mods if m in "<>"]
    if letter == "%":
        if mods:
            raise _fail(fmt, start, text, "'%%' takes no modifiers")
        return Directive("%", None, start, text)
    if len(args) > 1:
        raise _fail(fmt, start, text, "more than one {argument}")
    arg = args[0] if args else None
    if arg is None and letter in _ARG_REQUIRED:
        raise _fail(fmt, start, text, "needs a {NAME} argument, e.g. %{User-Agent}i")
    if arg is not None:
        if letter not in _ARG_REQUIRED and letter not in _ARG_OPTIONAL:
            raise _fail(fmt, start, text, f"%{letter} takes no {{argument}}")
        if arg == "" and letter in _ARG_REQUIRED:
            raise _fail(fmt, start, text, "empty {NAME} argument")
        choices = ARG_CHOICES.get(letter)
        if choices is not None and arg not in choices:
            allowed = ", ".join(sorted(choices))
            raise _fail(fmt, start, text, f"argument must be one of {allowed}")
    if negated and not statuses:
        raise _fail(fmt, start, text, "'!' must be followed by status codes")
    return Directive(
        letter=letter,
        arg=arg,
        position=start,
        text=text,
        statuses=statuses,
        negated=negated,
        redirect=redirects[-1] if redirects else "",
    )


def parse_logformat(fmt: str) -> list[LogFormatItem]:
    """Split a LogFormat string into literal strings and :class:`Directive` items.

    Adjacent literals are merged; ``%%`` becomes a literal ``%``. Raises
    :class:`~lwsyslog.errors.FormatError` for an empty string or an invalid directive. A
    built-in format comes from the table parsed ahead of time (:func:`stored_items`).
    """
    stored = stored_items().get(fmt)
    if stored is not None:
        return list(stored)
    return parse_with_grammar(fmt)


@cache
def stored_items() -> dict[str, tuple[LogFormatItem, ...]]:
    """The items of the built-in formats as :func:`parse_with_grammar` gave them when
    ``python -m lwsyslog.formats.items_build`` wrote :data:`PARSED_TABLE` (empty when the
    file is missing or unreadable: it only saves start-up time). A test checks every entry
    against the grammar."""
    try:
        text = resources.files("lwsyslog").joinpath(PARSED_TABLE).read_text("utf-8")
        data = json.loads(text)
        return {
            fmt: tuple(item if isinstance(item, str) else _stored_directive(item) for item in items)
            for fmt, items in data.items()
        }
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def _stored_directive(item: dict[str, Any]) -> Directive:
    return Directive(**{**item, "statuses": tuple(item["statuses"])})


def table_entry(items: list[LogFormatItem]) -> list[str | dict[str, Any]]:
    """One format's items as :data:`PARSED_TABLE` stores them."""
    return [item if isinstance(item, str) else asdict(item) for item in items]


def parse_with_grammar(fmt: str) -> list[LogFormatItem]:
    """:func:`parse_logformat` by the grammar itself, whatever the table holds."""
    import pyparsing as pp  # noqa: PLC0415  (see _grammar)

    if not fmt:
        raise FormatError("LogFormat is empty")
    try:
        parsed = _grammar().parse_string(fmt, parse_all=True)
    except pp.ParseBaseException as exc:  # the grammar accepts any string; kept as a guard
        raise FormatError(f"LogFormat {fmt!r}: cannot parse at position {exc.loc}") from exc
    items: list[LogFormatItem] = []
    for group in parsed:
        start, tokens, end = group[0], group[1], group[2]
        if fmt[start] == "%":
            mods = list(tokens[1])
            letter = tokens[2] if len(tokens) > 2 else None
            item: LogFormatItem = _directive(fmt, start, end, mods, letter)
            if isinstance(item, Directive) and item.letter == "%":
                item = "%"
        else:
            item = _unescape_literal(tokens[0])
        if isinstance(item, str) and items and isinstance(items[-1], str):
            items[-1] += item
        else:
            items.append(item)
    return items
