"""Command-line options of ``lwsyslog-omprog``."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from pathlib import Path

from lwsyslog.cli.argtypes import positive_int, seconds
from lwsyslog.config import split_listen

__all__ = ["DEFAULT_STATE_DIR", "Options", "build_parser", "parse_options"]

DEFAULT_STATE_DIR = Path("/var/lib/lwsyslog")


@dataclasses.dataclass(frozen=True, slots=True)
class Options:
    """What the command line asked for."""

    config_files: tuple[Path, ...] = ()
    state_dir: Path = DEFAULT_STATE_DIR
    instance: str = "default"
    journald: bool = True
    messages_file: str | None = None
    transactions: bool = False
    one_process: bool = False
    stats_interval_secs: float = 60.0
    stats_every_lines: int = 100_000
    user: str = "auto"
    metrics_listen: str = ""
    #: The program's pid and its parent's as the status file names them, when the pipeline
    #: runs in a child (see :mod:`lwsyslog.omprog.worker`): the process rsyslog started and
    #: rsyslogd. None: this process and its parent.
    reported_pids: tuple[int, int] | None = None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also read by the man page generator)."""
    parser = argparse.ArgumentParser(
        prog="lwsyslog-omprog",
        description=(
            "lwsyslog's omprog program, run by the central rsyslog: reads one message per line "
            "on standard input (the lwsyslog_json template's JSON object, or a raw line) and "
            'answers each on standard output as omprog\'s confirmMessages="on" protocol wants; '
            "alerts go to journald and the messages file. Diagnostics go to standard error."
        ),
    )
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="FILE",
        help="TOML file merged over the built-in defaults (repeatable); replaces "
        "/etc/lwsyslog/lwsyslog.toml and /etc/lwsyslog/lwsyslog.d/*.toml",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        metavar="DIR",
        help="where the replay guard and the line spool live, writable by this program "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--instance",
        default="default",
        metavar="NAME",
        help="names this program's state files (omprog-NAME.*): give each omprog shard its "
        "own (default: %(default)s)",
    )
    parser.add_argument(
        "--no-journald",
        action="store_true",
        help="no journald sink and no diagnostics to journald (standard error only)",
    )
    parser.add_argument(
        "--messages-file",
        metavar="PATH",
        help="write alerts to PATH, whatever the configuration says",
    )
    parser.add_argument(
        "--transactions",
        action="store_true",
        help='understand BEGIN/COMMIT TRANSACTION marks (rsyslog useTransactions="on")',
    )
    parser.add_argument(
        "--one-process",
        action="store_true",
        help="with --transactions, process the lines in this process too (by default a child "
        "process runs the pipeline while this one answers rsyslog)",
    )
    parser.add_argument(
        "--user",
        default="auto",
        metavar="NAME",
        help="started as root, become this user before reading a line; 'auto': lwsyslog "
        "when that user exists, else stay root with a warning; 'root' stays root "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--metrics-listen",
        default="",
        metavar="HOST:PORT",
        help="serve Prometheus metrics on HOST:PORT, whatever [metrics] listen says (give "
        "each omprog shard its own port)",
    )
    parser.add_argument(
        "--stats-interval-secs",
        type=seconds,
        default=60.0,
        metavar="SECS",
        help="write a stats line to standard error this often (default: %(default)s)",
    )
    parser.add_argument(
        "--stats-every-lines",
        type=positive_int,
        default=100_000,
        metavar="N",
        help="and after every N lines (default: %(default)s)",
    )
    return parser


def parse_options(argv: Sequence[str] | None = None) -> Options:
    """Parse the command line (``argparse`` exits 2 on a usage error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.instance.replace("-", "").replace("_", "").isalnum():
        parser.error("--instance takes letters, digits, '-' and '_' only")
    if args.metrics_listen:
        try:
            split_listen(args.metrics_listen)
        except ValueError as error:
            parser.error(f"--metrics-listen: {error}")
    return Options(
        config_files=tuple(Path(path) for path in args.config),
        state_dir=args.state_dir,
        instance=args.instance,
        journald=not args.no_journald,
        messages_file=args.messages_file,
        transactions=args.transactions,
        one_process=args.one_process,
        stats_interval_secs=max(args.stats_interval_secs, 0.1),
        stats_every_lines=args.stats_every_lines,
        user=args.user,
        metrics_listen=args.metrics_listen,
    )
