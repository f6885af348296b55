#!/usr/bin/env python3
"""Evicting inserts into each bounded FIFO table at its real size: the old plain-dict pattern
(``del d[next(iter(d))]``) against ``lwsyslog.bounded.drop_oldest`` on an ``OrderedDict``.

A plain dict keeps a deleted entry's slot until it resizes and ``iter`` walks the freed slots
from the front, so each eviction costs O(table size); ``popitem(last=False)`` is O(1). For
each table: the table is filled to its bound with keys shaped like its own (host/tag sources,
hex fingerprints, line hashes, client addresses, 255-character host names, User-Agents), then
``--inserts`` new keys each evict the oldest. Both patterns run in the same process, one after
the other, best of ``--repeat``; peak memory is tracemalloc's peak over fill and churn of the
table itself, the keys being made beforehand (a separate run, as tracing slows the timing).
The ``OrderedDict`` keeps a linked list beside the dict: about 40% more for the table, paid
for O(1) evictions.

    .venv/bin/python bench/bench_fifo_eviction.py
    .venv/bin/python bench/bench_fifo_eviction.py --inserts 20000 --repeat 1   # quicker

Prints a Markdown table and writes it to ``bench/out/fifo_eviction.md``.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from collections import OrderedDict
from collections.abc import Callable, MutableMapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lwsyslog.bounded import drop_oldest

Key = object


def _ipv4(n: int) -> str:
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


#: table, where, bound, key of serial n, value
SITES: list[tuple[str, str, int, Callable[[int], Key], object]] = [
    ("UA memory", "crawlers/catalog.py", 4_096, lambda n: f"Mozilla/5.0 (b{n}) " + "x" * 80, None),
    ("sources", "omprog/program.py", 10_000, lambda n: f"web{n}.example.org/apache-access", 1),
    ("hosts", "hosts.py", 10_000, lambda n: f"h{n}-" + "x" * 250, None),
    ("request-flood", "bounded.py FifoMap", 14_306, _ipv4, (1.0, 2.0)),
    ("store pending", "store/sink.py", 20_000, lambda n: (1.7e9 + n, f"{n:032x}"), None),
    ("storm clients", "notify/grouping.py", 20_000, lambda n: f"2001:db8::{n:x}", 1.0),
    ("replay guard", "omprog/replay_guard.py", 50_000, lambda n: f"{n:032x}", None),
    ("crawler cache", "crawlers/cache.py", 50_000, _ipv4, None),
    ("resends", "omprog/resends.py", 65_536, lambda n: hash(f"line {n}"), 1),
]


def _old(table: MutableMapping[Key, object], bound: int, key: Key, value: object) -> None:
    table[key] = value
    if len(table) > bound:
        del table[next(iter(table))]


def _new(table: OrderedDict[Key, object], bound: int, key: Key, value: object) -> None:
    table[key] = value
    if len(table) > bound:
        drop_oldest(table, bound)


def _run(pattern: str, bound: int, keys: list[Key], value: object) -> float:
    """Seconds per evicting insert, after filling the table to its bound."""
    table: MutableMapping[Key, object]
    if pattern == "old":
        table, insert = {}, _old
    else:
        table, insert = OrderedDict(), _new  # type: ignore[assignment]
    for key in keys[:bound]:
        insert(table, bound, key, value)  # type: ignore[arg-type]
    churn = keys[bound:]
    start = time.perf_counter()
    for key in churn:
        insert(table, bound, key, value)  # type: ignore[arg-type]
    return (time.perf_counter() - start) / len(churn)


def _peak(pattern: str, bound: int, keys: list[Key], value: object) -> int:
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    _run(pattern, bound, keys, value)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inserts", type=int, default=100_000, help="evicting inserts per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per pattern (best kept)")
    args = parser.parse_args()
    rows = [
        "| table | where | bound | old inserts/s | new inserts/s | speed-up "
        "| old peak MiB | new peak MiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    print(rows[0], rows[1], sep="\n", flush=True)
    for name, where, bound, make, value in SITES:
        keys = [make(n) for n in range(bound + args.inserts)]
        secs = {
            pattern: min(_run(pattern, bound, keys, value) for _ in range(args.repeat))
            for pattern in ("old", "new")
        }
        peak = {pattern: _peak(pattern, bound, keys, value) / 2**20 for pattern in ("old", "new")}
        row = (
            f"| {name} | `{where}` | {bound:,} | {1 / secs['old']:,.0f} | {1 / secs['new']:,.0f} "
            f"| {secs['old'] / secs['new']:.1f}x | {peak['old']:.2f} | {peak['new']:.2f} |"
        )
        rows.append(row)
        print(row, flush=True)
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    header = f"Python {sys.version.split()[0]}, {args.inserts:,} evicting inserts"
    header += f", best of {args.repeat}"
    text = header + "\n\n" + "\n".join(rows) + "\n"
    (out / "fifo_eviction.md").write_text(text, encoding="utf-8")
    print(f"\n{header}; written to {out / 'fifo_eviction.md'}")


if __name__ == "__main__":
    main()
