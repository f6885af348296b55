"""``lwsyslog check-config``: validate the configuration without running."""

from __future__ import annotations

import argparse

from lwsyslog.cli.common import add_config_options, config_from_args
from lwsyslog.formats import LineParser

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``check-config`` sub-command."""
    parser = subparsers.add_parser(
        "check-config", help="validate configuration files and formats, then exit"
    )
    add_config_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load and validate everything a run would; errors exit 2 via the CLI's error handler."""
    config = config_from_args(args)
    LineParser(config.log, config.access_formats)  # type: ignore[arg-type]  # compiles formats
    print("configuration OK: " + ", ".join(config.files))
    enabled = sum(1 for s in config.thresholds.values() if s.enabled)
    print(f"access formats: {', '.join(config.access_formats)}; thresholds enabled: {enabled}")
    return 0
