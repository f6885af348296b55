"""The threshold windows' memory, checked at load: ``[alerts] memory_budget_bytes`` must hold
:data:`MIN_KEYS_PER_RULE` keys of every enabled ``[thresholds.*]`` rule.

A key's record grows with its rule's ``count`` (the window keeps that many events) and, for
the missing-page rules, with the ratio of their two windows (one tally bucket per eighth of
the shorter). The engine shares the budget among the rules, so a record larger than the budget
once made it keep a single key per rule, past the budget: ``count = 200000000`` took 3.9 GB
for a 16-line scan. Such a value is refused here, naming its file, line and key.

The threshold rules a rule source defines (a Sigma ``event_count`` correlation) share the same
budget: :mod:`lwsyslog.detection.catalog` checks them, with the built-in ones, each time the
rules are loaded (start, reload, scan, check-config); an error names the rule's file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

from lwsyslog.errors import ConfigError
from lwsyslog.settings import Location, ThresholdSettings
from lwsyslog.thresholds import THRESHOLD_RULES, ThresholdRule
from lwsyslog.thresholds.engine import key_sizes
from lwsyslog.thresholds.missing import MissingPaths
from lwsyslog.thresholds.windows import MAX_DEPTH

__all__ = ["MIN_KEYS_PER_RULE", "check_threshold_memory"]

MIN_KEYS_PER_RULE = 100
"""The fewest keys (clients, mostly) a rule must be able to hold: with fewer, any hundred
visitors push an attacker's window out. The smallest budget (1 MiB) holds 149 with the
defaults."""

_Rules = Sequence[tuple[ThresholdRule, ThresholdSettings]]


def _keys(rules: _Rules, budget: int) -> int:
    sizes, answers = key_sizes(rules)
    return budget // max(1, sum(sizes) + answers)


def _largest_count(rules: _Rules, index: int, budget: int) -> int:
    """The largest ``count`` of ``rules[index]`` that keeps enough keys (0: none does)."""

    def fits(count: int) -> bool:
        changed = list(rules)
        rule, settings = changed[index]
        changed[index] = (rule, dataclasses.replace(settings, count=count))
        return _keys(changed, budget) >= MIN_KEYS_PER_RULE

    low, high = 0, MAX_DEPTH
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def check_threshold_memory(
    thresholds: Mapping[str, ThresholdSettings],
    budget: int,
    find: Callable[[tuple[str, ...]], Location],
    extra: Sequence[tuple[ThresholdRule, ThresholdSettings]] = (),
    files: Mapping[str, str] | None = None,
) -> None:
    """Raise :class:`ConfigError` when ``budget`` cannot hold :data:`MIN_KEYS_PER_RULE` keys
    of every enabled rule, naming the key that makes the records too large (``find`` says
    where a dotted key was set). ``extra`` are the threshold rules of the rule sources, each
    read from ``files[rule id]``: one that counts more than a window holds, or whose record
    the budget cannot hold beside the others, is named with its file."""
    files = files or {}
    extra = [(rule, settings) for rule, settings in extra if settings.enabled]
    for rule, settings in extra:
        if not rule.self_counting and settings.count > MAX_DEPTH:
            raise ConfigError(
                f"threshold rule {rule.id} counts {settings.count} events per window, more "
                f"than the {MAX_DEPTH} a window holds: lower the count of its condition",
                file=files.get(rule.id, "<rule source>"),
            )
    rules = [
        (rule(), thresholds[rule.id])
        for rule in THRESHOLD_RULES
        if rule.id in thresholds and thresholds[rule.id].enabled
    ]
    built_in = len(rules)
    rules += extra
    keys = _keys(rules, budget)
    if keys >= MIN_KEYS_PER_RULE:
        return
    sizes, answers = key_sizes(rules)
    set_at = find(("alerts", "memory_budget_bytes"))
    at = set_at.file if set_at.line is None else f"{set_at.file}:{set_at.line}"
    holds = (
        f"[alerts] memory_budget_bytes = {budget} ({at}) holds {keys} keys per rule, fewer "
        f"than the {MIN_KEYS_PER_RULE} each rule needs"
    )
    if extra:  # the built-in rules alone fit (checked when the configuration was loaded)
        index = max(range(built_in, len(rules)), key=sizes.__getitem__)
        rule_id = rules[index][0].id
        raise ConfigError(
            f"threshold rule {rule_id} counts {rules[index][1].count} events per window, "
            f"{sizes[index]} bytes per key, so {holds}: {_advice(rules, index, budget)}, "
            "lower the count of its condition or raise memory_budget_bytes",
            file=files.get(rule_id, "<rule source>"),
        )
    if answers > max(sizes):
        windows = [(s.window_secs, r.id) for r, s in rules if isinstance(r, MissingPaths)]
        (shortest, _), (longest, rule_id) = min(windows), max(windows)
        key = "window_secs"
        message = (
            f"the missing-page rules' windows of {shortest:g} s and {longest:g} s tally "
            f"{answers} bytes per client (buckets of an eighth of the shorter window, counted as "
            f"at least 1 s), so {holds}: bring the windows closer, or raise memory_budget_bytes"
        )
    else:
        index = max(range(len(sizes)), key=sizes.__getitem__)
        rule_id, key = rules[index][0].id, "count"
        message = (
            f"{rules[index][1].count} events per window take {sizes[index]} bytes per key, "
            f"so {holds}: {_advice(rules, index, budget)}; or raise memory_budget_bytes"
        )
    place = find(("thresholds", rule_id, key))
    raise ConfigError(
        message, file=place.file, line=place.line, table=f"thresholds.{rule_id}", key=key
    )


def _advice(rules: _Rules, index: int, budget: int) -> str:
    largest = _largest_count(rules, index, budget)
    return f"at most {largest} with this budget" if largest else "no count fits"
