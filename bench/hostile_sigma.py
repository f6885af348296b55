"""Seeds and the ``re`` baseline for hostile lines against Sigma rules (``bench_hostile.py``).

A Sigma rule is selected by its literals, so the worst a line can do to one is to repeat a
literal: a wildcard value with ``*`` between two parts (``*/config/keystore/*.json*``)
searched by ``re`` scans the rest of the field once per repetition. :func:`sigma_seeds` gives
every literal of the configured rules; :func:`search_with_re` makes the Sigma searches run in
``re`` again, as they did before they ran in RE2, so one run can show both.
"""

from __future__ import annotations

import re
from pathlib import Path

from lwsyslog.matching.linear import LinearSearch, PatternLike
from lwsyslog.settings import Config

__all__ = ["search_with_re", "sigma_seeds"]


def sigma_seeds(config: Config) -> list[str]:
    """Every literal that selects a rule of ``config``'s ``[sigma] rule_dirs``, sorted."""
    from lwsyslog.sigma.ruleset import SigmaRuleSet  # noqa: PLC0415  (pySigma: optional)

    paths = [Path(path) for path in config.source_table("sigma").get("rule_dirs", [])]
    if not paths:
        raise SystemExit("--sigma-literals needs a config with [sigma] rule_dirs")
    rules = SigmaRuleSet.load(paths).rules
    return sorted(
        {
            literal
            for rule in rules
            for requirement in rule.requirements.values()
            for _field, literal in requirement or ()
        }
    )


def _re_search(pattern: PatternLike) -> LinearSearch:
    search = re.compile(pattern.pattern, pattern.flags).search

    def run(text: str) -> str | None:
        match = search(text)
        return None if match is None else match.group()

    return LinearSearch(run, "re", "bench: --sigma-search re", pattern)


def search_with_re() -> None:
    """Make the Sigma rules built from now on search with ``re`` (call before the pipeline)."""
    from lwsyslog.sigma import values  # noqa: PLC0415

    setattr(values, "linear_search", _re_search)  # noqa: B010  (a module's private name)
