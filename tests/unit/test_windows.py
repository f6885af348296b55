"""Threshold windows in fixed-size records: bounded in bytes, IPv6 per /64, LRU-ish eviction."""

from __future__ import annotations

import gc
import tracemalloc

from lwsyslog.events import Origin
from lwsyslog.thresholds import client_key
from lwsyslog.thresholds.windows import ORIGIN_MAX_CHARS, OriginTable, WindowStore, record_bytes


def _store(depth: int = 3, capacity: int = 1000, *, distinct: bool = False) -> WindowStore:
    return WindowStore(depth, capacity, OriginTable(), distinct=distinct)


def _add(store: WindowStore, key: str, when: float, line: int = 1, value: str | None = None):  # type: ignore[no-untyped-def]
    return store.add(
        key,
        when,
        Origin("access.log", line),
        needed=store.depth,
        window_secs=60,
        cooldown_secs=300,
        value=value,
    )


def test_a_window_crosses_when_its_last_events_fit_and_names_first_and_last_lines() -> None:
    store = _store()
    assert _add(store, "203.0.113.9", 0, line=1) is None
    assert _add(store, "203.0.113.9", 30, line=2) is None
    hit = _add(store, "203.0.113.9", 59, line=3)
    assert hit is not None and hit.events == 3
    assert (hit.first.line, hit.last.line, hit.first_time) == (1, 3, 0)
    # The cooldown holds the next crossing back.
    assert _add(store, "203.0.113.9", 60, line=4) is None


def test_events_wider_apart_than_the_window_never_cross() -> None:
    store = _store()
    assert [_add(store, "k", when) for when in (0, 40, 80, 120)] == [None] * 4


def test_distinct_values_are_counted_once_and_only_digests_are_kept() -> None:
    store = _store(depth=3, distinct=True)
    assert _add(store, "k", 0, value="/a" * 4000) is None
    assert _add(store, "k", 1, value="/a" * 4000) is None  # the same path again: not counted
    assert store.count("k") == 1
    assert _add(store, "k", 2, value="/b") is None
    assert _add(store, "k", 3, value="/c") is not None


def test_memory_is_bounded_in_bytes_whatever_the_payloads_and_the_number_of_keys() -> None:
    store = _store(depth=20, capacity=2000, distinct=True)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for n in range(20_000):
        # A new client with a distinct 7.8 KB path on every event.
        _add(store, f"2001:db8:{n:x}::1", n, value=f"/{n}/" + "A" * 7800)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert store.keys == 2000 and store.evictions == 18_000
    # The records and their dict: well under what the paths alone would take (156 MB).
    assert grown < 2 * 2000 * record_bytes(20, True)


def test_origins_are_remembered_up_to_a_bound_in_characters() -> None:
    """Source names come from syslog headers: past ORIGIN_MAX_CHARS in all, the oldest are
    forgotten (a window still holding one names it "<many sources>", with its line number)."""
    table = OriginTable()
    long_host = "h" * 255
    origins = [Origin(f"{long_host}/{n}", 1, long_host, str(n)) for n in range(20_000)]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        ids = [table.id_of(origin) for origin in origins]
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # The names are the origins' own strings; the table's lists, dict and ids stay small.
    assert held < 20_000 * 200
    assert table.generations > 1 and all(ids)
    named = [n for n, ident in enumerate(ids) if table.origin(ident, 1).host == long_host]
    assert sum(2 * 255 + 2 * len(str(n)) + 1 for n in named) <= ORIGIN_MAX_CHARS
    assert table.origin(ids[-1], 7) == Origin(f"{long_host}/19999", 7, long_host, "19999")
    assert table.origin(ids[0], 7) == Origin("<many sources>", 7, "", "")
    assert table.origin(0, 7) == Origin("<many sources>", 7, "", "")
    known = table.id_of(origins[19_990])
    assert known == ids[19_990]  # still known


def test_a_new_source_is_named_after_65000_sources_sent_once() -> None:
    """The table used to fill for good: every later window's first source was
    "<many sources>" for the rest of the process."""
    table = OriginTable()
    ids = [
        table.id_of(Origin(f"web{n}/apache-access", 1, f"web{n}", "apache-access"))
        for n in range(70_000)
    ]
    latest = Origin("db1/apache-access", 3, "db1", "apache-access")
    assert table.origin(table.id_of(latest), 3) == latest
    assert table.origin(ids[69_999], 1).host == "web69999"
    # A window's event from a source of the generation before stays named.
    assert table.origin(ids[40_000], 1).host == "web40000"


def test_a_flood_of_new_keys_evicts_idle_keys_not_a_busy_one() -> None:
    store = _store(depth=5, capacity=300)
    for n in range(300):
        _add(store, f"k{n}", 0)
    for n in range(300, 3300):  # ten times the capacity in new keys
        _add(store, f"k{n}", 1)
        if n % 50 == 0:
            _add(store, "k7", 1)  # the attacker the flood tries to push out, still at work
    assert store.count("k7") == 5
    assert store.count("k0") == 0 and store.evictions == 3000


def test_ipv6_clients_are_counted_per_64_and_ipv4_per_address() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff::9")
    assert client_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:198.51.100.7") == "198.51.100.7"
    assert client_key("198.51.100.7") == "198.51.100.7"
    assert len(client_key("h" * 5000)) <= 64


def test_one_off_keys_never_evict_a_key_with_several_events() -> None:
    """Plain CLOCK lost the key once the hand went round twice between its events."""
    store = _store(depth=5, capacity=300)
    _add(store, "attacker", 0)
    _add(store, "attacker", 1)
    for n in range(3000):  # ten times the capacity in one-off keys, nothing from the attacker
        _add(store, f"one-off {n}", 2)
    assert store.count("attacker") == 2
    assert _add(store, "attacker", 3) is None and _add(store, "attacker", 4) is None
    assert _add(store, "attacker", 5) is not None
    assert store.evictions == 3001 - 300


def test_a_key_evicted_by_one_off_keys_comes_back_protected() -> None:
    """More one-off keys than the store holds between each of the attacker's events: every
    first event is evicted, but the second comes back protected and the rest count."""
    store = _store(depth=5, capacity=300)
    hits = []
    for event in range(6):
        hits.append(_add(store, "attacker", 10 * event))
        for n in range(600):
            _add(store, f"one-off {event} {n}", 10 * event + 1)
    assert store.count("attacker") == 5  # the first event only was lost
    assert [hit is not None for hit in hits] == [False] * 5 + [True]


def test_a_line_older_than_the_window_neither_counts_nor_clears_the_key() -> None:
    """Apache stamps a line with the time its request began: a client holding one request
    open for 70 s writes a line 70 s in the past whenever it likes. Taken for a clock step, it
    erased the key's events (a brute force never crossed) or its cooldown (one alert every
    few lines)."""
    store = _store()
    assert _add(store, "k", 1000) is None and _add(store, "k", 1001) is None
    assert _add(store, "k", 930) is None  # 71 s before the newest: outside the window
    assert store.count("k") == 2
    assert _add(store, "k", 1002) is not None  # the window the late line would have erased
    assert _add(store, "k", 931) is None  # in the cooldown, and a late line does not end it
    assert [_add(store, "k", when) for when in (1003, 1004, 1005)] == [None] * 3


def test_a_line_a_little_out_of_order_still_counts() -> None:
    store = _store()
    assert _add(store, "k", 1000) is None and _add(store, "k", 1010) is None
    assert _add(store, "k", 990) is not None  # 20 s out of order: in the window


def _attacker_alerts_through_a_flood(store: WindowStore, flood_per_gap: int) -> bool:
    """One attacker event per 6 s gap over 12 gaps, ``flood_per_gap`` new two-event keys in
    each gap: whether the attacker's 10-event window still crosses."""
    hits = []
    for gap in range(12):
        hits.append(
            store.add("attacker", 6.0 * gap, Origin("a", 1), needed=10, window_secs=600,
                      cooldown_secs=300)
        )  # fmt: skip
        for n in range(flood_per_gap):
            for event in range(2):
                _add(store, f"flood {gap} {n}", 6.0 * gap + 1 + event)
    return any(hit is not None for hit in hits)


def test_keys_of_two_events_each_need_three_times_more_to_evict_a_client_that_keeps_sending() -> (
    None
):
    """A flood of two-event keys is protected too: with one reference bit, 100 of them per
    gap of the attacker's (one tenth of the store) evicted its key every time."""
    assert _attacker_alerts_through_a_flood(_store(depth=10, capacity=1000), 300)


def test_idle_busy_keys_do_not_outlive_a_client_that_keeps_sending() -> None:
    """A higher cap on the count let yesterday's busy keys outlive an active attacker: with 700
    idle keys of 9 events each held, 300 two-event keys per gap evicted it (review)."""
    store = _store(depth=10, capacity=1000)
    for key in range(700):
        for event in range(9):
            _add(store, f"idle {key}", -1000.0 + event)
    assert _attacker_alerts_through_a_flood(store, 300)
