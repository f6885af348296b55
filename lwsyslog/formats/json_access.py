"""Access logs written as one JSON object per line (nginx ``escape=json``, Apache JSON LogFormats).

The object's keys name the fields; :data:`DEFAULT_JSON_KEYS` maps the names nginx's variables
and the usual Apache JSON LogFormats use to :class:`~lwsyslog.events.AccessEvent` fields (keys
compared without case), and a caller replaces the key list of any field with its own. The first
key of a field's list that the object holds wins.

Every value is read from its own key only (a JSON string cannot forge another key: its quotes
are escaped), bounded in length, and of the type the field needs: a nested object or array, or
a client value that is neither one token nor a list of addresses, is never taken. A client
written with its port (``198.51.100.23:40001``, ``[2001:db8::1]:40001``) or IPv4-mapped is the
address alone (:func:`~lwsyslog.formats.addresses.client_text`); a comma list under the client
key, or an X-Forwarded-For value when no client is logged, gives its right-most entry
(:func:`~lwsyslog.formats.addresses.last_hop`). A line that is not a JSON object, or
holds more than ``max_keys`` keys, is not this format. Lines whose writer escaped with ``\\xHH``
(nginx without ``escape=json``, Apache's own escaping of non-ASCII bytes) are not valid JSON:
they are read again with those escapes turned into the bytes they stand for. A ``\\uD800``-style
escape of half a surrogate pair, which orjson refuses, is read as U+FFFD: one character a client
chose must not hide the rest of its request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import orjson

from lwsyslog.errors import FormatError
from lwsyslog.events import AccessEvent, Origin
from lwsyslog.formats.addresses import client_text, last_hop
from lwsyslog.formats.fields import split_request_line
from lwsyslog.formats.times import json_time
from lwsyslog.normalize import MAX_DECODED_CHARS

__all__ = ["CLIENT_LIST_KEY", "DEFAULT_JSON_KEYS", "JSON_FIELDS", "XFF_KEY", "JsonAccessReader"]

XFF_KEY = "header:x-forwarded-for"
"""The ``extra`` key X-Forwarded-For is kept under (the same as a LogFormat's
``%{X-Forwarded-For}i``), where :mod:`lwsyslog.formats.xff` looks for it."""

CLIENT_LIST_KEY = "client_raw"
"""The ``extra`` key a client value that is not one address is kept under (a comma list, whose
last entry is then the client; anything else, which names no client)."""

DEFAULT_JSON_KEYS: Mapping[str, tuple[str, ...]] = {
    "client_ip": (
        "remote_addr",
        "remoteip",
        "clientip",
        "client_ip",
        "client",
        "c-ip",
        "remote_ip",
        "ip",
    ),
    "time": ("time_iso8601", "time_local", "time", "timestamp", "@timestamp", "msec", "date"),
    "request_line": ("request", "request_line"),
    "method": ("request_method", "method", "verb", "cs-method"),
    "target": ("request_uri", "target", "cs-uri"),
    "path": ("uri", "path", "url", "url_path", "cs-uri-stem"),
    "query": ("args", "query_string", "query", "querystring", "cs-uri-query"),
    "protocol": ("server_protocol", "protocol", "http_version", "cs-version"),
    "status": ("status", "status_code", "response_status", "sc-status"),
    "bytes_sent": ("body_bytes_sent", "bytes_sent", "bytes", "size", "response_bytes", "sc-bytes"),
    "referer": ("http_referer", "http_referrer", "referer", "referrer", "cs(referer)"),
    "user_agent": ("http_user_agent", "user_agent", "useragent", "agent", "cs(user-agent)"),
    "user": ("remote_user", "user", "username", "cs-username"),
    "vhost": ("host", "http_host", "server_name", "vhost", "cs-host"),
    "cookie": ("http_cookie", "cookie", "cs(cookie)"),
    "xff": ("http_x_forwarded_for", "x-forwarded-for", "x_forwarded_for", "xff"),
    "duration_s": ("request_time",),
    "duration_ms": ("duration_ms", "time_taken", "time-taken"),
    "duration_us": ("duration_us", "request_time_us"),
}
"""Event field -> the JSON keys read for it, most preferred first (compared without case).

``request_line`` is split into method, target and protocol; a ``request`` value that is only a
path (Apache's ``%U`` in the common JSON LogFormat) is read as the path. ``target`` is the raw
request target (``$request_uri``); without one, ``path`` and ``query`` (a leading ``?`` is
dropped) make it. ``xff`` is X-Forwarded-For, kept in ``extra`` for the trusted-proxy rule.
``duration_s``/``_ms``/``_us`` give ``duration_us`` from seconds (nginx ``$request_time``),
milliseconds or microseconds. Keys no field reads are kept in ``extra`` (strings and numbers
only, at most :data:`MAX_EXTRA_KEYS`)."""

JSON_FIELDS: frozenset[str] = frozenset(DEFAULT_JSON_KEYS)
"""The field names a key mapping may use."""

MAX_EXTRA_KEYS = 32
_MAX_PLANS = 64
_DURATION_SCALE = {"duration_s": 1_000_000, "duration_ms": 1000, "duration_us": 1}
# A client address or host name: one token, as Apache's %h pattern allows.
# Only a JSON escape can put half a surrogate pair in a string (decoded UTF-8 never holds one).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_HOST = re.compile(r"[0-9A-Za-z:_][0-9A-Za-z_.:%-]{0,254}")


def _u_escaped(text: str) -> str | None:
    """``text`` with Apache's ``\\xHH`` escapes spelled as JSON's ``\\u00HH``, other escapes
    kept; ``None`` when it holds a raw NUL character, which no JSON text does.

    An escaped backslash (``\\\\``) stands aside first, so its second half never starts an
    escape. Three replacements in C, where a ``re`` substitution called Python for each
    escape: a 32 KB line of them cost 7 ordinary lines of that length.
    """
    if "\x00" in text:
        return None
    return text.replace("\\\\", "\x00").replace("\\x", "\\u00").replace("\x00", "\\\\")


def _bytes_back(value: str) -> str:
    """A string whose ``\\u0080``-``\\u00ff`` characters stood for raw bytes (``\\xHH``), as
    the UTF-8 text those bytes spell (a byte that is not UTF-8 stays visible as ``\\xhh``)."""
    if value.isascii() or max(value) > "\xff":
        return value
    return value.encode("latin-1").decode("utf-8", "backslashreplace")


@dataclass(frozen=True, slots=True)
class _Plan:
    """Which key of one key set feeds which field (a log's lines share their key set)."""

    fields: tuple[tuple[str, str], ...]  # (key, field)
    extra: tuple[str, ...]


class JsonAccessReader:
    """Reads JSON-object access lines into :class:`~lwsyslog.events.AccessEvent`.

    ``keys`` maps field names (:data:`JSON_FIELDS`) to key lists that replace the defaults of
    those fields. Raises :class:`~lwsyslog.errors.FormatError` for an unknown field name or an
    empty key list; :meth:`parse` never raises.
    """

    __slots__ = ("_max_keys", "_max_value", "_plans", "_ranks")

    def __init__(
        self,
        keys: Mapping[str, Sequence[str]] | None = None,
        *,
        max_value_chars: int = MAX_DECODED_CHARS,
        max_keys: int = 256,
    ) -> None:
        table = dict(DEFAULT_JSON_KEYS)
        for name, names in (keys or {}).items():
            if name not in JSON_FIELDS:
                known = ", ".join(sorted(JSON_FIELDS))
                raise FormatError(f"JSON key mapping: unknown field {name!r} (known: {known})")
            if isinstance(names, str) or not names or not all(isinstance(k, str) for k in names):
                raise FormatError(f"JSON key mapping: {name!r} needs a non-empty list of keys")
            table[name] = tuple(names)
        # lower-cased key -> (field, rank); a key listed for two fields feeds the first listed.
        self._ranks: dict[str, tuple[str, int]] = {}
        for name, names in table.items():
            for rank, key in enumerate(names):
                self._ranks.setdefault(key.lower(), (name, rank))
        self._plans: dict[tuple[str, ...], _Plan] = {}
        self._max_value = max_value_chars
        self._max_keys = max_keys

    def _plan(self, keys: Iterable[str]) -> _Plan:
        best: dict[str, tuple[int, str]] = {}
        unmapped: list[str] = []
        for key in keys:
            hit = self._ranks.get(key.lower())
            if hit is None:
                if len(unmapped) < MAX_EXTRA_KEYS and len(key) <= 64:
                    unmapped.append(key)
                continue
            name, rank = hit
            if name not in best or rank < best[name][0]:
                best[name] = (rank, key)
        return _Plan(tuple((key, name) for name, (_r, key) in best.items()), tuple(unmapped))

    def _load(self, text: str) -> tuple[dict[str, object], bool] | None:
        try:
            obj = orjson.loads(text)
            escaped = False
        except orjson.JSONDecodeError:
            if _SURROGATE_ESCAPE.search(text) is not None:
                return self._load_surrogates(text)
            if "\\x" not in text:
                return None
            spelled = _u_escaped(text)
            if spelled is None:
                return None
            try:
                obj = orjson.loads(spelled)
            except orjson.JSONDecodeError:
                return None
            escaped = True
        if type(obj) is not dict or len(obj) > self._max_keys:
            return None
        return obj, escaped

    def _load_surrogates(self, text: str) -> tuple[dict[str, object], bool] | None:
        """``text`` read by the standard library's decoder, which takes lone surrogates, with
        each of them then replaced by U+FFFD (a valid pair stays the character it encodes)."""
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError):
            return None
        if type(obj) is not dict or len(obj) > self._max_keys:
            return None
        return {
            _whole(key): _whole(value) if type(value) is str else value
            for key, value in obj.items()
        }, False

    def _text(self, value: object, escaped: bool) -> str:
        if type(value) is str:
            if len(value) > self._max_value:
                value = value[: self._max_value]
            if escaped:
                value = _bytes_back(value)
            return "" if value == "-" else value
        if type(value) is int or type(value) is float:
            return str(value)
        return ""

    def parse(self, text: str, origin: Origin, raw: str) -> AccessEvent | None:
        """The event for one JSON line, or ``None`` when it is not a JSON object. Never raises."""
        if text[:1] != "{" or text[-1:] != "}":
            return None
        loaded = self._load(text)
        if loaded is None:
            return None
        obj, escaped = loaded
        shape = tuple(obj)
        plan = self._plans.get(shape)
        if plan is None:
            if len(self._plans) >= _MAX_PLANS:
                self._plans.clear()
            plan = self._plans[shape] = self._plan(shape)
        return self._event(obj, plan, escaped, origin, raw)

    def _event(
        self, obj: dict[str, object], plan: _Plan, escaped: bool, origin: Origin, raw: str
    ) -> AccessEvent:
        values: dict[str, object] = {name: obj[key] for key, name in plan.fields}
        get = values.get

        def text(name: str) -> str:
            return self._text(get(name), escaped) if name in values else ""

        request_line, method, target, protocol = (
            text("request_line"),
            text("method"),
            text("target"),
            text("protocol"),
        )
        path, query = text("path"), text("query")
        if request_line[:1] in ("/", "*"):
            # A request line starts with its method: this is a path (Apache's common JSON
            # LogFormat logs %U, the decoded path, under "request").
            path, request_line = path or request_line, ""
        if request_line:
            split_method, split_target, split_protocol = split_request_line(request_line)
            method = method or split_method
            target = split_target or target
            protocol = protocol or split_protocol
        if not target and path:
            query = query[1:] if query.startswith("?") else query
            target = f"{path}?{query}" if query else path
        if not request_line and (method or target):
            request_line = " ".join(p for p in (method, target, protocol) if p)
        client = text("client_ip")
        extra: dict[str, str] = {}
        if client:
            client = client_text(client)
            if _HOST.fullmatch(client) is None:
                if "," in client:
                    # A list (nginx's $proxy_add_x_forwarded_for under the client key): its
                    # last entry is the peer nginx saw, the entries to its left are claims.
                    # Kept whole, as X-Forwarded-For is: the trusted-proxy walk reads its end.
                    extra[CLIENT_LIST_KEY] = client
                    client = last_hop(client)
                else:
                    extra[CLIENT_LIST_KEY] = client[:256]
                    client = ""
        xff = text("xff")
        if xff:
            extra[XFF_KEY] = xff
            if not client and CLIENT_LIST_KEY not in extra:
                # No peer logged: the nearest proxy appended the right-most entry.
                client = last_hop(xff)
        for key in plan.extra:
            value = self._text(obj[key], escaped)
            if value:
                extra[key] = value
        return AccessEvent(
            origin,
            raw,
            client,
            json_time(get("time")) if "time" in values else None,
            method,
            target,
            protocol,
            request_line,
            _number(get("status"), 3),
            _number(get("bytes_sent"), 20),
            text("referer"),
            text("user_agent"),
            text("user"),
            text("vhost"),
            text("cookie"),
            _duration(values),
            extra,
        )


def _whole(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD."""
    if _SURROGATE.search(text) is not None:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _number(value: object, digits: int) -> int | None:
    """A non-negative integer of at most ``digits`` digits (given as a number or a string)."""
    if type(value) is int:
        return value if 0 <= value < 10**digits else None
    if type(value) is str and 0 < len(value) <= digits and value.isdigit() and value.isascii():
        return int(value)
    return None


def _duration(values: Mapping[str, object]) -> int | None:
    """``duration_us`` from the first duration field present (seconds, ms or us)."""
    for name, scale in _DURATION_SCALE.items():
        value = values.get(name)
        if type(value) is int or type(value) is float:
            number = float(value)
        elif type(value) is str and 0 < len(value) <= 32:
            try:
                number = float(value)
            except ValueError:
                continue
        else:
            continue
        if 0 <= number < 1e12:
            return int(number * scale)
    return None
