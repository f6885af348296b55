"""Options and helpers shared by sub-commands."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from lwsyslog.config import Config, load_config

__all__ = ["add_config_options", "add_input_options", "config_from_args"]


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """``--config FILE`` (repeatable) and ``--no-system-config``."""
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="FILE",
        help="TOML file merged over the defaults (repeatable; replaces /etc/lwsyslog files)",
    )


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """``--log`` and ``--format``: how to read lines, over the configuration."""
    parser.add_argument("--log", choices=("auto", "access", "error"), help="force the log kind")
    parser.add_argument(
        "--format",
        metavar="NAME|LOGFORMAT",
        help=(
            "access-log format: common, combined, vhost_combined, vhost_combined_noport, "
            "vhost_common, referer, agent, or a LogFormat string"
        ),
    )


def config_from_args(args: argparse.Namespace) -> Config:
    """Load configuration (``--config`` files if given, else /etc/lwsyslog), then apply
    ``--log`` / ``--format`` when the command has them."""
    files = [Path(path) for path in args.config] if args.config else None
    config = load_config(files)
    if getattr(args, "log", None):
        config = dataclasses.replace(config, log=args.log)
    if getattr(args, "format", None):
        config = dataclasses.replace(config, access_formats=(args.format,))
    return config
