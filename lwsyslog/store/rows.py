"""An alert as a store row (sanitized, bounded) and a stored row as a record for output."""

from __future__ import annotations

import functools
import ipaddress
import json
import operator
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from lwsyslog.alerts import Alert, message_id
from lwsyslog.sanitize import sanitize, truncate
from lwsyslog.severity import Severity

__all__ = [
    "INSERT_COLUMNS",
    "READ_COLUMNS",
    "StoreRow",
    "StoredAlert",
    "alert_row",
    "canonical_client",
    "client_key",
    "client_text",
    "iso_utc",
    "names_of",
    "safe_text",
]

# Bounds in characters: a stored alert stays under ~5 KB whatever the log line held.
_MAX_ID = 200
_MAX_NAMES = 32
_MAX_CATEGORY = 64
_MAX_CVE = 32
_MAX_CLIENT = 64
_MAX_KEY = 300
_MAX_HOST = 255
_MAX_LOG = 16
_MAX_MESSAGE = 1000
_MAX_SAMPLE = 2000
_MAX_SOURCE = 500

_V4_MAPPED = bytes(10) + b"\xff\xff"
# Clients that are not addresses (a logged host name) sort after every address, so no CIDR
# range (at most 16 bytes of 0xff) ever contains one.
_NOT_AN_ADDRESS = b"\xff" * 16


class StoreRow(NamedTuple):
    """The values inserted for one alert, in :data:`INSERT_COLUMNS` order."""

    time: float
    event_time: float
    first_time: float | None
    stored_at: float
    rule: str
    rules: str
    category: str
    categories: str
    cves: str
    severity: str
    severity_rank: int
    client_ip: str
    client_bin: bytes | None
    key: str
    host: str
    log: str
    count_: int  # column 'count' (a NamedTuple field may not shadow tuple.count)
    window_secs: float
    message: str
    sample: str
    source: str
    last_source: str
    message_id: str
    fingerprint: str


INSERT_COLUMNS = tuple(name.rstrip("_") for name in StoreRow._fields)


def canonical_client(client: str) -> str:
    """An address in its canonical text (IPv4-mapped IPv6 as IPv4); anything else as is."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def client_text(key: bytes) -> str:
    """The client a :func:`client_key` was made from (canonical text for addresses)."""
    if len(key) > 16 and key.startswith(_NOT_AN_ADDRESS):
        return key[16:].decode("utf-8", "replace")
    if key.startswith(_V4_MAPPED) and len(key) == 16:
        return str(ipaddress.IPv4Address(key[12:]))
    return str(ipaddress.IPv6Address(key))


def client_key(client: str) -> bytes | None:
    """The sortable key of a client: 16 address bytes (IPv4 mapped into IPv6), or the text
    after 16 bytes of 0xff when it is not an address; None when there is no client."""
    if not client:
        return None
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return _NOT_AN_ADDRESS + client.encode("utf-8", "surrogatepass")
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.version == 4:
        return _V4_MAPPED + address.packed
    return address.packed


def alert_row(alert: Alert, stored_at: float) -> StoreRow:
    """``alert`` as a row: every text sanitized and bounded, lists as JSON arrays."""
    rules, _ = _names_json(tuple(getattr(alert, "rules", None) or (alert.rule,)), _MAX_ID)
    cves, _ = _names_json(tuple(getattr(alert, "cves", None) or ()), _MAX_CVE)
    categories, category = _names_json(alert.categories, _MAX_CATEGORY)
    client, key = _client(alert.client_ip)
    last_time = alert.last_time
    when = last_time if last_time is not None else alert.first_time
    severity = alert.severity
    return StoreRow(
        time=when if when is not None else stored_at,
        event_time=last_time if last_time is not None else 0.0,
        first_time=alert.first_time,
        stored_at=stored_at,
        rule=sanitize(alert.rule, _MAX_ID),
        rules=rules,
        category=category,
        categories=categories,
        cves=cves,
        severity=severity.value,
        severity_rank=severity.rank,
        client_ip=client,
        client_bin=key,
        key=sanitize(alert.key, _MAX_KEY),
        host=sanitize(alert.host, _MAX_HOST),
        log=sanitize(alert.log, _MAX_LOG),
        count_=int(alert.count),
        window_secs=float(alert.window_secs),
        message=sanitize(alert.message, _MAX_MESSAGE),
        sample=sanitize(alert.sample, _MAX_SAMPLE),
        source=sanitize(alert.first.describe(), _MAX_SOURCE),
        last_source=sanitize(alert.last.describe(), _MAX_SOURCE),
        message_id=_message_id(alert.rule),
        fingerprint=alert.fingerprint,
    )


# Bounded caches for what repeats from alert to alert (a storm has few clients, rules and
# category lists): they take alert_row from ~26 us to ~10 us.
@functools.lru_cache(maxsize=16384)
def _client(client_ip: str) -> tuple[str, bytes | None]:
    client = canonical_client(sanitize(client_ip, _MAX_CLIENT))
    return client, client_key(client)


@functools.lru_cache(maxsize=4096)
def _names_json(values: tuple[str, ...], max_chars: int) -> tuple[str, str]:
    """(JSON array of the names, the first name or '')."""
    names = _names(values, max_chars)
    return json.dumps(names, ensure_ascii=False), names[0] if names else ""


@functools.lru_cache(maxsize=4096)
def _message_id(rule: str) -> str:
    return message_id(rule)


@functools.lru_cache(maxsize=4096)
def names_of(array: str) -> tuple[str, ...]:
    """The names in a JSON array this module wrote (cached: a store has few distinct ones)."""
    return tuple(json.loads(array))


def _names(values: Iterable[str], max_chars: int) -> list[str]:
    """Distinct names in order, each sanitized and bounded, at most ``_MAX_NAMES``."""
    out: list[str] = []
    for value in values:
        name = sanitize(str(value), max_chars)
        if name and name not in out:
            out.append(name)
            if len(out) == _MAX_NAMES:
                break
    return out


_ISO = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z"


def iso_utc(when: float | None) -> str | None:
    """``2026-11-23T16:01:29Z`` (fractions dropped); None for None, and for a time the C
    library cannot take apart (NaN, or billions of years away: only a foreign store has one)."""
    if when is None:
        return None
    # time.gmtime and str.format: a third of datetime.strftime's cost, on every listed alert.
    try:
        return _ISO.format(*time.gmtime(when)[:6])
    except (OverflowError, ValueError, OSError):
        return None


# What StoredAlert.from_row reads, in the order of its fields.
READ_COLUMNS = (
    "id",
    "time",
    "first_time",
    "rule",
    "rules",
    "categories",
    "cves",
    "severity",
    "client_ip",
    "key",
    "host",
    "log",
    "count",
    "window_secs",
    "message",
    "sample",
    "source",
    "last_source",
    "message_id",
    "fingerprint",
)


# The limits of StoredAlert's texts, in the order from_row checks them.
_TEXT_LIMITS = (_MAX_ID, _MAX_CLIENT, _MAX_KEY, _MAX_HOST, _MAX_LOG, _MAX_MESSAGE, _MAX_SAMPLE,
                _MAX_SOURCE, _MAX_SOURCE, 64, 64)  # fmt: skip


def _texts_safe(texts: tuple[Any, ...]) -> bool:
    """True when every text is a str within its limit and printable: what lwsyslog stored
    always is, so one check of them all (a few C loops) replaces eleven of safe_text."""
    return (
        all(type(t) is str for t in texts)
        and all(map(operator.le, map(len, texts), _TEXT_LIMITS))
        and "".join(texts).isprintable()
    )


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """One alert read back from the store (already sanitized when it was stored)."""

    id: int
    time: float
    first_time: float | None
    rule: str
    rules: tuple[str, ...]
    categories: tuple[str, ...]
    cves: tuple[str, ...]
    severity: Severity
    client_ip: str
    key: str
    host: str
    log: str
    count: int
    window_secs: float
    message: str
    sample: str
    source: str
    last_source: str
    message_id: str
    fingerprint: str

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> StoredAlert:
        """Build from a row selected with :data:`READ_COLUMNS`. Texts pass :func:`safe_text`
        again: a store file handed to ``--db`` may not have been written by lwsyslog.
        ValueError for an unknown severity."""
        (
            alert_id,
            when,
            first_time,
            rule,
            rules,
            categories,
            cves,
            severity,
            client_ip,
            key,
            host,
            log,
            count,
            window_secs,
            message,
            sample,
            source,
            last_source,
            message_id,
            fingerprint,
        ) = row
        texts: tuple[Any, ...] = (rule, client_ip, key, host, log, message, sample, source,
                                  last_source, message_id, fingerprint)  # fmt: skip
        if not _texts_safe(texts):
            texts = tuple(map(safe_text, texts, _TEXT_LIMITS))
        return cls(
            int(alert_id),
            float(when),
            None if first_time is None else float(first_time),
            texts[0],
            _read_names(rules, _MAX_ID),
            _read_names(categories, _MAX_CATEGORY),
            _read_names(cves, _MAX_CVE),
            Severity(severity),
            texts[1],
            texts[2],
            texts[3],
            texts[4],
            int(count),
            float(window_secs),
            texts[5],
            texts[6],
            texts[7],
            texts[8],
            texts[9],
            texts[10],
        )

    def record(self) -> dict[str, Any]:
        """The ``lwsyslog alerts --json`` object (stable keys; add, never rename)."""
        return {
            "kind": "alert",
            "time": iso_utc(self.time),
            "epoch": self.time,
            "first_time": iso_utc(self.first_time),
            "rule": self.rule,
            "rules": list(self.rules),
            "categories": list(self.categories),
            "cves": list(self.cves),
            "severity": self.severity.value,
            "client_ip": self.client_ip,
            "key": self.key,
            "host": self.host,
            "log": self.log,
            "count": self.count,
            "window_secs": self.window_secs,
            "message": self.message,
            "sample": self.sample,
            "source": self.source,
            "last_source": self.last_source,
            "message_id": self.message_id,
            "fingerprint": self.fingerprint,
        }


def safe_text(value: object, max_chars: int) -> str:
    """A stored text made safe to show again, bounded. What lwsyslog stored is already
    sanitized (printable, backslashes doubled) and is kept as is: sanitizing it twice would
    double its backslashes. Anything else (a foreign file) is sanitized."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > max_chars:
        text = truncate(text, max_chars)
    return text if text.isprintable() else sanitize(text)


@functools.lru_cache(maxsize=4096)
def _read_names(value: object, max_chars: int) -> tuple[str, ...]:
    # Cached: a store holds few distinct rule and category lists, repeated on every row.
    try:
        names = json.loads(str(value))
    except ValueError:
        return ()
    if not isinstance(names, list):
        return ()
    out: list[str] = []
    for name in names[:_MAX_NAMES]:
        shown = safe_text(name, max_chars)
        if shown and shown not in out:
            out.append(shown)
    return tuple(out)
