"""Known-exploit rule packs: data files of rules for named products and their CVEs.

A pack is a directory of TOML files (:mod:`lwsyslog.rulepack.schema`), one per product, that
lwsyslog reads at start from its own data directory and from the directories of
``[rule_packs] dirs`` (:mod:`lwsyslog.rulepack.pack`), so the rules can be updated without
upgrading the program. The pack is one more rule source (:mod:`lwsyslog.rulepack.source`)
whose patterns the detect stage scans for together with every other rule's.
"""

from lwsyslog.rulepack.pack import RulePack
from lwsyslog.rulepack.schema import PackRule

__all__ = ["PackRule", "RulePack"]
