"""``lwsyslog rules``: every rule with its categories, severity and description."""

from __future__ import annotations

import argparse
import json

from lwsyslog.cli.common import add_config_options, config_from_args
from lwsyslog.rules.registry import ALL_RULES
from lwsyslog.thresholds import THRESHOLD_RULES

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``rules`` sub-command."""
    parser = subparsers.add_parser("rules", help="list detection and threshold rules")
    parser.add_argument("--json", action="store_true", help="one JSON object per rule")
    add_config_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the rule table (with configured severities and on/off state)."""
    config = config_from_args(args)
    rows: list[dict[str, object]] = []
    for rule in ALL_RULES:
        settings = config.rule_settings(rule.id)
        rows.append(
            {
                "id": rule.id,
                "kind": "event",
                "categories": list(rule.categories),
                "severity": (settings.severity or rule.severity).value,
                "enabled": settings.enabled,
                "description": rule.description,
            }
        )
    for threshold in THRESHOLD_RULES:
        tsettings = config.thresholds.get(threshold.id)
        rows.append(
            {
                "id": threshold.id,
                "kind": "threshold",
                "categories": list(threshold.categories) or ["(from findings)"],
                "severity": tsettings.severity.value if tsettings else "-",
                "enabled": bool(tsettings and tsettings.enabled),
                "description": (
                    f"{threshold.description} ({tsettings.count} in {tsettings.window_secs:g}s)"
                    if tsettings
                    else threshold.description
                ),
            }
        )
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    print(f"{'ID':<32} {'KIND':<9} {'SEVERITY':<8} {'CATEGORIES':<28} DESCRIPTION")
    for row in rows:
        categories = ",".join(row["categories"])  # type: ignore[arg-type]
        state = "" if row["enabled"] else " [disabled]"
        print(
            f"{row['id']:<32} {row['kind']:<9} {row['severity']:<8} {categories:<28} "
            f"{row['description']}{state}"
        )
    return 0
