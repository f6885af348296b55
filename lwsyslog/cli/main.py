"""``lwsyslog`` entry point: one sub-command per module, listed here explicitly."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lwsyslog import __version__
from lwsyslog.cli import (
    alerts_cmd,
    certs_cmd,
    check_config_cmd,
    demo_cmd,
    explain_cmd,
    report_cmd,
    rules_cmd,
    scan_cmd,
    setup_cmd,
    status_cmd,
)
from lwsyslog.errors import LwsyslogError

__all__ = ["main"]

EXIT_USAGE = 2

# Each module exposes register(subparsers) and sets `func` on its parser.
_COMMANDS = (
    demo_cmd,
    scan_cmd,
    alerts_cmd,
    report_cmd,
    explain_cmd,
    rules_cmd,
    check_config_cmd,
    certs_cmd,
    setup_cmd,
    status_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="lwsyslog", description="Apache log security monitor for the rsyslog stack."
    )
    parser.add_argument("--version", action="version", version=f"lwsyslog {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _COMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
    except LwsyslogError as error:
        print(f"lwsyslog: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return status


if __name__ == "__main__":
    sys.exit(main())
