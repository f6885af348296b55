"""A query of thousands of ``%`` or ``&`` costs a few normal lines of its length.

Rules that read the query as logged decode it themselves: with ``urllib``'s decoder, or one
pass per parameter, each ``%`` or ``&`` was a Python step (8 KB of ``%%`` cost 11.9 normal
lines of its length, ``&|`` 6.9). Measured through the whole pipeline against a query of
ordinary words of the same length (see ``user_agent_cost``).
"""

from __future__ import annotations

import pytest

from lwsyslog.config import load_config
from lwsyslog.pipeline import Pipeline
from tests.unit.user_agent_cost import cost_ratio

_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

#: The issue's bound on the worst line, in normal lines of the same length.
BUDGET = 5.0


def query_line(query: str, serial: int) -> str:
    """An access line whose query is ``query`` (spaces written as ``+``), made unique by
    ``serial``."""
    target = f"/search?u={serial}&q={query.replace(' ', '+')}"
    return (
        f'203.0.113.5 - - [01/Mar/2026:10:00:00 +0000] "GET {target} HTTP/1.1" 200 5120 '
        f'"-" "{_AGENT}"'
    )


@pytest.mark.parametrize("seed", ["%%", "%", "&|", "&", "&;", "=%7c"])
def test_an_8k_query_of_separators_costs_a_few_normal_lines(seed: str) -> None:
    hostile = seed * (8000 // len(seed))
    ratio = cost_ratio(Pipeline(load_config([])), hostile, BUDGET, query_line)
    assert ratio <= BUDGET, f"{seed!r} x {len(hostile) // len(seed)}: {ratio:.1f}x a normal line"
