"""A run's top clients: counted as the thresholds count them, so bounded in bytes too.

``RunStats.clients`` keeps up to 10,000 clients; a ``%h`` client is any text the line holds
(up to ``max_line_bytes``), so it could hold 10,000 lines' worth of text.
"""

from __future__ import annotations

import gc
import io
import tracemalloc

from lwsyslog.cli.summary import print_summary
from lwsyslog.config import load_config
from lwsyslog.events import Origin
from lwsyslog.pipeline import Pipeline
from lwsyslog.stats import RunStats

_LINE = '{client} - - [23/Nov/2026:14:00:00 +0000] "GET /../../etc/passwd HTTP/1.1" 404 1 "-" "x"'


def test_long_host_name_clients_are_held_cut() -> None:
    stats = RunStats()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for n in range(200):
            stats.count_client(f"h{n}" + "x" * 50_000)
        held = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert held < 200 * 1000  # was 200 whole 50 KB names
    assert all(len(client) <= 64 for client in stats.clients)


def test_an_ipv6_client_is_counted_under_its_64() -> None:
    stats = RunStats()
    for n in range(5):
        stats.count_client(f"2001:db8:1:2::{n + 1:x}")
    stats.count_client("203.0.113.9")
    assert stats.clients == {"2001:db8:1:2::/64": 5, "203.0.113.9": 1}


def test_the_scan_summary_names_top_clients_by_their_key() -> None:
    engine = Pipeline(load_config([]))
    for n, client in enumerate(["2001:db8::1", "2001:db8::2", "evil" + "z" * 5000, "192.0.2.7"]):
        engine.process(_LINE.format(client=client), Origin("a", n))
    out = io.StringIO()
    print_summary(engine, [], 1.0, out)
    text = out.getvalue()
    assert "2001:db8::/64" in text.split("top clients")[1]
    assert "192.0.2.7" in text and "z" * 100 not in text
