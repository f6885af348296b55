#!/usr/bin/env python3
"""Alert store benchmark: insert rate, peak RSS, and the time of each query shape.

Fills a fresh store with N alerts (default 1,000,000) spread over 30 days the way attack
traffic is: clients and rules drawn from Zipf-like distributions (a few scanners and rules
make most alerts), a daily rhythm, and 20 one-hour storms from a few hundred clients holding
10% of the alerts. 50,000 clients (5% IPv6), 70 rules, 20 web hosts. Alerts go through the
real path: ``Alert`` objects written to ``StoreSink`` (sanitizing, batching, rollups).

Baselines measured in the same run:
- making the same alerts without storing them (the generator's own cost);
- a bare ``executemany`` of the same rows into an SQLite table without any index;
- ``SELECT count(*)`` for the queries.

Then, in a child process of its own (its peak RSS is the queries'), every query shape
``lwsyslog alerts`` can run: each filter alone with busy and rare values, combinations, and
combinations whose alerts do not overlap (the worst case), each run 5 times as the command
runs it in-process (``--limit 100`` by default, plus the count for the note on stderr),
without the interpreter's start-up; median and max wall time and median CPU time in ms are
printed, judged against the target (200 ms) on CPU time, which the other load of a shared
machine does not inflate, with the index that drove each query. Then ``--all`` lists: the
time to their first line and to their end. Then whole commands as a user runs them, beside
the start-up they cannot avoid. The load average is printed at the start and the end.

Usage: ``bench_store.py [--alerts N] [--db FILE] [--keep] [--reuse]`` (``--reuse``: query
the store ``--db`` already holds, insert nothing: for trying query changes).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import ipaddress
import itertools
import math
import os
import random
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from bisect import bisect_left
from collections.abc import Callable, Iterator
from itertools import accumulate
from pathlib import Path

from lwsyslog.alerts import Alert
from lwsyslog.categories import CATEGORIES
from lwsyslog.cli.main import build_parser
from lwsyslog.cli.main import main as cli_main
from lwsyslog.events import Origin
from lwsyslog.report import build_digest, render_html
from lwsyslog.severity import Severity
from lwsyslog.store import (
    AlertFilter,
    AlertQuery,
    AlertStore,
    StoreSink,
    open_reader,
    resolve_period,
)
from lwsyslog.store.rows import StoreRow, alert_row, client_text

DAY = 86400.0
SPAN_DAYS = 30
CLIENTS = 50_000
RULES = 70
HOSTS = 20
STORMS = 20
TARGET_MS = 200.0
_SEVERITY_MIX = (Severity.LOW, Severity.MEDIUM, Severity.MEDIUM, Severity.HIGH, Severity.HIGH)


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class World:
    """The clients, rules and hosts alerts are drawn from (seeded: every run is the same)."""

    def __init__(self, seed: int = 7) -> None:
        rng = random.Random(seed)
        self.rng = rng
        clients: set[str] = set()
        while len(clients) < CLIENTS:
            if rng.random() < 0.05:
                clients.add(str(ipaddress.IPv6Address((0x20010DB8 << 96) | rng.getrandbits(64))))
            else:
                clients.add(str(ipaddress.IPv4Address(rng.getrandbits(32))))
        # sorted first: a set's order changes with PYTHONHASHSEED from run to run.
        self.clients = sorted(sorted(clients), key=lambda _: rng.random())
        self.client_cum = list(accumulate(1 / (rank + 1) for rank in range(CLIENTS)))
        categories = sorted(CATEGORIES)
        self.rules = []
        for index in range(RULES):
            main = categories[index % len(categories)]
            extra = [categories[(index * 7 + 3) % len(categories)]] if index % 3 == 0 else []
            severity = Severity.CRITICAL if index % 11 == 0 else rng.choice(_SEVERITY_MIX)
            self.rules.append((f"{main}-rule-{index}", (main, *extra), severity))
        self.rule_cum = list(accumulate(1 / (rank + 1) for rank in range(RULES)))
        self.hosts = [f"web{index:02d}.example.org" for index in range(HOSTS)]
        self.host_cum = list(accumulate(1 / (rank + 1) for rank in range(HOSTS)))

    def pick(self, cum: list[float]) -> int:
        """An index drawn with the weights whose running sums are ``cum``."""
        return bisect_left(cum, self.rng.random() * cum[-1])


def alert_times(world: World, count: int, end: float) -> list[float]:
    """``count`` sorted times over the last SPAN_DAYS before ``end``: a daily rhythm plus
    STORMS one-hour storms holding 10% of them."""
    rng = world.rng
    start = end - SPAN_DAYS * DAY
    times = []
    storm_starts = [start + rng.random() * (SPAN_DAYS * DAY - 3600) for _ in range(STORMS)]
    storm_count = count // 10
    for index in range(storm_count):
        times.append(storm_starts[index % STORMS] + rng.random() * 3600)
    while len(times) < count:
        when = start + rng.random() * SPAN_DAYS * DAY
        # Busier in the (UTC) afternoon: accept with probability 0.4 .. 1.0 by hour of day.
        if rng.random() < 0.7 + 0.3 * math.sin((when % DAY) / DAY * 2 * math.pi):
            times.append(when)
    times.sort()
    return times


def make_alerts(world: World, times: list[float]) -> Iterator[Alert]:
    """One alert per time, drawn from ``world``."""
    rng = world.rng
    storm_clients = world.clients[:300]
    for number, when in enumerate(times):
        stormy = number % 10 == 0
        client = (
            rng.choice(storm_clients) if stormy else world.clients[world.pick(world.client_cum)]
        )
        rule, categories, severity = world.rules[world.pick(world.rule_cum)]
        host = world.hosts[world.pick(world.host_cum)]
        origin = Origin(f"{host}/apache-access", number + 1, host=host, tag="apache-access")
        count = rng.choice((1, 1, 5, 20, 50))
        yield Alert(
            rule=rule,
            key=client,
            client_ip=client,
            categories=categories,
            severity=severity,
            count=count,
            window_secs=60.0 if count > 1 else 0.0,
            first=origin,
            last=origin,
            first_time=when - rng.random() * 60,
            last_time=when,
            message=f"{rule}: {count} events from {client} within 60s on {host}",
            sample=(
                f'{client} - - [23/Nov/2026:16:01:34 +0000] "GET /cgi-bin/item?id={number}'
                f'%27%20UNION%20SELECT%201,2,3--%20 HTTP/1.1" 200 223 "-" '
                f'"Mozilla/5.0 (X11; Linux x86_64) sqlmap/1.7.2#stable (https://sqlmap.org)"'
            ),
            log="access",
        )


def _cpu(children: bool) -> float:
    if not children:
        return time.process_time()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(
    label: str, run: Callable[[], object], repeat: int = 5, *, children: bool = False
) -> list[float]:
    """Run ``run`` ``repeat`` times; print the median wall time and the median CPU time of
    this process in ms (on a shared machine CPU time is the figure that other load does not
    inflate); judge the target on CPU time. Returns the wall samples."""
    walls = []
    cpus = []
    result: object = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), _cpu(children)
        result = run()
        cpus.append((_cpu(children) - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    size = len(result) if isinstance(result, list) else ""
    verdict = "ok" if statistics.median(cpus) < TARGET_MS else "OVER TARGET"
    print(
        f"  {label:<44} wall median {statistics.median(walls):7.1f} max {max(walls):7.1f} ms"
        f"  cpu median {statistics.median(cpus):7.1f} ms  rows {size!s:>6}  {verdict}"
    )
    return walls


def bench_inserts(path: Path, count: int, end: float) -> None:
    """Insert ``count`` alerts through StoreSink, with both baselines."""
    world = World()
    times = alert_times(world, count, end)
    print(
        f"alerts {count:,} over {SPAN_DAYS} days, {CLIENTS:,} clients, {RULES} rules, "
        f"{HOSTS} hosts; peak RSS before inserting {peak_rss_mib():.0f} MiB"
    )

    started, cpu = time.perf_counter(), time.process_time()
    for _ in make_alerts(World(), times):
        pass
    generate = time.perf_counter() - started
    generate_cpu = time.process_time() - cpu
    print(
        f"baseline: making the alerts only        {count / generate:12,.0f} alerts/s wall, "
        f"{count / generate_cpu:,.0f} per CPU second"
    )

    sink = StoreSink(AlertStore(path))
    started, cpu = time.perf_counter(), time.process_time()
    for alert in make_alerts(World(), times):
        sink.write(alert)
    sink.close()
    elapsed = time.perf_counter() - started
    elapsed_cpu = time.process_time() - cpu
    store_cpu = elapsed_cpu - generate_cpu
    print(
        f"StoreSink.write (making + storing)      {count / elapsed:12,.0f} alerts/s wall, "
        f"{count / elapsed_cpu:,.0f} per CPU second; storing alone {count / store_cpu:,.0f} "
        f"alerts per CPU second ({store_cpu / count * 1e6:.1f} us CPU per alert)"
    )
    print(f"peak RSS after storing {peak_rss_mib():.0f} MiB")
    bare_rate = bare_inserts(path.with_suffix(".bare.db"), times, end)
    print(f"baseline: bare executemany, no index    {bare_rate:12,.0f} rows per CPU second")
    size = sum(
        Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists()
    )
    print(
        f"store file {size / 2**20:,.0f} MiB ({size / count:,.0f} bytes per alert); "
        f"peak RSS {peak_rss_mib():.0f} MiB"
    )


def bare_inserts(bare_path: Path, times: list[float], end: float) -> float:
    """Rows per CPU second of a bare executemany of the same rows (500 a transaction) into an
    SQLite table without index: the floor under any store. Only the executemany calls count."""
    bare = sqlite3.connect(bare_path, isolation_level=None)
    bare.execute("PRAGMA journal_mode = WAL")
    bare.execute("PRAGMA synchronous = NORMAL")
    columns = len(StoreRow._fields)
    bare.execute(f"CREATE TABLE t ({', '.join(f'c{i}' for i in range(columns))})")
    insert = f"INSERT INTO t VALUES ({', '.join('?' * columns)})"
    spent = 0.0
    alerts = make_alerts(World(), times)
    while True:
        batch = [alert_row(alert, end) for alert in itertools.islice(alerts, 500)]
        if not batch:
            break
        started = time.process_time()
        bare.execute("BEGIN")
        bare.executemany(insert, batch)
        bare.execute("COMMIT")
        spent += time.process_time() - started
    bare.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{bare_path}{suffix}").unlink(missing_ok=True)
    return len(times) / spent


class _FirstWrite(io.StringIO):
    """stdout for an in-process command: counts lines, remembers when the first came, keeps
    nothing (a long list must not grow this process)."""

    def __init__(self) -> None:
        super().__init__()
        self.first: float | None = None
        self.lines = 0

    def write(self, text: str) -> int:
        if self.first is None:
            self.first = time.perf_counter()
        self.lines += text.count("\n")
        return len(text)


def _alerts_command(args: list[str]) -> tuple[int, float | None]:
    """``lwsyslog alerts ARGS`` in this process (the command's own work, no start-up): the
    lines it printed and the seconds until the first one."""
    out = _FirstWrite()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert cli_main(["alerts", *args]) == 0
    first = None if out.first is None else out.first - started
    return out.lines, first


# Runs `lwsyslog ARGS` and writes its peak RSS (VmHWM, KiB) to stderr as it exits. wait4's
# ru_maxrss would not do: Linux keeps the parent's peak across fork and exec.
_WITH_PEAK = (
    "import atexit, re, sys\n"
    "def peak():\n"
    "    status = open('/proc/self/status').read()\n"
    "    sys.stderr.write('VmHWM ' + re.search(r'VmHWM:\\s+(\\d+)', status).group(1) + '\\n')\n"
    "atexit.register(peak)\n"
    "from lwsyslog.cli.main import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def _as_a_user(args: list[str]) -> tuple[float, float, float]:
    """``lwsyslog alerts ARGS`` as its own process, output to a pipe read at once: seconds to
    its first line and to its end, and its peak RSS in MiB."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _WITH_PEAK, "alerts", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    first = 0.0
    while chunk := proc.stdout.read1(65536):
        if not first and b"\n" in chunk:
            first = time.perf_counter() - started
    errors = proc.stderr.read().decode()
    assert proc.wait() == 0, (args, errors)
    whole = time.perf_counter() - started
    peak = re.search(r"VmHWM (\d+)", errors)
    return first, whole, int(peak.group(1)) / 1024 if peak else 0.0


def query_cases(conn: sqlite3.Connection, end: float) -> dict[str, list[str]]:
    """Every filter of ``lwsyslog alerts`` alone and in combinations, busy and rare values,
    and combinations whose alerts do not overlap (the worst case: every entry of the index
    that drives the query is checked, none passes)."""
    clients = conn.execute(
        "SELECT client_bin, sum(n) FROM client_days GROUP BY client_bin ORDER BY 2 DESC"
    ).fetchall()
    busy, rare = client_text(clients[0][0]), client_text(clients[-1][0])
    v4 = next(client_text(key) for key, _ in clients if "." in client_text(key))
    tags = {
        kind: [v for v, _ in conn.execute(
            "SELECT value, count(*) FROM alert_tags WHERE kind = ? GROUP BY value ORDER BY 2 DESC",
            (kind,),
        )]
        for kind in (1, 2)
    }  # fmt: skip
    rule, rare_rule = tags[1][0], tags[1][-1]
    category, rare_category = tags[2][0], tags[2][-1]
    hosts = [h for h, _ in conn.execute("SELECT host, count(*) FROM alerts INDEXED BY "
                                        "alerts_host GROUP BY host ORDER BY 2 DESC")]  # fmt: skip
    # A category whose rules are never critical: with --min-severity critical, nothing.
    never_critical = next(
        c for c in reversed(tags[2])
        if not conn.execute(
            "SELECT 1 FROM alert_tags t JOIN alerts a ON a.id = t.alert_id WHERE t.kind = 2 "
            "AND t.value = ? AND a.severity_rank = 3 LIMIT 1", (c,)).fetchone()
    )  # fmt: skip
    week = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(end - 7 * DAY))
    six = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(end - 6 * DAY))
    day20 = time.strftime("%Y-%m-%d", time.localtime(end - 20 * DAY))
    return {
        "(no filter)": [],
        "--since 24h": ["--since", "24h"],
        "--since 7d --until 6d": ["--since", week, "--until", six],
        "--until 20 days ago": ["--until", day20],
        f"--client busiest ({clients[0][1]:,} alerts)": ["--client", busy],
        "--client with 1 alert": ["--client", rare],
        "--client never seen": ["--client", "192.0.2.1"],
        "--client a.b.0.0/16": ["--client", f"{v4}/16"],
        "--client 0.0.0.0/0": ["--client", "0.0.0.0/0"],
        "--client ::/0": ["--client", "::/0"],
        "--rule busiest": ["--rule", rule],
        "--rule rarest": ["--rule", rare_rule],
        "--rule never raised": ["--rule", "no-such-rule"],
        "--category busiest": ["--category", category],
        "--category rarest": ["--category", rare_category],
        "--host busiest": ["--host", hosts[0]],
        "--host rarest": ["--host", hosts[-1]],
        "--host '' (offline scans)": ["--host", ""],
        "--min-severity critical": ["--min-severity", "critical"],
        "--min-severity high --since 7d": ["--min-severity", "high", "--since", "7d"],
        "--min-severity low": ["--min-severity", "low"],
        "--client busiest --rule busiest": ["--client", busy, "--rule", rule],
        "--client 1 alert --rule busiest": ["--client", rare, "--rule", rule],
        "--client busiest --category rarest": ["--client", busy, "--category", rare_category],
        "--rule busiest --category busiest": ["--rule", rule, "--category", category],
        "--category busiest --min-severity critical": ["--category", category,
                                                        "--min-severity", "critical"],
        "--category never-critical --min-severity critical (none)": [
            "--category", never_critical, "--min-severity", "critical"],
        "--host busiest --min-severity medium": ["--host", hosts[0], "--min-severity", "medium"],
        "--host rarest --min-severity critical": [
            "--host", hosts[-1], "--min-severity", "critical"],
        "--client 0.0.0.0/0 --rule rarest": ["--client", "0.0.0.0/0", "--rule", rare_rule],
        "--category busiest --client ::/0 --min-severity high": [
            "--category", category, "--client", "::/0", "--min-severity", "high"],
        "all six filters": ["--since", "7d", "--client", f"{v4}/8", "--rule", rule, "--category",
                            category, "--host", hosts[0], "--min-severity", "medium"],
        "--since 24h --json": ["--since", "24h", "--json"],
        "--client busiest --json --limit 1000": ["--client", busy, "--json", "--limit", "1000"],
    }  # fmt: skip


def bench_queries(path: Path, end: float) -> None:
    """Every query shape, as the command runs it, on a read-only store; in a child process of
    its own so that its peak RSS is the queries' own."""
    conn = open_reader(path)
    print("\nqueries: `lwsyslog alerts ARGS` in-process (its work without the interpreter's "
          "start-up), 5 runs each; default --limit 100 plus the count for the note on stderr; "
          "target: CPU median < 200 ms")  # fmt: skip
    print(f"  {'query':<58} {'rows':>6} {'driver':>9} {'wall ms':>8} {'max':>7} {'CPU ms':>7}"
          f"  {'verdict':<11} {'as a process: ms':>16} {'peak RSS':>9}")  # fmt: skip
    timed_raw("baseline: SELECT count(*)", lambda: conn.execute("SELECT count(*) FROM alerts"))
    for label, args in query_cases(conn, end).items():
        flt_args = [a for a in args if a not in ("--json",)]
        driver = _driver(conn, flt_args)
        lines = 0

        def run(args: list[str] = args) -> None:
            nonlocal lines
            lines, _ = _alerts_command(["--db", str(path), *args])

        walls, cpus = _measure(run, 5)
        rows = lines - (0 if "--json" in args else 1)
        verdict = "ok" if statistics.median(cpus) < TARGET_MS else "OVER TARGET"
        _, whole, rss = _as_a_user(["--db", str(path), *args])
        print(f"  {label:<58} {max(rows, 0):>6,} {driver:>9} {statistics.median(walls):8.1f} "
              f"{max(walls):7.1f} {statistics.median(cpus):7.1f}  {verdict:<11} "
              f"{whole * 1000:16.0f} {rss:6.0f} MiB")  # fmt: skip
    print("\nevery alert (--all), streamed oldest first: time to the first line and to the end, "
          "in-process (3 runs, median) and as a process reading its output from a pipe (start-up "
          "included); writing each alert costs ~10 us")  # fmt: skip
    for label, args in {
        "--since 24h --all --json": ["--since", "24h", "--all", "--json"],
        "--since 24h --all (table)": ["--since", "24h", "--all"],
        "--min-severity critical --since 7d --all --json": [
            "--min-severity", "critical", "--since", "7d", "--all", "--json"],
    }.items():  # fmt: skip
        firsts, walls, cpus, lines = [], [], [], 0
        for _ in range(3):
            wall, cpu = time.perf_counter(), time.process_time()
            lines, first = _alerts_command(["--db", str(path), *args])
            cpus.append((time.process_time() - cpu) * 1000)
            walls.append((time.perf_counter() - wall) * 1000)
            firsts.append((first or 0) * 1000)
        first_p, whole_p, rss = _as_a_user(["--db", str(path), *args])
        print(f"  {label:<48} {lines:>7,} lines: first after {statistics.median(firsts):5.1f} ms, "
              f"all in {statistics.median(walls):6.0f} ms wall / {statistics.median(cpus):6.0f} "
              f"ms CPU ({lines / statistics.median(walls) * 1000:,.0f} lines/s); as a process: "
              f"first {first_p * 1000:.0f} ms, all {whole_p * 1000:.0f} ms, peak RSS "
              f"{rss:.0f} MiB")  # fmt: skip
    print("\nreports (not `alerts`; for reference):")
    timed("report over 24h (digest)", lambda: build_digest(conn, end - DAY, end))
    timed("report over 7d (digest)", lambda: build_digest(conn, end - 7 * DAY, end))
    digest = build_digest(conn, end - 7 * DAY, end)
    timed("report over 7d: HTML page from the digest", lambda: render_html(digest))
    timed("report over 30d (digest)", lambda: build_digest(conn, end - 30 * DAY, end), repeat=3)
    conn.close()
    print(f"peak RSS of the query process {peak_rss_mib():.0f} MiB")


def _driver(conn: sqlite3.Connection, args: list[str]) -> str:
    """Which index the planner picks for these command-line filters."""
    parsed = build_parser().parse_args(["alerts", *args])
    since, until = resolve_period(parsed.since, parsed.until, time.time())
    severity = Severity(parsed.min_severity) if parsed.min_severity else None
    flt = AlertFilter(
        since=since,
        until=until,
        client=parsed.client,
        rule=parsed.rule,
        category=parsed.category,
        host=parsed.host,
        min_severity=severity,
    )
    return AlertQuery(conn, flt).plan.driver


def _measure(run: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    return walls, cpus


def timed_raw(label: str, run: Callable[[], object]) -> None:
    """A baseline line in the query table."""
    walls, cpus = _measure(lambda: run().fetchall(), 5)  # type: ignore[attr-defined]
    print(f"  {label:<58} {1:>6} {'':>9} {statistics.median(walls):8.1f} {max(walls):7.1f} "
          f"{statistics.median(cpus):7.1f}")  # fmt: skip


def bench_commands(path: Path) -> None:
    """Whole commands as a user runs them, beside the start-up they cannot avoid."""
    python = [sys.executable]
    base = [*python, "-m", "lwsyslog.cli.main"]
    db = ["--db", str(path)]
    commands = {
        "baseline: python -c pass": [*python, "-c", "pass"],
        "baseline: import lwsyslog.cli.alerts_cmd only": [
            *python, "-c", "import lwsyslog.cli.alerts_cmd"],
        "baseline: lwsyslog --version (imports every command)": [*base, "--version"],
        "lwsyslog alerts --since 24h": [*base, "alerts", *db, "--since", "24h"],
        "lwsyslog alerts --min-severity critical --json": [
            *base, "alerts", *db, "--min-severity", "critical", "--json"],
        "lwsyslog report --since 24h": [*base, "report", *db, "--since", "24h"],
    }  # fmt: skip
    print("\ncommands (3 runs each; CPU time of the command's process):")
    for label, command in commands.items():
        timed(
            label,
            lambda command=command: subprocess.run(command, check=True, capture_output=True),
            repeat=3,
            children=True,
        )


def bench_prune(path: Path, end: float) -> None:
    """Retention cutting the oldest day (about 1/30 of the alerts) in batches."""
    store = AlertStore(path, retention_days=SPAN_DAYS - 1, clock=lambda: end)
    started, cpu = time.perf_counter(), time.process_time()
    gone = 0
    while batch := store.prune():
        gone += batch
    elapsed = time.perf_counter() - started
    spent = time.process_time() - cpu
    store.close()
    print(
        f"retention: {gone:,} oldest alerts deleted in {elapsed:.1f}s wall, {spent:.1f}s CPU "
        f"({gone / spent:,.0f} per CPU second)"
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--db", help="store file (default: a temporary file)")
    parser.add_argument("--keep", action="store_true", help="keep the store file")
    parser.add_argument(
        "--reuse", action="store_true", help="query the existing --db store, insert nothing"
    )
    parser.add_argument("--queries-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.queries_only:
        path = Path(args.db)
        conn = open_reader(path)
        end = conn.execute("SELECT max(time) FROM alerts").fetchone()[0]
        conn.close()
        bench_queries(path, end)
        return 0
    directory = tempfile.mkdtemp(prefix="bench-store-")
    path = Path(args.db) if args.db else Path(directory) / "alerts.db"
    reuse = args.reuse and args.db and path.exists()
    if not reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    end = time.time()
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    try:
        if not reuse:
            bench_inserts(path, args.alerts, end)
        # A fresh process: the queries' peak RSS is their own, not the inserts'.
        subprocess.run([sys.executable, __file__, "--queries-only", "--db", str(path)], check=True)
        bench_commands(path)
        if not reuse:
            bench_prune(path, end)
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
    finally:
        if not args.keep and not reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        if not os.listdir(directory):
            os.rmdir(directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
