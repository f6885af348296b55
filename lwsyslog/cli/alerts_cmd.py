"""``lwsyslog alerts``: query the alert store; a table for people, JSON lines for tools."""

from __future__ import annotations

import argparse
import ipaddress
import json
import shutil
import sys
import time
from typing import TextIO

from lwsyslog.categories import CATEGORIES
from lwsyslog.cli.table import Column, render_table
from lwsyslog.report.text import local_time
from lwsyslog.severity import Severity
from lwsyslog.store import (
    DEFAULT_STORE_PATH,
    AlertFilter,
    StoredAlert,
    TimeSpec,
    open_reader,
    parse_timespec,
    resolve_period,
    select_alerts,
)

__all__ = ["add_store_option", "register", "run", "timespec_arg"]

EXIT_OK = 0
DEFAULT_LIMIT = 100


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``alerts`` sub-command."""
    parser = subparsers.add_parser(
        "alerts",
        help="query the alert store",
        description=(
            "List stored alerts, oldest first (the newest --limit of them). Times: 30m, 24h, "
            "7d, 2w, today, yesterday, or an ISO date/time (local time unless it has a zone)."
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
        type=_limit_arg,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"at most the newest N alerts (default {DEFAULT_LIMIT}; 0: all)",
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


def _client_arg(text: str) -> str:
    if "/" in text:
        try:
            ipaddress.ip_network(text.strip(), strict=False)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"not a network: {error}") from None
    return text


def _category_arg(text: str) -> str:
    if text not in CATEGORIES:
        known = ", ".join(sorted(CATEGORIES))
        raise argparse.ArgumentTypeError(f"unknown category {text!r} (categories: {known})")
    return text


def _limit_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 (all) or more")
    return value


def run(args: argparse.Namespace) -> int:
    """Print the selected alerts; exit 2 (via StoreError) when the store cannot be read."""
    since, until = resolve_period(args.since, args.until, time.time())
    flt = AlertFilter(
        since=since,
        until=until,
        client=args.client,
        rule=args.rule,
        category=args.category,
        host=args.host,
        min_severity=Severity(args.min_severity) if args.min_severity else None,
        limit=args.limit or None,
    )
    conn = open_reader(args.db)
    try:
        alerts = select_alerts(conn, flt)
    finally:
        conn.close()
    out = sys.stdout
    if args.json:
        for alert in alerts:
            out.write(json.dumps(alert.record(), ensure_ascii=False) + "\n")
    else:
        print_table(alerts, out)
    if args.limit and len(alerts) == args.limit:
        print(
            f"lwsyslog: showing the newest {args.limit:,} alerts (--limit 0 for all)",
            file=sys.stderr,
        )
    return EXIT_OK


def print_table(alerts: list[StoredAlert], out: TextIO) -> None:
    """The alerts as an aligned table, fitted to the terminal when ``out`` is one."""
    if not alerts:
        out.write("no alerts\n")
        return
    width = shutil.get_terminal_size().columns if out.isatty() else None
    columns = (
        Column("TIME"),
        Column("SEVERITY"),
        Column("RULE", 32),
        Column("CLIENT", 39),
        Column("HOST", 24),
        Column("COUNT", right=True),
        Column("CATEGORIES", 30),
        Column("MESSAGE"),
    )
    rows = [
        (
            local_time(alert.time, seconds=True),
            alert.severity.value,
            alert.rule,
            alert.client_ip or "-",
            alert.host or "-",
            f"{alert.count:,}",
            ",".join(alert.categories) or "-",
            alert.message,
        )
        for alert in alerts
    ]
    for line in render_table(columns, rows, width):
        out.write(line + "\n")
