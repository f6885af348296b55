"""``lwsyslog rules``: every rule of every configured source, with its settings."""

from __future__ import annotations

import argparse
import json

from lwsyslog import compiled
from lwsyslog.cli.common import add_config_options, config_from_args
from lwsyslog.crawlers import crawler_rule_info
from lwsyslog.detection.catalog import load_detection
from lwsyslog.detection.interface import RuleInfo
from lwsyslog.hosts import host_rule_infos
from lwsyslog.matching import dbcache
from lwsyslog.omprog.options import DEFAULT_STATE_DIR
from lwsyslog.sanitize import sanitize
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
            "it detects. Disabled rules are marked. With --cve: the CVEs the rules recognise "
            "(the known-exploit rule pack, built-in and Sigma rules that name one)."
        ),
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per rule")
    parser.add_argument(
        "--cve",
        nargs="?",
        const="",
        metavar="CVE-YYYY-NNNN",
        help="list the CVEs covered and the rules for each (or only this CVE's rules)",
    )
    add_config_options(parser)
    parser.set_defaults(func=run)


_NO_CATEGORY = {"event": "(from findings)", "threshold": "(from findings)", "health": "(health)"}


def _row(info: RuleInfo, config: Config) -> dict[str, object]:
    severity = info.severity
    if info.kind == "event":
        severity = config.rule_settings(info.id).severity or severity
    return {
        "id": info.id,
        "kind": info.kind,
        "categories": list(config.rule_settings(info.id).categories_or(info.categories))
        or [_NO_CATEGORY[info.kind]],
        "severity": severity.value,
        "enabled": info.enabled,
        "source": info.source,
        "description": info.description,
        **({"cve": list(info.cves)} if info.cves else {}),
    }


def _text(row: dict[str, object], key: str) -> str:
    """A text of the row for the table, escaped: ids, titles and file names come from rule
    files, which are third-party text."""
    return sanitize(str(row[key]))


def _by_cve(infos: list[RuleInfo], wanted: str) -> dict[str, list[RuleInfo]]:
    found: dict[str, list[RuleInfo]] = {}
    for info in infos:
        for cve in info.cves:
            if not wanted or cve.upper() == wanted.upper():
                found.setdefault(cve, []).append(info)
    return dict(sorted(found.items(), key=lambda item: _cve_order(item[0])))


def _cve_order(cve: str) -> tuple[int, int]:
    _, year, number = cve.split("-", 2)
    return int(year), int(number)


def _print_cves(detection_rules: list[RuleInfo], args: argparse.Namespace, config: Config) -> int:
    """The CVE table: each covered CVE with its rules (``--cve``)."""
    covered = _by_cve(detection_rules, args.cve)
    if not covered:
        wanted = sanitize(args.cve) if args.cve else "a CVE"
        print(f"no loaded rule names {wanted}")
        return 1
    for cve, infos in covered.items():
        rows = [_row(info, config) for info in infos]
        if args.json:
            print(json.dumps({"cve": cve, "rules": rows}))
            continue
        for row in rows:
            state = "" if row["enabled"] else " [disabled]"
            print(
                f"{sanitize(cve):<16} {_text(row, 'id'):<44} {row['severity']:<8} "
                f"{_text(row, 'description')}{state}"
            )
    if not args.json:
        rules = {info.id for infos in covered.values() for info in infos}
        print(f"# {len(covered)} CVEs, {len(rules)} rules")
    return 0


def run(args: argparse.Namespace) -> int:
    """Print the rule table (with configured severities and on/off state)."""
    config = config_from_args(args)
    detection = load_detection(config)
    settled = detection.configured(config)
    if args.cve is not None:
        return _print_cves(list(detection.rules), args, settled)
    infos = [*detection.rules, *host_rule_infos(settled.hosts), crawler_rule_info(settled.crawlers)]
    rows = [_row(info, settled) for info in infos]
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    print(f"# matching engine: {detection.engine}")
    print(f"# per-line code: {compiled.describe()}")
    print(
        f"# matching database cache: {dbcache.describe(config.database_cache, DEFAULT_STATE_DIR)}"
    )
    print(f"{'ID':<44} {'KIND':<9} {'SEVERITY':<8} {'CATEGORIES':<28} DESCRIPTION (SOURCE)")
    for row in rows:
        categories = sanitize(",".join(row["categories"]))  # type: ignore[arg-type]
        state = "" if row["enabled"] else " [disabled]"
        source = "" if row["source"] == "built-in" else f" ({_text(row, 'source')})"
        print(
            f"{_text(row, 'id'):<44} {row['kind']:<9} {row['severity']:<8} {categories:<28} "
            f"{_text(row, 'description')}{source}{state}"
        )
    return 0
