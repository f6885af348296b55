"""Sigma rules as a rule source: the ``[sigma]`` table and how its rules are loaded.

Importing this module does not import pySigma: only :meth:`SigmaSource.load` does, when
``[sigma] rule_dirs`` is set and the rule files are not already described in the process's
database cache (:mod:`lwsyslog.sigma.stored`), so the ``sigma`` extra stays optional.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from lwsyslog.checks import Checker, choice, string_list
from lwsyslog.detection.interface import Detector
from lwsyslog.errors import ConfigError, RuleError
from lwsyslog.settings import Config

__all__ = ["SIGMA_SOURCE", "SUFFIXES", "SigmaSource"]

#: The name endings of the Sigma rule files a rule directory is searched for.
SUFFIXES = (".yml", ".yaml")


class SigmaSource:
    """Loads the Sigma rules of ``[sigma] rule_dirs``.

    ``on_unsupported`` decides what a Sigma rule for the Apache logs that lwsyslog cannot
    evaluate (a field it cannot map, an unsupported modifier or correlation) does: ``error``
    (the default) stops loading with the file and the reason, ``skip`` leaves the rule out.
    Rules for other products' logs (Windows, proxies...) are always left out.
    """

    name = "sigma"
    table = "sigma"
    schema: Mapping[str, Checker] = {
        "rule_dirs": string_list,
        "on_unsupported": choice("error", "skip"),
    }

    def load(self, config: Config) -> Detector | None:
        """The Sigma detector, or ``None`` when no rule directory is configured."""
        table = config.source_table(self.table)
        paths = self.paths(config)
        if not paths:
            return None
        for path in paths:
            problem = _unreadable(path)
            if problem:
                place = config.location(self.table, "rule_dirs")
                raise ConfigError(
                    f"{path}: {problem}",
                    file=place.file,
                    line=place.line,
                    table=self.table,
                    key="rule_dirs",
                )
        from lwsyslog.sigma.detector import SigmaDetector  # noqa: PLC0415
        from lwsyslog.sigma.ruleset import SigmaRuleSet  # noqa: PLC0415

        try:
            # pySigma is the optional "sigma" extra: the load imports it when it reads files.
            ruleset = SigmaRuleSet.load(paths)
        except ImportError as error:
            raise RuleError(
                f"[sigma] rule_dirs is set but pySigma is missing ({error}); "
                "install it with: pip install 'lwsyslog[sigma]'"
            ) from None
        if ruleset.unsupported and table.get("on_unsupported", "error") == "error":
            file, reason = ruleset.unsupported[0]
            more = len(ruleset.unsupported) - 1
            raise RuleError(
                f"{file}: Sigma rule not supported: {reason}"
                + (f" (and {more} more)" if more else "")
                + '; set [sigma] on_unsupported = "skip" to leave such rules out'
            )
        return SigmaDetector(ruleset, paths)

    def paths(self, config: Config) -> list[Path]:
        """The Sigma rule files and directories ``config`` names."""
        return [Path(path) for path in config.source_table(self.table).get("rule_dirs", [])]

    def files(self, config: Config) -> list[Path]:
        """The Sigma rule files ``config`` names, and those its directories hold (a path that
        is not a directory stands for itself, whether or not it exists)."""
        found: list[Path] = []
        for path in self.paths(config):
            if path.is_dir():
                found += sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
            else:
                found.append(path)
        return found


def _unreadable(path: Path) -> str | None:
    """Why the rule file or directory ``path`` cannot be read, or ``None``."""
    if not path.exists():
        return "no such Sigma rule file or directory"
    if not os.access(path, os.R_OK | (os.X_OK if path.is_dir() else 0)):
        return "not readable (permission denied)"
    return None


SIGMA_SOURCE = SigmaSource()
