"""Options and helpers shared by sub-commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from lwsyslog.config import DEFAULT_PATHS, load_config
from lwsyslog.settings import Config

__all__ = ["add_config_options", "add_input_options", "config_from_args"]


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """``--config FILE`` (repeatable) and ``--no-system-config``."""
    system = " and ".join(str(path) for path in DEFAULT_PATHS)
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="FILE",
        help=f"TOML file merged over the built-in defaults (repeatable); replaces {system}",
    )
    parser.add_argument(
        "--no-system-config",
        action="store_true",
        help=f"read neither {system}: built-in defaults and --config files only",
    )


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """``--log`` and ``--format``: how to read lines, over the configuration."""
    parser.add_argument(
        "--log",
        choices=("auto", "access", "error"),
        help="force the log kind (default: [input] log, which is auto: each line on its own)",
    )
    parser.add_argument(
        "--format",
        metavar="NAME|LOGFORMAT",
        help=(
            "access-log format: common, combined, vhost_combined, vhost_combined_noport, "
            "vhost_common, referer, agent, or a LogFormat string (default: [input] "
            "access_formats)"
        ),
    )


def config_from_args(args: argparse.Namespace) -> Config:
    """Load configuration (``--config`` files if given, else /etc/lwsyslog unless
    ``--no-system-config``), then apply ``--log`` / ``--format`` when the command has them."""
    files: list[Path] | None = [Path(path) for path in args.config]
    if not files and not getattr(args, "no_system_config", False):
        files = None
    return load_config(
        files, log=getattr(args, "log", None), access_format=getattr(args, "format", None)
    )
