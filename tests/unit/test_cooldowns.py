"""The alerts' cooldown table: bounded like a threshold rule, and kind to clients that persist.

It held ``max_keys`` (100,000) entries of ~185 bytes whatever ``memory_budget_bytes`` said:
with a 1 MiB budget it still grew to ~18 MB under a flood of new clients.
"""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

from lwsyslog.config import load_config
from lwsyslog.cooldowns import Cooldowns
from lwsyslog.events import Origin
from lwsyslog.pipeline import Pipeline

_SQLI = (
    '{client} - - [23/Nov/2026:14:{minute:02d}:{second:02d} +0000] "GET /item?id=1%27%20UNION'
    '%20SELECT%20password%20FROM%20users-- HTTP/1.1" 500 10 "-" "Mozilla/5.0"'
)


def _sqli(client: str, n: int) -> str:
    return _SQLI.format(client=client, minute=n // 60 % 60, second=n % 60)


def _cooldown_bytes(engine: Pipeline, clients: int) -> int:
    """Bytes the cooldown table's code holds after ``clients`` new clients each attack once."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for n in range(clients):
            engine.process(_sqli(f"10.9.{n // 256}.{n % 256}", n // 10), Origin("a", n))
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    places = [
        tracemalloc.Filter(True, f"*/lwsyslog/{name}")
        for name in ("alerts.py", "bounded.py", "cooldowns.py")
    ]
    stats = after.filter_traces(places).compare_to(before.filter_traces(places), "filename")
    return sum(stat.size_diff for stat in stats)


def test_the_cooldown_table_is_bounded_by_the_memory_budget(tmp_path: Path) -> None:
    config = tmp_path / "lwsyslog.toml"
    config.write_text("[alerts]\nmemory_budget_bytes = 1048576\n")
    engine = Pipeline(load_config([config]))
    capacity = engine.thresholds.capacity
    assert capacity < 1000
    held = _cooldown_bytes(engine, 5000)
    assert held < capacity * 400  # was ~5000 entries of ~185 bytes
    assert engine.alert_maker.evictions > 0


def test_a_client_that_keeps_attacking_keeps_its_cooldown_through_a_flood() -> None:
    # Integer keys: their hash() is the same in every run, so are the filter's false hits
    # (string hashes change per process, and 1 run in 4 saw one that cost a repeated alert).
    grave = 10**9
    table: Cooldowns[int] = Cooldowns(10)
    alerts = 0
    for n in range(1000):
        if n % 30 == 0:  # the grave client: one more attack every 30 new clients
            alerts += not table.quiet(grave, n, 10_000)
        table.quiet(n, n, 10_000)
    assert len(table) <= 10
    # Its first cooldown went to the flood before its second line (one repeated alert); its
    # second is kept to the end (it was 34 alerts, one a line, with the table a plain LRU).
    assert alerts == 2


def test_a_client_heard_again_is_kept_before_clients_heard_once() -> None:
    table: Cooldowns[str] = Cooldowns(3)
    assert not table.quiet("grave", 0, 600)
    assert table.quiet("grave", 1, 600)
    for n in range(10):
        assert not table.quiet(f"once-{n}", 2 + n, 600)
    assert table.quiet("grave", 20, 600)


def test_ended_cooldowns_make_room_before_running_ones() -> None:
    table: Cooldowns[str] = Cooldowns(4)
    assert not table.quiet("grave", 0, 600)
    assert table.quiet("grave", 1, 600)  # heard again: kept before the ones heard once
    for name in ("a", "b", "c"):
        assert not table.quiet(name, 650, 600)
    assert not table.quiet("d", 700, 600)  # full: the grave client's cooldown has ended
    assert table.evictions == 0
    assert all(table.quiet(name, 710, 600) for name in ("a", "b", "c", "d"))


def test_a_cooldown_ends_and_starts_again() -> None:
    table: Cooldowns[str] = Cooldowns(4)
    assert not table.quiet("x", 0, 60)
    assert table.quiet("x", 59, 60)
    assert not table.quiet("x", 60, 60)
    assert table.quiet("x", 119, 60)
    assert not table.quiet("x", 120, 60)
