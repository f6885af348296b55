"""A checked rule pack kept between runs, so a start reads unchanged pack files without
checking them again.

Checking the shipped pack (TOML, 179 patterns compiled by ``re`` and RE2, their literal text,
every ``must_match`` and ``must_not_match`` sample) took ~90 ms of every ``lwsyslog scan``'s
start. Once a set of pack files has passed every check, its rules are stored in the process's
database cache (:mod:`lwsyslog.matching.dbcache`, with the same trust checks) under the
SHA-256 of everything the checks depend on (:func:`pack_key`): the files' names and bytes, the
ids no pack rule may take, the Python and RE2 in use, and the version and the files of the
lwsyslog package (modules and data tables). A later start with the same files finds the
entry and builds the rules from it; each pattern is then compiled when a line first needs
it. A changed or new file finds no entry and is checked whole, so a bad pattern is reported
at load with its file, line and key as before; a process without a cache (``lwsyslog rules``,
``check-config``, the library) always checks.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import lwsyslog
from lwsyslog.codestamp import code_stamp
from lwsyslog.matching import dbcache
from lwsyslog.rulepack.schema import KeyLines, PackRule, Where
from lwsyslog.rules.samples import AccessSample
from lwsyslog.severity import Severity

__all__ = ["dump", "pack_key", "rules_of"]

_FORMAT = b"lwsyslog checked rule pack 1"


def pack_key(files: Sequence[tuple[str, bytes]], reserved: frozenset[str]) -> str:
    """The cache key of pack files ``(name, bytes)`` checked against ``reserved`` ids."""
    parts = [_FORMAT, lwsyslog.__version__.encode(), sys.version.encode(), code_stamp()]
    parts.append("\n".join(sorted(reserved)).encode())
    for name, data in files:
        parts += [name.encode(), data]
    return dbcache.cache_key(*parts)


def dump(rules: Sequence[PackRule]) -> bytes:
    """The stored form of checked rules (JSON)."""
    return json.dumps([_record(rule) for rule in rules], separators=(",", ":")).encode()


def _record(rule: PackRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "title": rule.title,
        "product": rule.product,
        "cves": rule.cves,
        "severity": rule.severity.value,
        "categories": rule.categories,
        "fields": rule.fields,
        "source": rule.source,
        "requirement": [sorted(group) for group in rule.requirement],
        "methods": sorted(rule.methods),
        "probe_only": rule.probe_only,
        "references": rule.references,
        "must_match": [_sample(sample) for sample in rule.must_match],
        "must_not_match": [_sample(sample) for sample in rule.must_not_match],
        "file": rule.file,
        "line": rule.line,
        "not_found_only": rule.not_found_only,
        "index": rule.lines.index if isinstance(rule.lines, KeyLines) else 0,
        "keys": list(rule.lines),
    }


_SAMPLE_DEFAULTS = tuple((item.name, item.default) for item in fields(AccessSample))


def _sample(sample: AccessSample) -> dict[str, Any]:
    """A sample's fields that differ from the defaults (most are the default)."""
    return {
        name: value
        for name, default in _SAMPLE_DEFAULTS
        if (value := getattr(sample, name)) != default
    }


def rules_of(payload: bytes, texts: dict[str, str]) -> list[PackRule] | None:
    """The rules stored in ``payload`` (``None`` when it does not hold rules of the files
    whose texts are ``texts``, by name)."""
    try:
        records = json.loads(payload)
        wheres = {name: Where(text) for name, text in texts.items()}
        return [_rule(record, wheres) for record in records]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _rule(record: dict[str, Any], wheres: dict[str, Where]) -> PackRule:
    return PackRule(
        id=record["id"],
        title=record["title"],
        product=record["product"],
        cves=tuple(record["cves"]),
        severity=Severity(record["severity"]),
        categories=tuple(record["categories"]),
        fields=tuple(record["fields"]),
        source=record["source"],
        requirement=tuple(frozenset(group) for group in record["requirement"]),
        methods=frozenset(record["methods"]),
        probe_only=record["probe_only"],
        references=tuple(record["references"]),
        must_match=tuple(AccessSample(**sample) for sample in record["must_match"]),
        must_not_match=tuple(AccessSample(**sample) for sample in record["must_not_match"]),
        file=record["file"],
        line=record["line"],
        not_found_only=record["not_found_only"],
        lines=KeyLines(wheres[record["file"]], record["index"], tuple(record["keys"])),
    )
