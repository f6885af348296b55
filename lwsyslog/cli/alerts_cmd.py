"""``lwsyslog alerts``: query the alert store; a table for people, JSON lines for tools."""

from __future__ import annotations

import argparse
import ipaddress
import itertools
import re
import shutil
import sys
import time
from collections.abc import Iterable
from typing import TextIO

import orjson

from lwsyslog.categories import CATEGORIES
from lwsyslog.cli.argtypes import int_between
from lwsyslog.cli.messages import say
from lwsyslog.cli.table import Column, cell_width, clip, render_table
from lwsyslog.hostnames import host_shown
from lwsyslog.report.text import local_time
from lwsyslog.severity import Severity
from lwsyslog.store import (
    DEFAULT_STORE_PATH,
    AlertFilter,
    AlertQuery,
    StoredAlert,
    TimeSpec,
    open_reader,
    parse_timespec,
    resolve_period,
)

__all__ = [
    "add_store_option",
    "period",
    "print_table",
    "register",
    "run",
    "timespec_arg",
    "write_alerts",
]

EXIT_OK = 0
EXIT_USAGE = 2
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000_000
"""The most alerts ``--limit`` asks for (SQLite's integers end far beyond; --all has none)."""
COUNT_CAP = 10_000
"""The note under a cut list counts the alerts up to this many ("more than" beyond)."""
_FIRST_ROWS = 256


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``alerts`` sub-command."""
    parser = subparsers.add_parser(
        "alerts",
        help="query the alert store",
        description=(
            "List stored alerts, oldest first: the newest --limit of them (100; a note on "
            "stderr says how many more there are), or --all. Times: 30m, 24h, 7d, 2w, today, "
            "yesterday, or an ISO date/time (local time unless it has a zone)."
        ),
    )
    add_store_option(parser)
    parser.add_argument("--since", type=timespec_arg, metavar="WHEN", help="from this time on")
    parser.add_argument(
        "--until", type=timespec_arg, metavar="WHEN", help="before this time (default: now)"
    )
    parser.add_argument(
        "--client", type=_client_arg, metavar="ADDR|CIDR", help="client address or network"
    )
    parser.add_argument("--rule", metavar="ID", help="alerts naming this rule")
    parser.add_argument(
        "--category", type=_category_arg, metavar="ID", help="alerts naming this category"
    )
    parser.add_argument("--host", metavar="NAME", help="web host the alerts came from")
    parser.add_argument(
        "--min-severity",
        choices=[s.value for s in Severity],
        help="this severity or worse",
    )
    parser.add_argument(
        "--limit",
        type=int_between(0, MAX_LIMIT, "all"),
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"at most the newest N alerts, up to {MAX_LIMIT:,} (default {DEFAULT_LIMIT}; 0: all)",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="every alert selected, oldest first, written as they are read (same as --limit 0)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per alert")
    parser.set_defaults(func=run)


def add_store_option(parser: argparse.ArgumentParser) -> None:
    """``--db FILE``: which alert store to read."""
    parser.add_argument(
        "--db",
        default=DEFAULT_STORE_PATH,
        metavar="FILE",
        help=f"alert store (default {DEFAULT_STORE_PATH})",
    )


def timespec_arg(text: str) -> TimeSpec:
    """argparse type for ``--since`` / ``--until``."""
    try:
        return parse_timespec(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def period(args: argparse.Namespace, now: float) -> tuple[float | None, float | None] | None:
    """``--since`` and ``--until`` in epoch seconds; None, after saying which one is out of
    range on stderr, when one reaches beyond the years lwsyslog can show."""
    try:
        return resolve_period(args.since, args.until, now)
    except ValueError as error:
        say(f"error: {error}")
        return None


# Only digits and dots, or a colon: meant as an address, so it must be one. Anything else
# is a host name, as Apache logs a client under HostnameLookups On.
_ADDRESS_LIKE = re.compile(r"[0-9.]+|.*:.*")


def _client_arg(text: str) -> str:
    value = text.strip()
    if "/" in value:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"not a network: {error}") from None
    elif _ADDRESS_LIKE.fullmatch(value):
        try:
            ipaddress.ip_address(value)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"not an address: {error}") from None
    return text


def _category_arg(text: str) -> str:
    if text not in CATEGORIES:
        known = ", ".join(sorted(CATEGORIES))
        raise argparse.ArgumentTypeError(f"unknown category {text!r} (categories: {known})")
    return text


def run(args: argparse.Namespace) -> int:
    """Print the selected alerts; exit 2 when the store cannot be read (via StoreError) or
    a time is out of range."""
    resolved = period(args, time.time())
    if resolved is None:
        return EXIT_USAGE
    since, until = resolved
    limit = None if args.all or args.limit == 0 else args.limit
    flt = AlertFilter(
        since=since,
        until=until,
        client=args.client,
        rule=args.rule,
        category=args.category,
        host=host_shown(args.host) if args.host else args.host,
        min_severity=Severity(args.min_severity) if args.min_severity else None,
        limit=limit,
    )
    out = sys.stdout
    conn = open_reader(args.db)
    try:
        query = AlertQuery(conn, flt)
        if limit is None:
            # Every alert, oldest first, written as it is read: the first lines come at once.
            write_alerts(query.alerts(newest_first=False), out, as_json=args.json)
            return EXIT_OK
        newest = list(query.alerts(limit=limit + 1))
        shown = newest[:limit]
        shown.reverse()
        write_alerts(shown, out, as_json=args.json)
        if len(newest) > limit:
            out.flush()
            total = query.count(COUNT_CAP + 1)
            of = f"more than {COUNT_CAP:,}" if total > COUNT_CAP else f"{total:,}"
            print(
                f"lwsyslog: the newest {limit:,} of {of} alerts (--limit N for more, --all for "
                "every one)",
                file=sys.stderr,
            )
    finally:
        conn.close()
    return EXIT_OK


def write_alerts(alerts: Iterable[StoredAlert], out: TextIO, *, as_json: bool) -> int:
    """Write ``alerts`` as they come (a table, or JSON lines); how many were written."""
    if not as_json:
        return print_table(alerts, out)
    written = 0
    for alert in alerts:
        out.write(orjson.dumps(alert.record()).decode() + "\n")
        written += 1
        if written == _FIRST_ROWS:
            out.flush()
    return written


_COLUMNS = (
    Column("TIME"),
    Column("SEVERITY"),
    Column("RULE", 32),
    Column("CLIENT", 39),
    Column("HOST", 24),
    Column("COUNT", right=True),
    Column("CATEGORIES", 30),
    Column("MESSAGE"),
)


def print_table(alerts: Iterable[StoredAlert], out: TextIO) -> int:
    """The alerts as an aligned table, fitted to the terminal when ``out`` is one; how many.

    Columns are as wide as in the first 256 alerts; the rest are written as they come, in
    those columns (a longer cell then pushes its line out of line rather than being cut,
    except where a terminal's width cuts it)."""
    width = shutil.get_terminal_size().columns if out.isatty() else None
    rows = (_cells(alert) for alert in alerts)
    first = list(itertools.islice(rows, _FIRST_ROWS))
    if not first:
        out.write("no alerts\n")
        return 0
    for line in render_table(_COLUMNS, first, width):
        out.write(line + "\n")
    out.flush()
    widths = _widths(first, width)
    written = len(first)
    for row in rows:
        out.write(_line(row, widths, clip_last=width is not None) + "\n")
        written += 1
    return written


def _cells(alert: StoredAlert) -> tuple[str, ...]:
    return (
        local_time(alert.time, seconds=True),
        alert.severity.value,
        alert.rule,
        alert.client_ip or "-",
        alert.host or "-",
        f"{alert.count:,}",
        ",".join(alert.categories) or "-",
        alert.message,
    )


def _widths(rows: list[tuple[str, ...]], total_width: int | None) -> list[int]:
    """The widths :func:`render_table` gave the columns of ``rows``."""
    widths = [
        min(column.max_width, max([cell_width(column.heading), *(cell_width(r[i]) for r in rows)]))
        for i, column in enumerate(_COLUMNS)
    ]
    if total_width is not None:
        fixed = sum(widths[:-1]) + 2 * (len(_COLUMNS) - 1)
        widths[-1] = max(12, min(widths[-1], total_width - fixed))
    return widths


def _line(cells: tuple[str, ...], widths: list[int], *, clip_last: bool) -> str:
    parts = []
    last = len(_COLUMNS) - 1
    for index, (column, width, cell) in enumerate(zip(_COLUMNS, widths, cells, strict=True)):
        if index < last:
            text = clip(cell, column.max_width)
            pad = " " * max(0, width - cell_width(text))
            parts.append(pad + text if column.right else text + pad)
        else:
            parts.append(clip(cell, width) if clip_last else clip(cell, column.max_width))
    return "  ".join(parts)
