"""The demo command: the whole chain on this machine, attacked, and the alerts it raised.

Needs root. Starts (all on 127.0.0.1, all stopped again by pid at the end, also on ^C) a
journald in a private mount namespace, a web-host and a central rsyslogd talking RELP over TLS
with fresh certificates, a real Apache whose logs the web host follows, and the real
lwsyslog-omprog, plus a local SMTP server (STARTTLS and AUTH; needs aiosmtpd, which
bootstrap.sh installs) and a webhook receiver that checks the HMAC signature. Then it browses,
attacks (SQL injection, path traversal, a scanner, a Basic-auth brute force, Log4Shell,
Shellshock), injects two lines with logger, and prints the alerts as 'journalctl -t
lwsyslog' shows them, the messages file, the e-mails, webhook and apprise posts the receivers
got, then 'lwsyslog alerts' and 'lwsyslog report' over the alert store, and mails the
report. About 10 s. The host's own rsyslog, journal and Apache are not touched.

Exit status: 0 every expected alert arrived and reached the receivers, 1 something did not
(it is named), 2 cannot run here.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from lwsyslog.cli.argtypes import seconds
from lwsyslog.lab.demo import DemoOptions, run_demo

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``demo`` subcommand; its handler is stored as ``func`` (returns the exit code)."""
    parser = subparsers.add_parser(
        "demo",
        help="run the whole chain on this machine against scripted attacks (root)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--workdir", type=Path, metavar="DIR",
        help="write everything here (must be empty or new; kept afterwards). "
        "Default: a temporary directory, removed at the end",
    )  # fmt: skip
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary work directory for inspection"
    )
    parser.add_argument(
        "--wait-secs", type=seconds, default=30.0, metavar="S",
        help="how long to wait for the expected alerts (default 30)",
    )  # fmt: skip
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo with the parsed options; the exit status."""
    return run_demo(DemoOptions(workdir=args.workdir, keep=args.keep, wait_secs=args.wait_secs))
