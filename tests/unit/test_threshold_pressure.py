"""The omprog program warns while the threshold windows evict keys, at most once a minute."""

from __future__ import annotations

from lwsyslog.thresholds import ThresholdEngine, UrgentBurst
from lwsyslog.thresholds.pressure import EvictionWatch
from tests.unit.test_thresholds import FIVE_IN_60, access, probe


def flood(engine: ThresholdEngine, clients: int, first: int) -> None:
    for n in range(first, first + clients):
        engine.observe(probe(access(n, 1000.0, client=f"2001:db8:{n:x}::1")))


def test_evictions_are_reported_once_per_interval_with_their_number() -> None:
    engine = ThresholdEngine([(UrgentBurst(), FIVE_IN_60)], max_keys=100)
    watch = EvictionWatch(interval_secs=60)
    flood(engine, 100, 0)
    assert watch.check(engine, 0.0) is None  # full, nothing evicted yet
    flood(engine, 250, 100)
    warning = watch.check(engine, 0.5)
    assert warning is not None and "250 keys evicted" in warning and "holds 100" in warning
    assert "memory_budget_bytes" in warning
    flood(engine, 10, 350)
    assert watch.check(engine, 30.0) is None  # within the interval: held back
    later = watch.check(engine, 70.5)
    assert later is not None and "10 keys evicted in the last 70s" in later
    assert watch.check(engine, 200.0) is None  # nothing new
