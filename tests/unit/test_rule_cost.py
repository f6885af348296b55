"""Every built-in rule under hostile input: a line costs a bounded multiple of a normal line.

An attacker writes every field a rule reads. For each rule (built-in, and of the shipped
known-exploit rule pack), each field it reads and each seed
(every ASCII punctuation character, the usual payload fragments, and the literal runs of the
rule's own patterns), an event carries the rule's required literals (so the literal scan selects
it) around a run of about 8 KB of the seed; the real detect stage (``load_detection`` with the
built-in defaults) runs on it. Its time must stay within :data:`BUDGET` times the time of a
normal line of the same length in the same field: ordinary words that select no rule, the
cheapest line there is. A line over the budget is timed again with its rule switched off:
what the detect stage spends on such a line whatever rule selected it (decoding, say) is not
the rule's. Values are never repeated: the detect stage caches verdicts per value.

Each case is timed once; a case over a share of the budget is timed again, alternately with
a normal line, best of :data:`REPEATS` each (load on the machine slows both alike). A
backtracking pattern costs 30-1000x on such lines, a linear one a few times at most.

Repeating a line warms RE2's DFA, so the timing does not see a search that only costs on new
text; the structural tests do: every rule search runs in RE2, no counted repetition over
:data:`MAX_COUNT` where a search may start anywhere, no other ``re`` pattern.

Run as a script for the worst ratio per field and the worst cases::

    .venv/bin/python -m tests.unit.test_rule_cost
"""

from __future__ import annotations

import gc
import re
import string
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from re import _constants as constants  # type: ignore[attr-defined]
from re import _parser as parser  # type: ignore[attr-defined]
from typing import Any

import pytest

from lwsyslog.config import load_config
from lwsyslog.detection.catalog import Detection, load_detection
from lwsyslog.events import AccessEvent, ErrorEvent, Event, Origin
from lwsyslog.matching.linear import LinearSearch, PatternLike, Regex
from lwsyslog.normalize import EventView
from lwsyslog.rulepack.detector import PackDetector
from lwsyslog.rules import ALL_RULES, Rule
from lwsyslog.rules.detector import RuleEngine
from lwsyslog.rules.source import BuiltinDetector

#: Most a hostile line may cost, in normal lines of the same length in the same field.
BUDGET = 10.0
#: Characters of the field value (the seed run plus the rule's literals).
RUN_CHARS = 8000
#: Timings of a suspect case (and of each baseline); the best one counts.
REPEATS = 5
#: A case timed once above this share of the budget is timed again (the script; the test times
#: again only a case over the budget).
_SUSPECT = 0.4
#: Further paired timings of a case still over the budget (the lowest ratio counts).
_RETRIES = 3

GENERIC_SEEDS: tuple[str, ...] = (
    *string.punctuation,
    "{{", "${", "() {", "case when ", "union select ", " and ", "||", "%25", "../", "' or '",
    "1 and 1=", "((", "<a ", "/*", "/*!", "%", " ",
)  # fmt: skip

_WORDS = (
    "summer", "garden", "orange", "bicycle", "window", "yellow", "planet", "river", "mountain",
    "coffee", "pencil", "basket", "forest", "candle", "silver", "marble", "harbor", "meadow",
    "lantern", "violet", "ticket", "button", "cotton", "pepper", "saddle", "walnut", "velvet",
)  # fmt: skip
_ORIGIN = Origin("rule-cost", 1)
_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@dataclass(frozen=True, slots=True)
class Place:
    """Where a value goes in an event: one field of one log, and how an event is built."""

    log: str
    field: str
    build: Callable[[str], Event]
    separator: str  # between the words of a normal value


def _access(**fields: str) -> AccessEvent:
    values = {"method": "GET", "target": "/index.html", "user_agent": _UA, **fields}
    return AccessEvent(_ORIGIN, "", client_ip="203.0.113.5", status=200, **values)


def _error(**fields: str) -> ErrorEvent:
    return ErrorEvent(_ORIGIN, "", module="core", level="error", client_ip="203.0.113.5", **fields)


PLACES: dict[tuple[str, str], Place] = {
    place.log + "/" + place.field: place
    for place in (
        Place("access", "target", lambda v: _access(target=f"/p/{v}?q={v[:64]}"), "/"),
        Place("access", "path", lambda v: _access(target=f"/{v}"), "/"),
        # The path as the server behind Apache sees it: made by a "//" or a ";" before it.
        Place("access", "canonical_target", lambda v: _access(target=f"//p/./{v}?q={v[:64]}"),
              "/"),
        Place("access", "canonical_path", lambda v: _access(target=f"//./{v}"), "/"),
        Place("access", "servlet_target", lambda v: _access(target=f"/p;x=1/{v}?q={v[:64]}"),
              "/"),
        Place("access", "servlet_path", lambda v: _access(target=f"/p;x=1/{v}"), "/"),
        Place("access", "traversal_target",
              lambda v: _access(target=f"//p/../{v}?q={v[:64]}"), "/"),
        Place("access", "traversal_path", lambda v: _access(target=f"//p/../{v}"), "/"),
        Place("access", "query", lambda v: _access(target=f"/search?q={v}"), "+"),
        Place("access", "cookie", lambda v: _access(cookie=v), " "),
        Place("access", "referer", lambda v: _access(referer=v), "/"),
        Place("access", "user_agent", lambda v: _access(user_agent=v), " "),
        Place("error", "message", lambda v: _error(message=v), " "),
        Place("error", "path", lambda v: _error(message=f"File does not exist: /var/www/{v}"), "/"),
        Place("error", "referer", lambda v: _error(message="File does not exist: /x", referer=v),
              "/"),
    )
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Case:
    """One rule, one place, one seed: the value is ``literals`` around a run of ``seed``."""

    rule: str
    place: Place
    seed: str
    literals: str

    def value(self, serial: int) -> str:
        """The field's value, unique by ``serial``, :data:`RUN_CHARS` long."""
        tail = f" {self.literals} z{serial}"
        room = RUN_CHARS - len(self.literals) - len(tail) - 1
        run = (self.seed * (room // len(self.seed) + 1))[:room]
        return f"{self.literals} {run}{tail}"


@cache
def plain_words() -> tuple[str, ...]:
    """Ordinary words that hold no literal of any rule: a normal value selects no rule (the
    cheapest line of its length, so the budget is the strictest)."""
    engine = _builtin(detection())
    literals = {
        literal
        for log in ("access", "error")
        for signature in engine.signatures(log)
        for group in signature.requirement or ()
        for literal in group
    }
    return tuple(word for word in _WORDS if not any(literal in word for literal in literals))


def _normal_value(place: Place, serial: int) -> str:
    words = []
    total = 0
    index = serial
    plain = plain_words()
    while total < RUN_CHARS:
        word = plain[index % len(plain)]
        words.append(word)
        total += len(word) + 1
        index += 1
    return f"{place.separator.join(words)[: RUN_CHARS - 8]}z{serial:07d}"


def _literal_runs(pattern: str, flags: int) -> set[str]:
    """The runs of literal characters in ``pattern`` (its keywords and operators)."""
    runs: set[str] = set()

    def walk(items: object) -> None:
        current: list[str] = []
        for op, value in items:  # type: ignore[attr-defined]
            if op is constants.LITERAL:
                current.append(chr(value))
                continue
            if current:
                runs.add("".join(current))
                current = []
            if op is constants.SUBPATTERN:
                walk(value[-1])
            elif op is constants.BRANCH:
                for branch in value[1]:
                    walk(branch)
            elif op in (constants.MAX_REPEAT, constants.MIN_REPEAT, constants.POSSESSIVE_REPEAT):
                walk(value[2])
            elif op in (constants.ASSERT, constants.ASSERT_NOT):
                walk(value[1])
            elif op is constants.ATOMIC_GROUP:
                walk(value)
        if current:
            runs.add("".join(current))

    walk(parser.parse(pattern, flags))
    return {run.lower() for run in runs if run.strip()}


def _searches(cls: type[Rule]) -> dict[str, LinearSearch]:
    """The compiled searches a rule class runs: its own (``linear``, ``segment_linear``) and
    those of its module, by name."""
    found = {
        f"{cls.id}.{name}": value
        for name in dir(cls)
        if isinstance(value := getattr(cls, name, None), LinearSearch)
    }
    module = sys.modules[cls.__module__]
    for name, value in vars(module).items():
        if isinstance(value, LinearSearch):
            found[f"{cls.__module__}.{name}"] = value
    return found


def _rule_patterns(rule: Rule) -> list[PatternLike]:
    """The rule's triggers, its own patterns and those of its module."""
    patterns: list[PatternLike] = [
        re.compile(trigger) for trigger in rule.triggers.values() if trigger
    ]
    own = getattr(rule, "pattern", None)
    if isinstance(own, (re.Pattern, Regex)):
        patterns.append(own)
    patterns.extend(search.pattern for search in _searches(type(rule)).values())
    module = sys.modules[type(rule).__module__]
    patterns.extend(
        value for value in vars(module).values() if isinstance(value, (re.Pattern, Regex))
    )
    return patterns


def _seeds(rule: Rule) -> list[str]:
    seeds = dict.fromkeys(GENERIC_SEEDS)
    for pattern in _rule_patterns(rule):
        for run in _literal_runs(pattern.pattern, pattern.flags):
            seeds[run] = None
            if run[-1].isalnum():
                seeds[run + " "] = None
    for words in rule.tokens.values():
        for word in words:
            seeds[word + " "] = None
    return list(seeds)


def _literals(requirement: tuple[frozenset[str], ...] | None) -> str:
    if not requirement:
        return ""
    return " ".join(min(group, key=lambda text: (len(text), text)) for group in requirement)


#: The literal scan the budget holds for: Hyperscan, as shipped. (``re``'s fallback scan
#: costs up to 16x on these lines by itself: ``python -m tests.unit.test_rule_cost re``.)
ENGINE = "hyperscan"


@cache
def detection(engine: str = ENGINE) -> Detection:
    """The detect stage with the built-in defaults, as the pipeline runs it."""
    return load_detection(load_config([]), engine)


@cache
def _without(rule_id: str, engine: str = ENGINE) -> Detection:
    """The detect stage with the built-in defaults but ``rule_id`` switched off."""
    with tempfile.TemporaryDirectory(prefix="rule-cost-") as directory:
        path = Path(directory) / "off.toml"
        path.write_text(f"[rules.{rule_id}]\nenabled = false\n", encoding="utf-8")
        return load_detection(load_config([path]), engine)


def _builtin(found: Detection) -> RuleEngine:
    for detector in found.detectors:
        if isinstance(detector, BuiltinDetector):
            return detector.engine
    raise AssertionError("no built-in detector loaded")


def cases() -> Iterator[Case]:
    """Every (rule, place, seed) of the built-in rules and of the shipped rule pack, as the
    detect stage selects them."""
    engine = _builtin(detection())
    for log in ("access", "error"):
        for signature in engine.signatures(log):
            place = PLACES.get(f"{log}/{signature.field}")
            if place is None:
                continue
            rule = engine.rules[signature.owner]
            literals = _literals(signature.requirement)
            for seed in _seeds(rule):
                yield Case(rule.id, place, seed, literals)
    yield from _pack_cases()


def _pack_cases() -> Iterator[Case]:
    """The shipped rule pack's rules: their own literal runs as seeds, like a rule's."""
    pack = next(d for d in detection().detectors if isinstance(d, PackDetector))
    for signature in pack.signatures("access"):
        rule = pack.pack.rules[signature.owner]
        seeds = dict.fromkeys(GENERIC_SEEDS)
        for run in _literal_runs(rule.pattern.pattern, rule.pattern.flags):
            seeds[run] = None
            if run[-1].isalnum():
                seeds[run + " "] = None
        literals = _literals(signature.requirement)
        for seed in seeds:
            yield Case(rule.id, PLACES[f"access/{signature.field}"], seed, literals)


class Clock:
    """Times the detect stage on values never seen before."""

    def __init__(self, found: Detection) -> None:
        self.detect = found.detect
        self.serial = 0
        self.baselines: dict[str, float] = {}

    def _once(self, place: Place, value: str) -> float:
        event = place.build(value)
        start = time.perf_counter()
        self.detect(event, EventView(event))
        return time.perf_counter() - start

    def case(self, case: Case, repeats: int = 1) -> float:
        """Best of ``repeats`` timings of ``case``."""
        best = float("inf")
        for _ in range(repeats):
            self.serial += 1
            best = min(best, self._once(case.place, case.value(self.serial)))
        return best

    def paired(self, case: Case) -> tuple[float, float]:
        """The best time of ``case`` and of a normal value in its place, timed alternately."""
        best_case = best_base = float("inf")
        for _ in range(REPEATS):
            best_case = min(best_case, self.case(case))
            best_base = min(best_base, self.normal(case.place))
        return best_case, best_base

    def normal(self, place: Place) -> float:
        """One timing of a normal value of the same length in ``place``."""
        self.serial += 1
        return self._once(place, _normal_value(place, self.serial))

    def baseline(self, place: Place) -> float:
        """The best time of a normal value of the same length in the same place."""
        key = f"{place.log}/{place.field}"
        if key not in self.baselines:
            best = float("inf")
            for _ in range(REPEATS * 3):
                best = min(best, self.normal(place))
            self.baselines[key] = best
        return self.baselines[key]


@dataclass(frozen=True, slots=True)
class Measured:
    """A case and its cost in normal lines.

    ``own_ratio`` is the cost the case's rule adds, in normal lines: for a case over the
    budget, the same line is also timed with that rule switched off, and only the difference
    is the rule's (the rest is the detect stage's own work on such a line: decoding 2,000
    separate escapes, say, costs the same whatever rule selected the line).
    """

    case: Case
    secs: float
    ratio: float
    own_ratio: float


def measure(
    all_cases: list[Case], engine: str = ENGINE, suspect: float = _SUSPECT
) -> list[Measured]:
    """Every case's ratio to the baseline of its place. A case over ``suspect`` of the budget
    is timed again with its baseline, alternately, best of :data:`REPEATS` each: the ratio
    stays true when the machine's load changes during the test."""
    clock = Clock(detection(engine))
    enabled = gc.isenabled()
    gc.disable()
    try:
        for place in {id(c.place): c.place for c in all_cases}.values():
            clock.baseline(place)
        results = []
        for case in all_cases:
            base = clock.baseline(case.place)
            secs = clock.case(case)
            if secs > base * BUDGET * suspect:
                secs, base = clock.paired(case)
            for _ in range(_RETRIES):
                if secs <= base * BUDGET:
                    break
                # A burst of load elsewhere can land on the case's timings alone; a line that
                # is really slow stays slow however often it is timed.
                again, again_base = clock.paired(case)
                if again / again_base < secs / base:
                    secs, base = again, again_base
            own = secs / base
            if own > BUDGET:
                own = _own_ratio(clock, Clock(_without(case.rule, engine)), case)
            results.append(Measured(case, secs, secs / base, own))
        return results
    finally:
        if enabled:
            gc.enable()


def _own_ratio(clock: Clock, without: Clock, case: Case) -> float:
    """The cost ``case``'s rule adds, in normal lines: the line with the rule, the line with
    it switched off (``without``) and a normal line, timed in turn, best of :data:`REPEATS`
    each. The lowest of up to :data:`_RETRIES` + 1 such rounds counts. Timed in turn, a slow
    spell of the machine (this one's runs of a line shift between about 0.4, 0.9 and 1.7 ms
    for seconds at a time) lands on all three alike, not on the rule's timings alone."""
    lowest = float("inf")
    for _ in range(_RETRIES + 1):
        with_rule = stage = base = float("inf")
        for _ in range(REPEATS):
            with_rule = min(with_rule, clock.case(case))
            without.serial = clock.serial  # one count: no value is timed twice
            stage = min(stage, without.case(case))
            clock.serial = without.serial
            base = min(base, clock.normal(case.place))
        lowest = min(lowest, max(with_rule - stage, 0.0) / base + 1.0)
        if lowest <= BUDGET:
            break
    return lowest


def _all_searches() -> dict[str, LinearSearch]:
    found: dict[str, LinearSearch] = {}
    for cls in ALL_RULES:
        found.update(_searches(cls))
    return found


def test_every_rule_search_runs_in_re2() -> None:
    pytest.importorskip("re2")
    offenders = [
        f"{name}: {search.reason}"
        for name, search in _all_searches().items()
        if search.engine != "re2"
    ]
    assert not offenders, "rule searches RE2 cannot compile:\n" + "\n".join(offenders)


#: Largest counted repetition (``{m,n}``) in a search that may start anywhere. RE2's DFA
#: keeps a state per count in progress: over text that starts many counts at once (8 KB of
#: "${jndi:" for ``[^}]{0,200}``) it builds states without end and falls back to its slow
#: engine, milliseconds per line that the timing test, which repeats lines, does not see.
MAX_COUNT = 16


def _counts(items: Any) -> Iterator[int]:
    for op, value in items:
        if op in (constants.MAX_REPEAT, constants.MIN_REPEAT, constants.POSSESSIVE_REPEAT):
            if value[1] != constants.MAXREPEAT:
                yield value[1]
            yield from _counts(value[2])
        elif op is constants.SUBPATTERN:
            yield from _counts(value[-1])
        elif op is constants.BRANCH:
            for branch in value[1]:
                yield from _counts(branch)


def _unanchored_branches(pattern: PatternLike) -> list[Any]:
    tree = parser.parse(pattern.pattern, pattern.flags)
    branches = [tree]
    if len(tree.data) == 1 and tree.data[0][0] is constants.BRANCH:
        branches = tree.data[0][1][1]
    return [
        b for b in branches if not (b.data and b.data[0] == (constants.AT, constants.AT_BEGINNING))
    ]


def test_no_search_counts_far() -> None:
    offenders = [
        f"{name}: {{..,{count}}} in {search.pattern.pattern[:80]!r}"
        for name, search in _all_searches().items()
        for branch in _unanchored_branches(search.pattern)
        for count in _counts(branch)
        if count > MAX_COUNT
    ]
    assert not offenders, "counted repetitions too long for RE2's DFA:\n" + "\n".join(offenders)


#: Module-level ``re`` patterns that rules may run, and why they cannot cost much.
ALLOWED_RE = {
    "lwsyslog.rules.protocol._TLS_HELLO": "anchored at the start: one position",
    "lwsyslog.rules.protocol._TOKEN_METHOD": "fullmatch of at most 32 characters",
    "lwsyslog.rules.log4shell._CASE_LOOKUP": "substitution run only when RE2 finds a lookup",
    "lwsyslog.rules.log4shell._DEFAULT_LOOKUP": "substitution run only when RE2 finds a lookup",
    "lwsyslog.rules.log4shell._DATE_LOOKUP": "substitution run only when RE2 finds a lookup",
}


def test_rules_run_no_other_re_pattern() -> None:
    offenders = set()
    for cls in ALL_RULES:
        for name, value in vars(sys.modules[cls.__module__]).items():
            qualified = f"{cls.__module__}.{name}"
            if isinstance(value, re.Pattern) and qualified not in ALLOWED_RE:
                offenders.add(qualified)
    assert not offenders, f"module-level re patterns (use linear_search): {sorted(offenders)}"


def test_no_hostile_line_costs_more_than_the_budget() -> None:
    pytest.importorskip("re2")
    pytest.importorskip("hyperscan")
    # One timing is never below the best of several: a case timed once within the budget
    # is within it, and timing it again (a third of the cases, over 0.4 of the budget) only
    # sharpens the ratio the script reports (the test took 231 s in CI with it, 164 s without).
    measured = measure(list(cases()), suspect=1.0)
    over = sorted((m for m in measured if m.own_ratio > BUDGET), key=lambda m: -m.own_ratio)
    report = "\n".join(
        f"{m.own_ratio:6.1f}x {m.secs * 1e3:7.2f} ms  {m.case.rule} {m.case.place.log}/"
        f"{m.case.place.field} seed={m.case.seed!r}"
        for m in over[:40]
    )
    assert not over, f"{len(over)} hostile lines over {BUDGET}x a normal line:\n{report}"


def test_decoding_separate_escapes_costs_within_the_budget() -> None:
    """2,000 separate escapes in 8 KB are decoded in bulk, not one Python call per run."""
    place = PLACES["access/target"]
    clock = Clock(detection())
    base = clock.baseline(place)
    hostile = min(clock._once(place, ("%0d " * 2000)[:RUN_CHARS] + f"z{n}") for n in range(5))
    assert hostile < base * BUDGET


def main() -> None:
    """Print the worst ratio per place and the worst cases (argument: the literal engine)."""
    engine = sys.argv[1] if len(sys.argv) > 1 else ENGINE
    all_cases = list(cases())
    start = time.perf_counter()
    measured = measure(all_cases, engine)
    elapsed = time.perf_counter() - start
    print(f"{len(measured)} cases in {elapsed:.1f} s ({engine} scan); budget {BUDGET}x\n")
    print("| place | baseline ms | worst ratio | worst ms | rule | seed |")
    print("|---|---:|---:|---:|---|---|")
    for key, place in PLACES.items():
        own = [m for m in measured if m.case.place is place]
        if not own:
            continue
        worst = max(own, key=lambda m: m.ratio)
        base = worst.secs / worst.ratio
        print(
            f"| {key} | {base * 1e3:.3f} | {worst.ratio:.1f}x | {worst.secs * 1e3:.2f} "
            f"| {worst.case.rule} | {worst.case.seed!r} |"
        )
    print("\nworst 25 (the line's cost; the rule's own part in brackets):")
    for m in sorted(measured, key=lambda m: -m.ratio)[:25]:
        print(
            f"{m.ratio:7.1f}x [{m.own_ratio:5.1f}x] {m.secs * 1e3:8.2f} ms  {m.case.rule:34} "
            f"{m.case.place.log}/{m.case.place.field:10} seed={m.case.seed!r}"
        )


if __name__ == "__main__":
    main()
