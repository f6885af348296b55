"""The rule pack as a rule source: the ``[rule_packs]`` table and how the pack is loaded.

``builtin`` (default true) loads the pack shipped with lwsyslog; ``dirs`` adds directories of
pack files read after it (a file named like a shipped one replaces it). With ``builtin =
false`` and no ``dirs`` no pack is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from lwsyslog.checks import Checker, boolean, string_list
from lwsyslog.crawlers import FAKE_CRAWLER
from lwsyslog.detection.interface import Detector
from lwsyslog.hosts import HOST_BACK, HOST_SILENT
from lwsyslog.rulepack.detector import PackDetector
from lwsyslog.rulepack.pack import SUFFIX, RulePack, builtin_dir
from lwsyslog.rules.planted import PLANTED_FETCH
from lwsyslog.rules.registry import ALL_RULES
from lwsyslog.settings import Config
from lwsyslog.thresholds import THRESHOLD_RULES

__all__ = ["PACK_SOURCE", "PackSource", "builtin_rule_ids"]


def builtin_rule_ids() -> frozenset[str]:
    """Every rule id lwsyslog itself raises alerts under: the built-in event rules (with
    webshell-planted-fetch), the threshold rules, the host rules and the fake-crawler rule.
    No pack rule may take one (its alerts, settings and ``lwsyslog rules`` row would be
    mistaken for the built-in's)."""
    return frozenset(
        {
            *(rule.id for rule in ALL_RULES),
            *(rule.id for rule in THRESHOLD_RULES),
            HOST_SILENT,
            HOST_BACK,
            FAKE_CRAWLER,
            PLANTED_FETCH,
        }
    )


class PackSource:
    """Loads the rule pack of ``[rule_packs]``."""

    name = "rule-pack"
    table = "rule_packs"
    schema: Mapping[str, Checker] = {"builtin": boolean, "dirs": string_list}

    def load(self, config: Config) -> Detector | None:
        """The pack's detector, or ``None`` when no pack is configured."""
        directories = self.paths(config)
        if not directories:
            return None
        pack = RulePack.load(directories, reserved=builtin_rule_ids())
        return PackDetector(pack, directories)

    def paths(self, config: Config) -> list[Path]:
        """The pack directories ``config`` names, in the order they are read."""
        table = config.source_table(self.table)
        directories = [builtin_dir()] if table.get("builtin", True) else []
        return directories + [Path(path) for path in table.get("dirs", [])]

    def files(self, config: Config) -> list[Path]:
        """The pack files the directories of ``config`` hold (a directory that cannot be
        listed stands for itself: loading it reports why)."""
        found: list[Path] = []
        for directory in self.paths(config):
            try:
                found += sorted(
                    p for p in directory.iterdir() if p.suffix == SUFFIX and p.is_file()
                )
            except OSError:
                found.append(directory)
        return found


PACK_SOURCE = PackSource()
