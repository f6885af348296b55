"""``bench_hostile.py --rules``: where the time of a hostile line goes, rule by rule.

Uses only objects a Pipeline exposes (``pipeline.parser.parse``, the built-in rules of
``pipeline.detection.detectors``, ``pipeline.detection.explain``, ``Rule.evaluate`` and
``lwsyslog.normalize.EventView``); when
one of them is gone or changed, the section says so instead of failing the run.

For one line: the parse; the decode (an ``EventView`` asked for every text field once); each
rule's ``evaluate`` on that decoded view, best of N. ``evaluate`` ignores the prefilter, so a
rule the prefilter does not select costs nothing in ``Pipeline.process``: the column
``selected`` tells which ones it runs; their sum is what detection costs on that line.
"""

from __future__ import annotations

import functools
import math
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from hostile_report import Report, md_code

from lwsyslog.events import Origin

__all__ = ["attribute_report"]

_TOP_RULES = 5


def _best(reps: int, call: Callable[[], object]) -> float:
    best = math.inf
    for _ in range(reps):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def _search_all(triggers: list[tuple[re.Pattern[str], str]]) -> None:
    for pattern, text in triggers:
        pattern.search(text)


def _attribute(pipeline: Any, line: str, reps: int) -> dict[str, Any]:
    from lwsyslog.normalize import TEXT_FIELDS, EventView  # noqa: PLC0415

    origin = Origin("bench-hostile-rules", 0)
    parse = pipeline.parser.parse
    parse_secs = _best(reps, lambda: parse(line, origin))
    event = parse(line, origin)
    if getattr(event, "log", None) not in ("access", "error"):
        return {"error": f"line not parsed ({getattr(event, 'log', '?')})"}
    fields = sorted(TEXT_FIELDS)

    def decode_all() -> EventView:
        view = EventView(event)
        for name in fields:
            view.lower(name)
        return view

    decode_secs = _best(reps, decode_all)
    view = decode_all()
    detection = pipeline.detection
    selected = {e.verdict.rule_id: e.verdict.selected for e in detection.explain(event)}
    costs: list[tuple[float, str, float, float, bool, bool]] = []
    built_in = [
        d.rules for d in detection.detectors if isinstance(getattr(d, "rules", None), tuple)
    ]
    for rule in (rule for rules in built_in for rule in rules):
        if event.log not in rule.logs:
            continue
        triggers = [
            (re.compile(pattern), view.lower(name))
            for name, pattern in getattr(rule, "triggers", {}).items()
            if name in TEXT_FIELDS and view.lower(name)
        ]
        trigger_secs = _best(reps, functools.partial(_search_all, triggers))
        secs = _best(reps, functools.partial(rule.evaluate, event, view))
        matched = rule.evaluate(event, view) is not None
        chosen = bool(selected.get(rule.id))
        paid = trigger_secs + (secs if chosen else 0.0)
        costs.append((paid, rule.id, trigger_secs, secs, chosen, matched))
    costs.sort(reverse=True)
    return {
        "parse": parse_secs,
        "decode": decode_secs,
        "triggers": sum(c[2] for c in costs),
        "selected": sum(c[3] for c in costs if c[4]),
        "costs": costs,
    }


def attribute_report(report: Report, pipeline: Any, cases: Sequence[Any], reps: int) -> None:
    """Add a per-rule cost table for each of ``cases`` (rebuilt as measured) to ``report``."""
    report.line("## Per-rule cost of the worst lines (`--rules`)\n")
    report.line(
        "Best of N each: parse; decode (every text field of an `EventView`); each rule's "
        "`triggers` (its prefilter regexes; a rule without its own trigger uses its pattern) "
        "searched in the decoded fields; each rule's `evaluate` on the decoded view, counted "
        "only when the Detector's prefilter selects the rule on this line (`Detector.explain`; "
        "shown in parentheses when not selected). *rest*: process minus all of these "
        "(thresholds, alerts, the prefilter's own combined regex). ✓: the rule matched.\n"
    )
    totals: dict[str, float] = {}
    rows = []
    for case in cases:
        line = case.field.build(_fill_of(case), 10**9)
        try:
            found = _attribute(pipeline, line, reps)
        except (ImportError, AttributeError, TypeError) as error:
            report.line(f"rule attribution unavailable with this code: {error!r}\n")
            return
        if "error" in found:
            rows.append([md_code(case.seed), case.field.name, found["error"], "", "", "", ""])
            continue
        top = [
            f"{rule_id} {_us(trig)}+{_us(secs) if sel else '(' + _us(secs) + ')'}"
            f"{' ✓' if hit else ''}"
            for _, rule_id, trig, secs, sel, hit in found["costs"][:_TOP_RULES]
        ]
        for paid, rule_id, *_ in found["costs"]:
            totals[rule_id] = max(totals.get(rule_id, 0.0), paid)
        known = found["parse"] + found["decode"] + found["triggers"] + found["selected"]
        rows.append([
            md_code(case.seed), case.field.name, _us(case.secs), _us(found["parse"]),
            _us(found["decode"]), _us(found["triggers"]), _us(found["selected"]),
            _us(max(0.0, case.secs - known)), "; ".join(top),
        ])  # fmt: skip
    report.table(
        ["seed", "field", "process us", "parse us", "decode us", "triggers us",
         "selected rules us", "rest us", f"top {_TOP_RULES} rules: trigger+evaluate us"],
        rows, "llrrrrrrl",
    )  # fmt: skip
    worst = sorted(totals.items(), key=lambda item: item[1], reverse=True)[:10]
    if worst:
        listed = ", ".join(f"`{rule}` {_us(secs)}" for rule, secs in worst)
        report.line(
            "Most expensive rules over these lines (trigger + evaluate when selected, max us on "
            f"one line): {listed}\n"
        )


def _us(secs: float) -> str:
    return f"{secs * 1e6:,.0f}"


def _fill_of(case: Any) -> str:
    """The fill the case was measured with (``bench_hostile`` keeps it on the case)."""
    return str(case.fill)
