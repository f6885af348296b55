"""``lwsyslog rules``: every rule of every configured source, with its settings."""

from __future__ import annotations

import argparse
import json

from lwsyslog.cli.common import add_config_options, config_from_args
from lwsyslog.detection.catalog import load_detection
from lwsyslog.detection.interface import RuleInfo
from lwsyslog.settings import Config

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``rules`` sub-command."""
    parser = subparsers.add_parser(
        "rules",
        help="list detection and threshold rules",
        description=(
            "List every rule lwsyslog would run with this configuration: the built-in event "
            "rules, the threshold rules and the rules of every configured source (Sigma), "
            "with kind, configured severity, categories, where the rule comes from and what "
            "it detects. Disabled rules are marked."
        ),
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per rule")
    add_config_options(parser)
    parser.set_defaults(func=run)


def _row(info: RuleInfo, config: Config) -> dict[str, object]:
    severity = info.severity
    if info.kind == "event":
        severity = config.rule_settings(info.id).severity or severity
    return {
        "id": info.id,
        "kind": info.kind,
        "categories": list(info.categories) or ["(from findings)"],
        "severity": severity.value,
        "enabled": info.enabled,
        "source": info.source,
        "description": info.description,
    }


def run(args: argparse.Namespace) -> int:
    """Print the rule table (with configured severities and on/off state)."""
    config = config_from_args(args)
    detection = load_detection(config)
    settled = detection.configured(config)
    rows = [_row(info, settled) for info in detection.rules]
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    print(f"# matching engine: {detection.engine}")
    print(f"{'ID':<44} {'KIND':<9} {'SEVERITY':<8} {'CATEGORIES':<28} DESCRIPTION (SOURCE)")
    for row in rows:
        categories = ",".join(row["categories"])  # type: ignore[arg-type]
        state = "" if row["enabled"] else " [disabled]"
        source = "" if row["source"] == "built-in" else f" ({row['source']})"
        print(
            f"{row['id']:<44} {row['kind']:<9} {row['severity']:<8} {categories:<28} "
            f"{row['description']}{source}{state}"
        )
    return 0
