"""A rule pack: the pack files of the package's data directory and of configured directories.

Files are read in name order from the package's own pack (``lwsyslog/data/rulepack``) and
then from each configured directory in turn. A file whose name a later directory also has is
replaced by that later file whole: copying a newer ``apache-httpd.toml`` into
``/etc/lwsyslog/rulepack.d`` updates the Apache rules without upgrading lwsyslog. Two files
defining one rule id is an error naming both, and so is a rule id a built-in rule has.

Every rule's samples are checked when the pack loads: a ``must_match`` target the rule does
not match (or that its literal text would not select), or a ``must_not_match`` target it
does match, stops loading with the file and the line of the rule. A process with a database
cache keeps the rules of files that passed and reads them back while the files are unchanged
(:mod:`lwsyslog.rulepack.stored`).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lwsyslog.canonical import CANONICAL_FIELDS
from lwsyslog.detection.plan import strongest_clause
from lwsyslog.errors import RuleError
from lwsyslog.matching import dbcache
from lwsyslog.normalize import EventView
from lwsyslog.rulepack import stored
from lwsyslog.rulepack.schema import PackRule, pack_bytes, pack_text, parse_pack
from lwsyslog.rules.samples import AccessSample

__all__ = [
    "FORMS",
    "SUFFIX",
    "RulePack",
    "builtin_dir",
    "match_sample",
    "read_fields",
    "shown_field",
]

SUFFIX = ".toml"


def builtin_dir() -> Path:
    """The pack shipped with lwsyslog."""
    return Path(str(resources.files("lwsyslog").joinpath("data/rulepack")))


#: The fields a rule naming a field reads: the field itself, then its canonical forms.
FORMS = {
    "path": ("path", "canonical_path", "servlet_path", "traversal_path"),
    "target": ("target", "canonical_target", "servlet_target", "traversal_target"),
}


def read_fields(rule: PackRule) -> tuple[str, ...]:
    """Every field ``rule`` is searched on, in the order a verdict prefers them: each field
    it names, and after a ``path`` or ``target`` the canonical forms of it."""
    return tuple(name for field in rule.fields for name in FORMS.get(field, (field,)))


def shown_field(field: str) -> str:
    """The field a finding names for a match in ``field`` (a canonical form: its field)."""
    return CANONICAL_FIELDS.get(field, field)


def match_sample(rule: PackRule, sample: AccessSample) -> tuple[str, str] | None:
    """``(field, fragment)`` when ``rule`` matches ``sample`` (no literal prefilter), the
    field searched (a canonical form of a path or target: ``canonical_path``...)."""
    event = sample.to_event()
    if not rule.applies(event.method, event.status):
        return None
    view = EventView(event)
    for field in read_fields(rule):
        text = view.lower(field)
        if text:
            fragment = rule.search.search(text)
            if fragment is not None:
                return field, fragment
    return None


def _selected(rule: PackRule, sample: AccessSample, field: str) -> bool:
    """True when the literal scan would select ``rule`` on the sample's ``field``."""
    text = EventView(sample.to_event()).lower(field)
    return all(
        any(literal in text for literal in group) for group in strongest_clause(rule.requirement)
    )


def _check_samples(rule: PackRule) -> None:
    def fail(key: str, problem: str) -> RuleError:
        line = rule.lines.get(key, rule.line)
        return RuleError(f"{rule.file}:{line}: [[rule]] {rule.id}: key '{key}': {problem}")

    for sample in rule.must_match:
        hit = match_sample(rule, sample)
        if hit is None:
            raise fail("must_match", f"{sample.target!r} does not match")
        if not _selected(rule, sample, hit[0]):
            raise fail(
                "pattern",
                f"the literal text of the pattern is not in {sample.target!r}, which it "
                "matches (the pattern's literals are wrong)",
            )
    for sample in rule.must_not_match:
        if match_sample(rule, sample) is not None:
            raise fail("must_not_match", f"{sample.target!r} matches")


class RulePack:
    """The rules of the pack files found in ``directories`` (later files replace earlier
    files of the same name)."""

    def __init__(self, rules: Sequence[PackRule], files: Sequence[Path]) -> None:
        self.rules = tuple(rules)
        self.files = tuple(files)

    @classmethod
    def load(cls, directories: Sequence[Path], reserved: Collection[str] = ()) -> RulePack:
        """Read, check and sample-test every pack file of ``directories``.

        ``reserved`` holds ids no pack rule may take (the built-in rules'). Raises
        :class:`RuleError` naming the file, line and key of the first problem. A process that
        loads the same unchanged files again (each pipeline a test builds) gets the rules read
        the first time.
        """
        chosen: dict[str, Path] = {}
        for directory in directories:
            for path in _pack_files(directory):
                chosen[path.name] = path
        files = tuple(chosen[name] for name in sorted(chosen))
        stamp = tuple((str(path), *_stamp(path)) for path in files)
        return cls(_read(stamp, frozenset(reserved)), files)

    def cves(self) -> dict[str, list[PackRule]]:
        """The rules naming each CVE, by CVE id."""
        found: dict[str, list[PackRule]] = {}
        for rule in self.rules:
            for cve in rule.cves:
                found.setdefault(cve, []).append(rule)
        return found

    def with_categories(self, categories: Mapping[str, tuple[str, ...]]) -> RulePack:
        """This pack with the categories of the rules named in ``categories`` replaced."""
        return RulePack(
            [
                replace(rule, categories=categories[rule.id]) if rule.id in categories else rule
                for rule in self.rules
            ],
            self.files,
        )

    def without(self, disabled: Iterable[str]) -> RulePack:
        """This pack without the rules whose ids are in ``disabled``."""
        off = frozenset(disabled)
        return RulePack([rule for rule in self.rules if rule.id not in off], self.files)


def _stamp(path: Path) -> tuple[int, int]:
    try:
        status = path.stat()
    except OSError as error:
        raise RuleError(f"{path}: cannot read rule pack: {error}") from None
    return status.st_mtime_ns, status.st_size


@lru_cache(maxsize=8)
def _read(stamp: tuple[tuple[str, int, int], ...], reserved: frozenset[str]) -> list[PackRule]:
    files = [(name, pack_bytes(Path(name))) for name, _, _ in stamp]
    store = dbcache.active()
    key = stored.pack_key(files, reserved) if store is not None else ""
    texts = {name: pack_text(Path(name), data) for name, data in files}
    payload = store.get(key) if store is not None else None
    if payload is not None:
        rules = stored.rules_of(payload, texts)
        if rules is not None:
            return rules
    rules = _check(texts, reserved)
    if store is not None:
        store.put(key, stored.dump(rules))
    return rules


def _check(texts: Mapping[str, str], reserved: frozenset[str]) -> list[PackRule]:
    """Every rule of the files (texts by name), each checked and sample-tested."""
    rules: list[PackRule] = []
    owner: dict[str, PackRule] = {}
    for name, text in texts.items():
        for rule in parse_pack(Path(name), text):
            if rule.id in reserved:
                raise RuleError(
                    f"{_where(rule)}: [[rule]] {rule.id}: key 'id': a built-in rule has this id"
                )
            other = owner.get(rule.id)
            if other is not None:
                raise RuleError(
                    f"{_where(rule)}: [[rule]] {rule.id}: key 'id': also defined in {_where(other)}"
                )
            owner[rule.id] = rule
            _check_samples(rule)
            rules.append(rule)
    return rules


def _where(rule: PackRule) -> str:
    """``file:line`` of the rule's id."""
    return f"{rule.file}:{rule.lines.get('id', rule.line)}"


def _pack_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise RuleError(f"{directory}: no such rule-pack directory")
    if not os.access(directory, os.R_OK | os.X_OK):
        raise RuleError(f"{directory}: not readable (permission denied)")
    return sorted(path for path in directory.iterdir() if path.suffix == SUFFIX and path.is_file())
