"""``lwsyslog`` entry point: one sub-command per module, listed here explicitly."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from lwsyslog import __version__, collector
from lwsyslog.cli import streams
from lwsyslog.cli.messages import say
from lwsyslog.errors import LwsyslogError
from lwsyslog.sanitize import sanitize

__all__ = ["COMMANDS", "build_parser", "main"]

EXIT_USAGE = 2

#: Each sub-command: its name, the module that registers it (``register(subparsers)``, which
#: sets ``func`` on its parser) and its one-line help, shown by ``lwsyslog --help``. Only the
#: module of the command being run is imported: ``lwsyslog alerts`` need not load the
#: detection engine, nor ``lwsyslog scan`` the report page.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("demo", "demo_cmd", "run the whole chain on this machine against scripted attacks (root)"),
    ("scan", "scan_cmd", "scan Apache log files for attacks"),
    ("alerts", "alerts_cmd", "query the alert store"),
    ("report", "report_cmd", "digest of the alert store over a period"),
    (
        "explain",
        "explain_cmd",
        "show parsed fields, decoding, triage and every rule's verdict for one line",
    ),
    ("rules", "rules_cmd", "list detection and threshold rules"),
    (
        "check-config",
        "check_config_cmd",
        "validate configuration files, formats and rule sources, then exit",
    ),
    ("certs", "certs_cmd", "make the site CA and TLS certificates for the RELP chain"),
    ("setup", "setup_cmd", "install the rsyslog drop-in for a web host or the central server"),
    (
        "status",
        "status_cmd",
        "is the chain healthy here? what is wrong, in plain words (exit 1 if anything)",
    ),
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors show what was typed escaped.

    argparse quotes some values with repr() but writes others raw ("unrecognized arguments:
    ..."); its sub-command parsers are made of this class too.
    """

    def error(self, message: str) -> NoReturn:
        """Print the usage and the escaped ``message``; exit 2."""
        super().error(sanitize(message))


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: every sub-command in full, or with ``command`` only that one
    (the others are listed by name and help)."""
    parser = _Parser(
        prog="lwsyslog", description="Apache log security monitor for the rsyslog stack."
    )
    parser.add_argument("--version", action="version", version=f"lwsyslog {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module, help_text in COMMANDS:
        if command is None or command == name:
            importlib.import_module(f"lwsyslog.cli.{module}").register(subparsers)
        else:
            subparsers.add_parser(name, help=help_text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    streams.guard()
    words = sys.argv[1:] if argv is None else list(argv)
    chosen = next((word for word in words if not word.startswith("-")), None)
    known = {name for name, _, _ in COMMANDS}
    with collector.paused():  # importing the command's modules: see lwsyslog.collector
        parser = build_parser(chosen if chosen in known else None)
        args = parser.parse_args(words)
    try:
        status: int = args.func(args)
    except LwsyslogError as error:
        say(f"error: {error}")
        status = EXIT_USAGE
    except KeyboardInterrupt:
        status = 130
    except OSError as error:
        # Standard output closed or full, or a file error a command let through: one line.
        return streams.output_failure(error)
    return streams.finish(status)


if __name__ == "__main__":
    sys.exit(main())
