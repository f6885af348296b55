"""The rule pack as a rule source: the ``[rule_packs]`` table and how the pack is loaded.

``builtin`` (default true) loads the pack shipped with lwsyslog; ``dirs`` adds directories of
pack files read after it (a file named like a shipped one replaces it). With ``builtin =
false`` and no ``dirs`` no pack is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from lwsyslog.checks import Checker, boolean, string_list
from lwsyslog.detection.interface import Detector
from lwsyslog.rulepack.detector import PackDetector
from lwsyslog.rulepack.pack import RulePack, builtin_dir
from lwsyslog.rules.registry import ALL_RULES
from lwsyslog.settings import Config

__all__ = ["PACK_SOURCE", "PackSource"]


class PackSource:
    """Loads the rule pack of ``[rule_packs]``."""

    name = "rule-pack"
    table = "rule_packs"
    schema: Mapping[str, Checker] = {"builtin": boolean, "dirs": string_list}

    def load(self, config: Config) -> Detector | None:
        """The pack's detector, or ``None`` when no pack is configured."""
        table = config.source_table(self.table)
        directories = [builtin_dir()] if table.get("builtin", True) else []
        directories += [Path(path) for path in table.get("dirs", [])]
        if not directories:
            return None
        pack = RulePack.load(directories, reserved={cls.id for cls in ALL_RULES})
        return PackDetector(pack, directories)


PACK_SOURCE = PackSource()
