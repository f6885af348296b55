"""``lwsyslog check-config``: load everything a run would load, then say what it found."""

from __future__ import annotations

import argparse

from lwsyslog import compiled
from lwsyslog.cli.common import add_config_options, config_from_args
from lwsyslog.client_warnings import client_warnings
from lwsyslog.crawlers import FAKE_CRAWLER
from lwsyslog.crawlers.lookups import make_resolver
from lwsyslog.detection.catalog import load_detection
from lwsyslog.hosts import HOST_BACK, HOST_SILENT
from lwsyslog.matching import dbcache
from lwsyslog.notify.settings_parse import check_rule_filters
from lwsyslog.omprog.options import DEFAULT_STATE_DIR
from lwsyslog.pipeline import parser_for
from lwsyslog.sanitize import sanitize
from lwsyslog.settings import CrawlerSettings
from lwsyslog.sinks.places import check_output_places

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``check-config`` sub-command."""
    parser = subparsers.add_parser(
        "check-config",
        help="validate configuration files, formats and rule sources, then exit",
        description=(
            "Load the configuration exactly as the omprog program and scan would: merge the "
            "files, compile the access-log formats, load every configured rule source (the "
            "built-in rules, Sigma rule directories) and check every [rules.ID] table against "
            "the rules that loaded. Exit 0 when all is well, 2 with the file, line and reason "
            "of the first problem."
        ),
    )
    add_config_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load and validate everything a run would; errors exit 2 via the CLI's error handler."""
    config = config_from_args(args)
    parser = parser_for(config)  # compiles the formats
    check_output_places(config)
    detection = load_detection(config)
    known = detection.rule_ids() | {HOST_SILENT, HOST_BACK, FAKE_CRAWLER}
    check_rule_filters(config.notify, known, file=config.files[-1])
    print("configuration OK: " + sanitize(", ".join(config.files)))
    enabled = sum(1 for s in config.thresholds.values() if s.enabled)
    formats = sanitize(", ".join(config.access_formats))
    print(f"access formats: {formats}; thresholds enabled: {enabled}")
    for warning in client_warnings(config, parser):
        print(f"warning: {sanitize(warning)}")
    print(f"matching engine: {detection.engine}")
    print(f"per-line code: {compiled.describe()}")
    print(f"matching database cache: {dbcache.describe(config.database_cache, DEFAULT_STATE_DIR)}")
    for source, where, count in detection.summary():
        origin = "" if where == source else f", from {sanitize(where)}"
        print(f"{sanitize(source)} rules: {count} enabled{origin}")
    _print_crawlers(config.crawlers)
    correlations = [i for i in detection.rules if i.kind == "threshold" and i.source != "built-in"]
    if correlations:
        print(f"threshold rules from rule sources: {len(correlations)}")
    return 0


def _print_crawlers(settings: CrawlerSettings) -> None:
    """Say whether crawler claims are verified, and check a "system" resolver can be read."""
    if not settings.active:
        print("crawler verification: off ([crawlers] verify, resolver)")
        return
    make_resolver(settings.resolver, settings.timeout_secs)
    names = ", ".join(spec.name for spec in settings.catalog)
    print(f"crawler verification: on, resolver {settings.resolver}; crawlers: {names}")
