"""The query planner: whatever index drives a query, and with or without ``alerts_keys`` (stores
made before it), the answer is exactly what a plain filter over every alert gives; and the
driver is the filter with the fewest alerts, so a query's work stays bounded."""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from lwsyslog.severity import Severity
from lwsyslog.store import AlertFilter, AlertQuery, StoredAlert, open_reader
from lwsyslog.store import plan as planner
from lwsyslog.store.query import client_range
from lwsyslog.store.rows import client_key
from tests.unit.store_support import BASE_TIME, fill, make_alert

CLIENTS = [f"198.51.100.{n}" for n in range(40)] + [
    "203.0.113.9", "2001:db8::1", "2001:db8:0:1::5", "::ffff:192.0.2.7", "crawler.example", "",
]  # fmt: skip
RULES = ["sqli-union-select", "xss-script-tag", "scan-404-burst", "auth-brute-force", "rare-one"]
CATEGORIES = [("sqli",), ("xss", "sqli"), ("scanner",), (), ("brute-force", "auth-failure")]
HOSTS = ["web1", "web2", "shop.example", ""]
NETWORKS = ["198.51.100.0/28", "198.51.100.0/24", "0.0.0.0/0", "::/0", "2001:db8::/32",
            "192.0.2.0/24", "10.0.0.0/8"]  # fmt: skip
SPAN = 4 * 86400.0


def _alerts(seed: int, count: int) -> list[object]:
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(CLIENTS))]
    out = []
    for n in range(count):
        rule = rng.choices(RULES, [30, 10, 10, 5, 1])[0]
        extra = (rng.choice(RULES),) if rng.random() < 0.2 else ()
        out.append(
            make_alert(
                at=BASE_TIME + rng.random() * SPAN,
                line=n,
                client=rng.choices(CLIENTS, weights)[0],
                rule=rule,
                rules=(rule, *extra) if extra else (),
                categories=rng.choice(CATEGORIES),
                host=rng.choices(HOSTS, [10, 4, 1, 1])[0],
                severity=rng.choices(list(Severity), [40, 30, 20, 3])[0],
            )
        )
    return out


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same 3,000 alerts in a store with ``alerts_keys`` and one without it."""
    directory = tmp_path_factory.mktemp("plan")
    path = directory / "alerts.db"
    fill(path, _alerts(5, 3000))  # type: ignore[arg-type]
    old = directory / "old.db"
    shutil.copy(path, old)
    conn = sqlite3.connect(old)
    conn.execute("DROP INDEX alerts_keys")
    conn.close()
    return path, old


def _everything(path: Path) -> list[StoredAlert]:
    conn = open_reader(path)
    try:
        return list(AlertQuery(conn, AlertFilter(limit=None)).alerts(newest_first=False))
    finally:
        conn.close()


def _matches(alert: StoredAlert, flt: AlertFilter) -> bool:
    if flt.since is not None and alert.time < flt.since:
        return False
    if flt.until is not None and alert.time >= flt.until:
        return False
    if flt.client is not None:
        key = client_key(alert.client_ip)
        low, high = client_range(flt.client)
        if key is None or not low <= key <= high:
            return False
    if flt.rule is not None and flt.rule not in alert.rules:
        return False
    if flt.category is not None and flt.category not in alert.categories:
        return False
    if flt.host is not None and alert.host != flt.host:
        return False
    return flt.min_severity is None or alert.severity.rank >= flt.min_severity.rank


def _filters(seed: int, count: int) -> Iterator[AlertFilter]:
    rng = random.Random(seed)
    for _ in range(count):
        since = BASE_TIME + rng.random() * SPAN if rng.random() < 0.4 else None
        until = BASE_TIME + rng.random() * SPAN if rng.random() < 0.3 else None
        client = None
        if rng.random() < 0.4:
            client = rng.choice(NETWORKS) if rng.random() < 0.5 else rng.choice(CLIENTS[:-1])
        yield AlertFilter(
            since=since,
            until=until,
            client=client,
            rule=rng.choice([*RULES, "never-raised"]) if rng.random() < 0.35 else None,
            category=rng.choice(["sqli", "xss", "auth-failure", "dos"])
            if rng.random() < 0.35
            else None,
            host=rng.choice(HOSTS) if rng.random() < 0.3 else None,
            min_severity=rng.choice(list(Severity)) if rng.random() < 0.4 else None,
            limit=rng.choice([None, 1, 7, 100]),
        )


@pytest.mark.parametrize("old_store", [False, True], ids=["with-keys", "without-keys"])
@pytest.mark.parametrize("sort_max", [planner.SORT_MAX, 40], ids=["cidr-sorted", "cidr-checked"])
def test_every_combination_of_filters_answers_as_a_plain_filter(
    stores: tuple[Path, Path], old_store: bool, sort_max: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planner, "SORT_MAX", sort_max)
    path = stores[1] if old_store else stores[0]
    everything = _everything(stores[0])
    assert len(everything) == 3000
    drivers = set()
    conn = open_reader(path)
    try:
        for flt in _filters(11, 250):
            expected = [a.id for a in everything if _matches(a, flt)]
            query = AlertQuery(conn, flt)
            drivers.add(query.plan.driver)
            newest = [a.id for a in query.alerts(limit=flt.limit)]
            wanted = expected[::-1][: flt.limit] if flt.limit else expected[::-1]
            assert newest == wanted, (flt, query.plan.driver)
            oldest = [a.id for a in query.alerts(newest_first=False)]
            assert oldest == expected, (flt, query.plan.driver)
            assert query.count(10_000) == len(expected)
            assert query.count(5) == min(5, len(expected))
    finally:
        conn.close()
    expected_drivers = {"time", "client", "rule", "category", "host", "severity"}
    assert expected_drivers | ({"cidr"} if sort_max > 40 else set()) <= drivers


def test_the_driver_is_the_filter_with_the_fewest_alerts(stores: tuple[Path, Path]) -> None:
    conn = open_reader(stores[0])
    try:
        everything = _everything(stores[0])
        rare_client = min(
            (c for c in CLIENTS if c and "/" not in c),
            key=lambda c: sum(a.client_ip == c for a in everything) or 10**9,
        )

        def driver(**fields: object) -> str:
            return AlertQuery(conn, AlertFilter(**fields)).plan.driver  # type: ignore[arg-type]

        # The busiest rule with a client of few alerts: walk the client's alerts.
        assert driver(rule="sqli-union-select", client=rare_client) == "client"
        # A rule raised a handful of times with the busiest client: walk the rule's.
        assert driver(rule="rare-one", client=CLIENTS[0]) == "rule"
        assert driver(category="sqli", host="shop.example") == "host"
        assert driver(min_severity=Severity.CRITICAL, host="web1") == "severity"
        assert driver(since=BASE_TIME) == "time"
        assert driver(client="198.51.100.0/28") == "cidr"
    finally:
        conn.close()


def test_a_writer_adds_the_keys_index_to_an_older_store(
    stores: tuple[Path, Path], tmp_path: Path
) -> None:
    older = tmp_path / "old.db"
    shutil.copy(stores[1], older)
    from lwsyslog.store import AlertStore

    AlertStore(older).close()
    conn = sqlite3.connect(older)
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert "alerts_keys" in names
