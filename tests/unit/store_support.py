"""Real alerts and real stores for the store, CLI and report tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from lwsyslog.alerts import Alert
from lwsyslog.events import Origin
from lwsyslog.severity import Severity
from lwsyslog.store import AlertStore, StoreSink
from lwsyslog.store.rows import alert_row

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
    store = AlertStore(path, **bounds)  # type: ignore[arg-type]
    sink = StoreSink(store)
    for alert in alerts:
        sink.write(alert)
    sink.close()
    return store


@contextlib.contextmanager
def mounted_tmpfs(where: Path, options: str = "size=300k") -> Iterator[Path]:
    """A tmpfs mounted at ``where`` (made when absent) for the block, unmounted after; skips
    the test where this process may not mount (CI runs the suite as root)."""
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if mount is None or umount is None:
        pytest.skip("no mount/umount command here")
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [mount, "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run([umount, "-l", str(where)], capture_output=True, check=False)


def fill_until_refused(store: AlertStore, batch: int = 50) -> NoReturn:
    """Insert batches of alerts until the store refuses one, raising its StoreError."""
    taken = 0
    for _ in range(10_000):
        rows = [
            alert_row(make_alert(at=BASE_TIME + taken + i, line=taken + i), BASE_TIME)
            for i in range(batch)
        ]
        taken += store.insert(rows)
    raise AssertionError(f"the store never filled up ({taken} alerts)")


@contextlib.contextmanager
def local_zone(name: str) -> Iterator[None]:
    """Make ``name`` (``Europe/Berlin``) this process's local time zone for the block."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()
