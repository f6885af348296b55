"""Real alerts and real stores for the store, CLI and report tests."""

from __future__ import annotations

from pathlib import Path

from lwsyslog.alerts import Alert
from lwsyslog.events import Origin
from lwsyslog.severity import Severity
from lwsyslog.store import AlertStore, StoreSink

BASE_TIME = 1_795_449_600.0  # 2026-11-23T16:00:00Z


def make_alert(
    *,
    at: float = BASE_TIME,
    rule: str = "sqli-union-select",
    client: str = "203.0.113.9",
    categories: tuple[str, ...] = ("sqli",),
    severity: Severity = Severity.HIGH,
    host: str = "web1",
    sample: str = "GET /item?id=1%27%20UNION%20SELECT HTTP/1.1",
    message: str = "UNION SELECT from 203.0.113.9",
    count: int = 1,
    rules: tuple[str, ...] = (),
    cves: tuple[str, ...] = (),
    line: int = 1,
) -> Alert:
    """One alert; ``rules``/``cves`` make it carry the fields the lead is adding."""
    origin = Origin(f"{host}/apache-access", line, host=host, tag="apache-access")
    fields = {
        "rule": rule,
        "key": client,
        "client_ip": client,
        "categories": categories,
        "severity": severity,
        "count": count,
        "window_secs": 60.0 if count > 1 else 0.0,
        "first": origin,
        "last": origin,
        "first_time": at - 5,
        "last_time": at,
        "message": message,
        "sample": sample,
        "log": "access",
    }
    return Alert(**fields, rules=rules, cves=cves)  # type: ignore[arg-type]


def fill(path: Path, alerts: list[Alert], **bounds: float | int | None) -> AlertStore:
    """Store ``alerts`` through a StoreSink and close it; returns the (closed) store."""
    sink = StoreSink(AlertStore(path, **bounds))  # type: ignore[arg-type]
    for alert in alerts:
        sink.write(alert)
    sink.close()
    return sink.store
