"""The bounded first-in-first-out tables evict what they evicted before, in O(1).

Each table used to evict with ``del d[next(iter(d))]`` on a plain dict, which walks every slot
freed since the dict last resized: O(table size) per insert (38 us at 50,000 keys; measured by
bench/bench_fifo_eviction.py). They now share :func:`lwsyslog.bounded.drop_oldest` on an
``OrderedDict``; which key goes is unchanged per table: the oldest inserted, or the least
recently refreshed where a table refreshed.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from lwsyslog.bounded import FifoMap, drop_oldest
from lwsyslog.config import load_config
from lwsyslog.crawlers import catalog as catalog_module
from lwsyslog.crawlers.cache import ResolutionCache
from lwsyslog.crawlers.catalog import Catalog
from lwsyslog.crawlers.verdict import Lookup, Outcome
from lwsyslog.hosts import HostTracker
from lwsyslog.notify import grouping
from lwsyslog.notify.grouping import ChannelGroups
from lwsyslog.notify.outbox import PendingMeta
from lwsyslog.notify.settings import Policy
from lwsyslog.omprog import program as program_module
from lwsyslog.omprog.diagnostics import Diagnostics
from lwsyslog.omprog.options import parse_options
from lwsyslog.omprog.program import OmprogProgram
from lwsyslog.omprog.replay_guard import MemoryReplayGuard
from lwsyslog.omprog.resends import ResentLines
from lwsyslog.settings import HostSettings
from lwsyslog.store import AlertStore, StoreSink
from tests.unit.omprog_run import base_config, envelope
from tests.unit.store_support import make_alert


class _Print:
    def __init__(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint


def test_drop_oldest_evicts_from_the_front_and_counts() -> None:
    from collections import OrderedDict

    table = OrderedDict((key, None) for key in "abcde")
    assert drop_oldest(table, 5) == 0
    assert drop_oldest(table, 2) == 3
    assert list(table) == ["d", "e"]


def test_fifo_map_evicts_the_oldest_inserted_not_the_least_read() -> None:
    table: FifoMap[str, int] = FifoMap(2)
    table.put("a", 1)
    table.put("b", 2)
    assert table.get("a") == 1  # a read does not refresh
    table.put("a", 3)  # nor does storing again
    table.put("c", 4)
    assert (table.get("a"), table.get("b"), table.get("c")) == (None, 2, 4)
    assert table.evictions == 1


def test_replay_guard_forgets_the_oldest_delivered_fingerprint() -> None:
    guard = MemoryReplayGuard(capacity=2)
    guard.remember([_Print("aa"), _Print("bb")])
    assert guard.seen(_Print("aa"))  # seen again: not refreshed
    guard.remember([_Print("aa"), _Print("cc")])
    assert [guard.seen(_Print(f)) for f in ("aa", "bb", "cc")] == [False, True, True]


def test_resent_lines_forget_the_oldest_first_owed() -> None:
    due = ResentLines(max_lines=2)
    due.owe([1, 2])
    due.owe([1])  # one more copy of 1 due: it keeps its place
    due.owe([3])
    assert [due.take(key) for key in (1, 2, 3)] == [False, True, True]


def test_store_sink_drops_the_oldest_pending_alert(tmp_path: Path) -> None:
    store = AlertStore(tmp_path / "a.db")
    sink = StoreSink(store, batch_size=100, max_pending=2, monotonic=lambda: 5.0)
    sink.write(make_alert(client="192.0.2.1"))  # the first commits at once
    for n in (2, 3, 4):
        sink.write(make_alert(client=f"192.0.2.{n}", at=1_795_449_600.0 + n))
    assert sink.dropped == 1
    sink.flush()
    clients = [row[0] for row in store.connection.execute("SELECT client_ip FROM alerts")]
    sink.close()
    assert sorted(clients) == ["192.0.2.1", "192.0.2.3", "192.0.2.4"]


def test_storm_tracking_forgets_the_client_quiet_longest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(grouping, "_MAX_TRACKED_CLIENTS", 2)
    groups = ChannelGroups(Policy(storm_clients=0, storm_window_secs=100))
    for row, (client, at) in enumerate((("a", 10.0), ("b", 11.0), ("a", 12.0), ("c", 13.0))):
        groups.add(PendingMeta(row, "c", client, "rule", client, False, at, 100))
    # a's second alert refreshed it, so b went; then a (12.0) leaves the window before c.
    assert groups.distinct_clients("rule", 50.0) == 2
    assert groups.distinct_clients("rule", 112.5) == 1  # a (12.0) is out, c (13.0) is in


def test_host_tracker_forgets_the_host_heard_from_longest_ago() -> None:
    now = [100.0]
    tracker = HostTracker(HostSettings(max_hosts=2), clock=lambda: now[0], wall_clock=lambda: 0.0)
    for host in ("a", "b", "a", "c"):
        now[0] += 1
        tracker.seen([host])
    assert list(tracker.hosts) == ["a", "c"]
    assert tracker.evictions == 1


def test_crawler_cache_evicts_the_oldest_stored_and_a_key_stored_again_is_new() -> None:
    cache = ResolutionCache(max_entries=2, max_bytes=1 << 30)
    lookup = Lookup(Outcome.ANSWERED, ("crawl.example.net",), ())

    def put(key: str) -> None:
        cache.put(key, ipaddress.ip_address(key), lookup, 1e12)

    put("192.0.2.1")
    put("192.0.2.2")
    assert cache.get("192.0.2.1", 0.0) is not None  # a read does not refresh
    put("192.0.2.3")
    assert cache.get("192.0.2.1", 0.0) is None
    put("192.0.2.2")  # stored again: now the newest
    put("192.0.2.4")
    assert [cache.get(f"192.0.2.{n}", 0.0) is not None for n in (2, 3, 4)] == [True, False, True]
    assert cache.evictions == 2
    one = ResolutionCache(max_entries=1, max_bytes=1 << 30)
    one.put("192.0.2.9", None, lookup, 1e12)
    assert cache.bytes == 2 * one.bytes  # what the evicted entries cost was given back


def test_user_agent_memory_forgets_the_oldest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_module, "_UA_MEMORY", 2)
    catalog = Catalog(load_config([]).crawlers.catalog)
    for agent in ("curl/8", "Wget/1.21", "curl/8", "Mozilla/5.0"):
        catalog.claimed(agent)
    assert catalog.memory_get("curl/8", "gone") == "gone"
    assert catalog.memory_get("Wget/1.21", "gone") is None
    assert catalog.memory_get("Mozilla/5.0", "gone") is None


def test_program_restarts_the_line_numbers_of_the_oldest_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(program_module, "_MAX_SOURCES", 2)
    argv = ["--config", str(base_config(tmp_path)), "--state-dir", str(tmp_path / "state")]
    program = OmprogProgram(parse_options([*argv, "--no-journald"]), Diagnostics(journal=None))
    try:
        line = '198.51.100.7 - - [23/Nov/2026:14:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "x"'
        for host in ("w1", "w2", "w1", "w3"):
            program.handle(envelope(line, host=host))
        assert dict(program._sequence) == {"w2/apache-access": 1, "w3/apache-access": 1}
    finally:
        program.close()
