"""The literal requirements stored ahead of time are the ones the analysis gives today."""

from __future__ import annotations

from lwsyslog.matching import literals, requirements_build, requirements_table
from lwsyslog.rules.source import BuiltinDetector


def test_every_stored_requirement_is_what_the_analysis_gives_now() -> None:
    stored = requirements_table.stored()
    current = requirements_build.current()
    shared = stored.keys() & current.keys()
    # Rules added since the table was written are analysed at start-up (only slower); an entry
    # that differs from today's analysis would select rules by stale literals.
    assert shared, "the table holds none of the built-in rules' patterns"
    assert {key: stored[key] for key in shared} == {key: current[key] for key in shared}


def test_rules_built_from_the_table_select_as_rules_analysed_afresh() -> None:
    literals.literal_requirement.cache_clear()
    from_table = BuiltinDetector().signatures("access")
    literals.RECORD = {}
    try:
        literals.literal_requirement.cache_clear()
        fresh = BuiltinDetector().signatures("access")
    finally:
        literals.RECORD = None
        literals.literal_requirement.cache_clear()
    assert from_table == fresh


def test_the_table_holds_every_requirement_the_shipped_rules_ask_for() -> None:
    # A missing entry costs every start of scan and of the program a fresh analysis of that
    # pattern (62 missing ones once cost 60 ms of a 0.6 s start).
    missing = sorted(requirements_build.current().keys() - requirements_table.stored().keys())
    assert not missing, (
        f"{len(missing)} requirements are not in the table: "
        "run python -m lwsyslog.matching.requirements_build"
    )
