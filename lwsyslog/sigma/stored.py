"""Described Sigma rules kept between runs, so a start with unchanged rule files needs
neither pySigma nor PyYAML.

Reading SigmaHQ's 87 web rules cost every ``lwsyslog scan`` about 0.1 s of CPU before the
first line: importing pySigma (and pyparsing under it), parsing the YAML, describing the
rules. Once a set of files loaded without an error, its description
(:mod:`lwsyslog.sigma.ir`) is stored as JSON in the process's database cache
(:mod:`lwsyslog.matching.dbcache`, with the same trust checks) under the SHA-256 of
everything it depends on (:func:`rules_key`): the files' names and bytes in load order, the
pySigma that read them, the Python and the version and files of the lwsyslog package. A later
start with the same files finds the entry; a changed, added or removed file finds none and
is read whole (a malformed rule is still an error naming its file), and a payload this code
cannot read is ignored. A process without a cache (``lwsyslog rules``, ``check-config``, the
library) always reads the files.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lwsyslog
from lwsyslog.codestamp import code_stamp
from lwsyslog.matching import dbcache
from lwsyslog.severity import Severity
from lwsyslog.sigma.ir import CorrelationIR, RuleIR, RuleSetIR

__all__ = ["dump", "pysigma_version", "rules_key", "rules_of"]

_FORMAT = b"lwsyslog described Sigma rules 1"


def pysigma_version() -> str | None:
    """The installed pySigma's version (``None`` when it is not installed).

    Read from the name of its ``dist-info`` directory: ``importlib.metadata`` would cost
    about 25 ms of imports, a quarter of what a stored description saves.
    """
    spec = importlib.util.find_spec("sigma")
    if spec is None or not spec.submodule_search_locations:
        return None
    site = Path(next(iter(spec.submodule_search_locations))).parent
    try:
        names = os.listdir(site)
    except OSError:
        names = []
    for name in names:
        folded = name.lower()
        if folded.startswith("pysigma-") and folded.endswith(".dist-info"):
            return name[len("pysigma-") : -len(".dist-info")]
    from importlib import metadata  # noqa: PLC0415  (installed some other way: rare)

    try:
        return metadata.version("pySigma")
    except metadata.PackageNotFoundError:
        return None


def rules_key(files: Sequence[tuple[Path, bytes]], pysigma: str) -> str:
    """The cache key of rule files ``(path, bytes)``, in load order, read by ``pysigma``."""
    parts = [
        _FORMAT,
        lwsyslog.__version__.encode(),
        sys.version.encode(),
        code_stamp(),
        pysigma.encode(),
    ]
    for path, data in files:
        parts += [str(path).encode(), data]
    return dbcache.cache_key(*parts)


def dump(description: RuleSetIR) -> bytes:
    """The stored form of a description (JSON)."""
    record = {
        "rules": [_rule_record(rule) for rule in description.rules],
        "correlations": [_correlation_record(item) for item in description.correlations],
        "unsupported": description.unsupported,
        "other_logsources": description.other_logsources,
    }
    return json.dumps(record, separators=(",", ":")).encode()


def _rule_record(rule: RuleIR) -> dict[str, Any]:
    return {
        "id": rule.id,
        "sigma_id": rule.sigma_id,
        "title": rule.title,
        "level": rule.level,
        "severity": rule.severity.value,
        "categories": rule.categories,
        "logs": sorted(rule.logs),
        "file": rule.file,
        "cves": rule.cves,
        "standalone": rule.standalone,
        "conditions": rule.conditions,
        "requirements": {
            log: None if literals is None else sorted(literals)
            for log, literals in rule.requirements.items()
        },
    }


def _correlation_record(correlation: CorrelationIR) -> dict[str, Any]:
    return {
        "id": correlation.id,
        "sigma_id": correlation.sigma_id,
        "title": correlation.title,
        "level": correlation.level,
        "file": correlation.file,
        "categories": correlation.categories,
        "severity": correlation.severity.value,
        "alert_count": correlation.alert_count,
        "window_secs": correlation.window_secs,
        "group_by": correlation.group_by,
    }


def rules_of(payload: bytes) -> RuleSetIR | None:
    """The description stored in ``payload`` (``None`` when it holds none this code reads)."""
    try:
        record = json.loads(payload)
        return RuleSetIR(
            tuple(_rule(item) for item in record["rules"]),
            tuple(_correlation(item) for item in record["correlations"]),
            tuple((str(file), str(reason)) for file, reason in record["unsupported"]),
            tuple((str(file), str(reason)) for file, reason in record["other_logsources"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _rule(record: dict[str, Any]) -> RuleIR:
    return RuleIR(
        id=record["id"],
        sigma_id=record["sigma_id"],
        title=record["title"],
        level=record["level"],
        severity=Severity(record["severity"]),
        categories=tuple(record["categories"]),
        logs=frozenset(record["logs"]),
        file=record["file"],
        cves=tuple(record["cves"]),
        standalone=bool(record["standalone"]),
        conditions=tuple(record["conditions"]),
        requirements={
            log: None if literals is None else frozenset((f, lit) for f, lit in literals)
            for log, literals in record["requirements"].items()
        },
    )


def _correlation(record: dict[str, Any]) -> CorrelationIR:
    return CorrelationIR(
        id=record["id"],
        sigma_id=record["sigma_id"],
        title=record["title"],
        level=record["level"],
        file=record["file"],
        categories=tuple(record["categories"]),
        severity=Severity(record["severity"]),
        alert_count=int(record["alert_count"]),
        window_secs=float(record["window_secs"]),
        group_by=tuple(
            (rule_id, tuple((label, field) for label, field in fields))
            for rule_id, fields in record["group_by"]
        ),
    )
