"""The detect stage gives the same findings whatever scans the literals, and never misses a
rule that matches: Hyperscan, the pure-re engine and every rule evaluated without any scan
agree on every corpus the repository ships and on a fuzzed one."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from lwsyslog.config import load_config
from lwsyslog.detection.catalog import Detection, load_detection
from lwsyslog.events import AccessEvent, ErrorEvent, Origin
from lwsyslog.formats import LineParser
from lwsyslog.matching.literals import literal_requirement
from lwsyslog.matching.scanner import engine_name
from lwsyslog.normalize import EventView
from lwsyslog.rules import ALL_RULES, AccessSample, ErrorSample

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CORPORA = sorted(
    [
        *FIXTURES.glob("attack-tools/*/*.log"),
        *FIXTURES.glob("logs/*.log"),
        *FIXTURES.glob("formats/*.log"),
        *FIXTURES.glob("formats/*/*.log"),
    ]
)
FUZZED_LINES = 3000
_PUNCTUATION = "'\"`;|&$(){}[]<>=%+-_*/\\.,:!?#@~^ \t\n"
Finding = tuple[str, str, str]


def _events() -> Iterator[AccessEvent | ErrorEvent]:
    parser = LineParser("auto")
    for path in CORPORA:
        for number, line in enumerate(path.read_text("utf-8", "replace").splitlines(), 1):
            event = parser.parse(line, Origin(str(path), number))
            if isinstance(event, AccessEvent | ErrorEvent):
                yield event


def rule_literals() -> list[str]:
    """Every literal the built-in rules' patterns need: the raw material of the fuzz."""
    found: set[str] = set()
    for cls in ALL_RULES:
        pattern = getattr(cls, "pattern", None)
        if pattern is not None:
            for clause in literal_requirement(pattern.pattern, pattern.flags) or ():
                found.update(clause)
    return sorted(found)


def _fuzzed() -> Iterator[AccessEvent | ErrorEvent]:
    """Rule samples cut, joined, re-cased, padded and sprinkled with punctuation and the
    rules' own literals: near misses as much as hits."""
    rng = random.Random(20261205)
    samples = [s for cls in ALL_RULES for s in (*cls.must_match, *cls.must_not_match)]
    literals = rule_literals()
    pieces = [s.target if isinstance(s, AccessSample) else s.message for s in samples]
    for number in range(FUZZED_LINES):
        parts = [rng.choice(pieces)[: rng.randrange(1, 80)] for _ in range(rng.randrange(1, 4))]
        parts += [rng.choice(literals) for _ in range(rng.randrange(0, 4))]
        parts += ["".join(rng.choice(_PUNCTUATION) for _ in range(rng.randrange(0, 6)))]
        rng.shuffle(parts)
        text = "".join(
            c.upper() if rng.random() < 0.3 else c for c in rng.choice(" +/").join(parts)
        )
        if rng.random() < 0.2:
            text = "".join(
                f"%{ord(c):02x}" if c.isascii() and rng.random() < 0.3 else c for c in text
            )
        sample = rng.choice(samples)
        origin = Origin("fuzz", number)
        if isinstance(sample, ErrorSample):
            yield ErrorSample(message=text, code=sample.code).to_event(origin)
        else:
            field = rng.choice(("target", "user_agent", "referer", "cookie"))
            target = "/" + text if field == "target" else sample.target
            values = {field: text} if field != "target" else {}
            yield AccessSample(target=target, status=sample.status, **values).to_event(origin)


def _findings(detection: Detection, event: AccessEvent | ErrorEvent) -> list[Finding]:
    return [(f.rule_id, f.field, f.fragment) for f in detection.detect(event, EventView(event))]


def _every_rule(detection: Detection, event: AccessEvent | ErrorEvent) -> set[str]:
    """The rules that match when each is evaluated on its own, no scan at all."""
    return {
        e.verdict.rule_id for e in detection.explain(event, EventView(event)) if e.verdict.matched
    }


@pytest.fixture(scope="module")
def engines() -> dict[str, Detection]:
    config = load_config([])
    found = {"re": load_detection(config, engine="re")}
    if engine_name() == "hyperscan":
        found["hyperscan"] = load_detection(config, engine="hyperscan")
    return found


@pytest.mark.parametrize("corpus", ["shipped", "fuzzed"])
def test_engines_agree_and_miss_no_matching_rule(
    engines: dict[str, Detection], corpus: str
) -> None:
    if "hyperscan" not in engines:
        pytest.skip("Hyperscan does not load here: only the re engine can be checked")
    events = list(_events() if corpus == "shipped" else _fuzzed())
    assert len(events) > 2000
    disagree, missed = [], []
    matched_any = 0
    for event in events:
        by_engine = {name: _findings(detection, event) for name, detection in engines.items()}
        if by_engine["re"] != by_engine["hyperscan"]:
            disagree.append((event.raw[:120], by_engine))
        oracle = _every_rule(engines["re"], event)
        matched_any += bool(oracle)
        detected = {rule for rule, _, _ in by_engine["re"]}
        if not oracle <= detected:
            missed.append((event.raw[:120], sorted(oracle - detected)))
    assert disagree == []
    assert missed == []
    assert matched_any > 200  # the corpus does exercise the rules
