"""``lwsyslog status``: is the chain healthy here, and if not, what is wrong, in plain words."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from lwsyslog.cli.argtypes import int_between, seconds
from lwsyslog.deploy.rsyslog_setup import DROPIN_NAMES
from lwsyslog.omprog.options import DEFAULT_STATE_DIR
from lwsyslog.status.check import Inputs, Limits, Role, evaluate
from lwsyslog.status.file import read_status, status_files
from lwsyslog.status.impstats import DEFAULT_IMPSTATS, read_impstats
from lwsyslog.status.procs import find_processes, process
from lwsyslog.status.render import render_text
from lwsyslog.status.rsyslog_log import file_lines, journal_lines, recognise

__all__ = ["EXIT_PROBLEM", "register", "run", "state_dir_unreadable"]

EXIT_PROBLEM = 1
_RSYSLOG_DIR = Path("/etc/rsyslog.d")
#: More lines than any queue holds (rsyslog's queue sizes are 32-bit).
_MAX_QUEUE = 2**31 - 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``status`` sub-command."""
    parser = subparsers.add_parser(
        "status",
        help="is the chain healthy here? what is wrong, in plain words (exit 1 if anything)",
        description=(
            "Check this machine's part of the chain and say what is wrong in plain words. "
            "On the central server: is the lwsyslog omprog program running under rsyslogd "
            "(its status file in the state directory), its last figures (lines, unparsed, "
            "alerts, sink errors, processing lag), each web host's last line and whether it "
            "went silent. On both ends: rsyslogd's queue and action counters (impstats) and "
            "the errors rsyslogd reported about the chain (a refused certificate name, an "
            "unreachable server), from the journal of its unit or from files. Exit 0 when "
            "all is well, 1 when something is wrong (use it as a monitoring check), 2 on a "
            "usage error. docs/operations.md explains each check."
        ),
    )
    parser.add_argument(
        "--role",
        choices=("auto", "server", "webhost", "both"),
        default="auto",
        help="what this machine is; auto: from the lwsyslog drop-ins in --rsyslog-dir "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        metavar="DIR",
        help="the omprog program's --state-dir, where its status file is (default: %(default)s)",
    )
    parser.add_argument(
        "--rsyslog-dir",
        type=Path,
        default=_RSYSLOG_DIR,
        metavar="DIR",
        help="where the lwsyslog drop-ins are installed (default: %(default)s)",
    )
    parser.add_argument(
        "--impstats",
        type=Path,
        default=DEFAULT_IMPSTATS,
        metavar="FILE",
        help="the file rsyslog's impstats module writes (log.file=, format json) "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--rsyslog-unit",
        default="rsyslog.service",
        metavar="UNIT",
        help="read rsyslogd's messages from this unit's journal; '' reads none "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--rsyslog-log",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="also read rsyslogd's messages from FILE (its standard error, when not under "
        "systemd); repeatable",
    )
    parser.add_argument(
        "--window-secs",
        type=seconds,
        default=900.0,
        metavar="SECS",
        help="rsyslogd's messages of this many last seconds count (default: %(default)g)",
    )
    parser.add_argument(
        "--max-lag-secs",
        type=seconds,
        default=300.0,
        metavar="SECS",
        help="a processing lag above this is a problem (default: %(default)g)",
    )
    parser.add_argument(
        "--max-queue",
        type=int_between(0, _MAX_QUEUE),
        default=10_000,
        metavar="LINES",
        help="more lines than this waiting in an lwsyslog queue is a problem "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--impstats-max-age-secs",
        type=seconds,
        default=300.0,
        metavar="SECS",
        help="an impstats file older than this is a problem (default: %(default)g)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object instead of text")
    parser.set_defaults(func=run)


def _role(args: argparse.Namespace, has_status: bool) -> Role:
    if args.role != "auto":
        role: Role = args.role
        return role
    server = (args.rsyslog_dir / DROPIN_NAMES["server"]).exists() or has_status
    webhost = (args.rsyslog_dir / DROPIN_NAMES["webhost"]).exists()
    if server and webhost:
        return "both"
    return "webhost" if webhost else "server"


def _impstats_configured(rsyslog_dir: Path, impstats: Path) -> bool:
    """Whether a drop-in of ``rsyslog_dir`` loads impstats writing to ``impstats``."""
    try:
        dropins = sorted(rsyslog_dir.glob("*.conf"))
        return any(
            "impstats" in text and str(impstats) in text
            for text in (path.read_text("utf-8", errors="replace") for path in dropins)
        )
    except OSError:
        return False


def state_dir_unreadable(state_dir: Path) -> str | None:
    """Why the status files in ``state_dir`` cannot be listed, in words; None when they
    can, or when there is no such directory (the checks then say no program ran here)."""
    try:
        with os.scandir(state_dir):
            return None
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return (
            f"{state_dir} is not a directory: --state-dir is the directory where the program "
            "writes its status files (its own --state-dir)"
        )
    except PermissionError:
        if os.geteuid() == 0:
            return (
                f"cannot read {state_dir}: permission denied even to root (a security module "
                "such as SELinux or AppArmor, or a network file system that maps root)"
            )
        return f"cannot read {state_dir}: run lwsyslog status as root (or as the program's user)"
    except OSError as error:
        return f"cannot read {state_dir}: {error.strerror or error}"


def run(args: argparse.Namespace) -> int:
    """Gather, evaluate and print; 0 healthy, 1 something is wrong."""
    now = time.time()
    paths = status_files(args.state_dir)
    since = now - args.window_secs
    lines: list[str] = []
    unread: list[str] = []
    if args.rsyslog_unit:
        found = journal_lines(args.rsyslog_unit, since)
        if found is None:
            unread.append(f"the journal of {args.rsyslog_unit} (no journalctl, or not allowed)")
        else:
            lines.extend(found)
    for path in args.rsyslog_log:
        found = file_lines(path, since)
        if found is None:
            unread.append(f"{path} (cannot be read)")
        else:
            lines.extend(found)
    inputs = Inputs(
        now=now,
        role=_role(args, bool(paths)),
        state_dir=args.state_dir,
        statuses=[(path, read_status(path)) for path in paths],
        processes=find_processes(),
        lookup=process,
        impstats_path=args.impstats,
        impstats=read_impstats(args.impstats),
        impstats_configured=_impstats_configured(args.rsyslog_dir, args.impstats),
        issues=recognise(lines),
        unread_logs=unread,
        state_unreadable=state_dir_unreadable(args.state_dir),
        limits=Limits(
            max_lag_secs=args.max_lag_secs,
            max_queue=args.max_queue,
            impstats_max_age_secs=args.impstats_max_age_secs,
            window_secs=args.window_secs,
        ),
    )
    report = evaluate(inputs)
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        print(render_text(report))
    return 0 if report.ok else EXIT_PROBLEM
