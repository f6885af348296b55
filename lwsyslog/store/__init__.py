"""The alert store: every alert in SQLite, to query (``lwsyslog alerts``) and summarise
(``lwsyslog report``), written live by the omprog program and offline by ``scan --store``."""

from __future__ import annotations

from lwsyslog.store.query import AlertFilter, AlertQuery, select_alerts
from lwsyslog.store.rows import StoredAlert
from lwsyslog.store.schema import DEFAULT_STORE_PATH, open_reader, open_writer
from lwsyslog.store.sink import StoreSink
from lwsyslog.store.timespec import TimeSpec, parse_timespec, resolve_period
from lwsyslog.store.writer import AlertStore, StoreCounters

__all__ = [
    "DEFAULT_STORE_PATH",
    "AlertFilter",
    "AlertQuery",
    "AlertStore",
    "StoreCounters",
    "StoreSink",
    "StoredAlert",
    "TimeSpec",
    "open_reader",
    "open_writer",
    "parse_timespec",
    "resolve_period",
    "select_alerts",
]
