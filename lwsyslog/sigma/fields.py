"""Which Sigma fields name which parsed Apache fields, and which logsources are Apache logs.

SigmaHQ's ``webserver`` rules use W3C extended-log names (``cs-uri-query``, ``c-ip``...).
Each name maps to a getter on the parsed event; a rule naming any other field is reported as
unsupported rather than silently never matching. Names are compared case-insensitively
(SigmaHQ spells ``cs-user-agent`` and ``cs-User-Agent``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from lwsyslog.events import AccessEvent, ErrorEvent

__all__ = [
    "ACCESS_FIELDS",
    "ERROR_FIELDS",
    "KEYWORD_FIELDS",
    "KNOWN_FIELDS",
    "SCANNED_SIGMA_FIELDS",
    "FieldValue",
    "getter",
    "logs_for",
]

FieldValue = str | int | None
"""A field's value: text, a number, or ``None`` when the event has no such field."""

#: Sigma fields whose text the detect stage scans, and the event field each one is.
SCANNED_SIGMA_FIELDS: Mapping[str, str] = {
    "cs-uri-query": "target",
    "cs-uri": "target",
    "cs-uri-stem": "path",
    "cs-user-agent": "user_agent",
    "c-useragent": "user_agent",
    "cs-referer": "referer",
    "cs-referrer": "referer",
    "cs-cookie": "cookie",
    "message": "message",
}

AccessGetter = Callable[[AccessEvent], FieldValue]
ErrorGetter = Callable[[ErrorEvent], FieldValue]


def _host(event: AccessEvent) -> FieldValue:
    return event.extra.get("header:host") or event.vhost


def _bytes_received(event: AccessEvent) -> FieldValue:
    text = event.extra.get("bytes_received", "")
    return int(text) if text.isdigit() else None


ACCESS_FIELDS: Mapping[str, AccessGetter] = {
    # SigmaHQ's webserver rules put the whole request target (path and query) in cs-uri-query.
    "cs-uri-query": lambda e: e.target,
    "cs-uri": lambda e: e.target,
    "cs-uri-stem": lambda e: e.path,
    "c-ip": lambda e: e.client_ip,
    "cs-method": lambda e: e.method,
    "sc-status": lambda e: e.status,
    "cs-user-agent": lambda e: e.user_agent,
    "c-useragent": lambda e: e.user_agent,
    "cs-referer": lambda e: e.referer,
    "cs-referrer": lambda e: e.referer,
    "cs-cookie": lambda e: e.cookie,
    "cs-host": _host,
    "r-dns": _host,
    "cs-vhost": lambda e: e.vhost,
    "cs-version": lambda e: e.protocol,
    "cs-username": lambda e: e.user,
    "cs-bytes": _bytes_received,
    "sc-bytes": lambda e: e.bytes_sent,
}
"""Sigma field name (lower case) -> value on an access event."""

ERROR_FIELDS: Mapping[str, ErrorGetter] = {
    "c-ip": lambda e: e.client_ip,
    "cs-referer": lambda e: e.referer,
    "cs-referrer": lambda e: e.referer,
}
"""Sigma field name (lower case) -> value on an error event (keywords search ``message``)."""

KNOWN_FIELDS: frozenset[str] = frozenset(ACCESS_FIELDS) | frozenset(ERROR_FIELDS)

# Keyword (fieldless) detections search these, never the raw line: a value planted in one
# field (a fake "[client ...]" in a URL) must not pose as another.
KEYWORD_FIELDS: Mapping[str, tuple[tuple[str, Callable[[AccessEvent | ErrorEvent], str]], ...]] = {
    "access": (
        ("cs-uri-query", lambda e: e.target if isinstance(e, AccessEvent) else ""),
        ("cs-user-agent", lambda e: e.user_agent if isinstance(e, AccessEvent) else ""),
        ("cs-referer", lambda e: e.referer),
    ),
    "error": (("message", lambda e: e.message if isinstance(e, ErrorEvent) else ""),),
}


def _absent(event: AccessEvent | ErrorEvent) -> FieldValue:
    return None


def getter(name: str, log: str) -> Callable[[AccessEvent | ErrorEvent], FieldValue]:
    """The value getter of Sigma field ``name`` on events of ``log`` (absent: always ``None``).

    Raises ``KeyError`` for a field lwsyslog does not know at all.
    """
    key = name.lower()
    if key not in KNOWN_FIELDS:
        raise KeyError(name)
    table: Mapping[str, Callable[..., FieldValue]] = (
        ACCESS_FIELDS if log == "access" else ERROR_FIELDS
    )
    return table.get(key, _absent)


_ACCESS = frozenset({"access"})
_ERROR = frozenset({"error"})
_BOTH = _ACCESS | _ERROR


def logs_for(category: str, product: str, service: str) -> frozenset[str] | None:
    """The Apache logs (``access``/``error``) a Sigma logsource describes, or ``None``.

    ``category: webserver`` is an access log (of Apache or any product-less web server);
    ``product: apache`` (or SigmaHQ's older ``service: apache``) is the access log with
    ``service: access``, the error log with ``service: error``, and both without a service.
    """
    category, product, service = category.lower(), product.lower(), service.lower()
    if category == "webserver":
        if product in ("", "apache") and service in ("", "apache", "access"):
            return _ACCESS
        return None
    if category:
        return None
    if product == "apache" or (not product and service == "apache"):
        if service == "access":
            return _ACCESS
        if service == "error":
            return _ERROR
        if service in ("", "apache"):
            return _BOTH
    return None
