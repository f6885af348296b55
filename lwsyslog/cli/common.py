"""Options and helpers shared by sub-commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from lwsyslog.config import Config, load_config

__all__ = ["add_config_options", "config_from_args"]


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """``--config FILE`` (repeatable) and ``--no-system-config``."""
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="FILE",
        help="TOML file merged over the defaults (repeatable; replaces /etc/lwsyslog files)",
    )


def config_from_args(args: argparse.Namespace) -> Config:
    """Load configuration: ``--config`` files if given, else /etc/lwsyslog."""
    files = [Path(path) for path in args.config] if args.config else None
    return load_config(files)
