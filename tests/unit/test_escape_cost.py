"""A field of tens of thousands of Apache escapes costs a few normal lines of its length.

rsyslog passes lines up to 131,072 bytes, so a client can fill a Referer or a User-Agent with
60,000 ``\\"`` (120,000 characters): each escape was a regex step in the parse and a step
in the check of the escapes, and each ``"`` a literal Hyperscan found again (5x a line of
words of that length). Measured through the whole pipeline against ordinary words of the same
logged length (see ``user_agent_cost``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lwsyslog.config import load_config
from lwsyslog.pipeline import Pipeline
from tests.unit.user_agent_cost import access_line, cost_ratio

_ACCESS = '203.0.113.5 - - [01/Mar/2026:10:00:00 +0000] "GET /index.html HTTP/1.1" 200 5120 '
_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def referer_line(referer: str, serial: int) -> str:
    """An access line with ``referer``, made unique by ``serial``."""
    return f'{_ACCESS}"{referer} u{serial}" "{_AGENT}"'


#: Most such a line may cost, in normal lines of the same length: 3.2 to 5.2 before the
#: fields were matched piece by piece and long texts scanned without their one-character
#: literals; 1.4 to 2 now.
BUDGET = 3.0


@pytest.mark.parametrize(("name", "line"), [("user_agent", access_line), ("referer", referer_line)])
@pytest.mark.parametrize("escape", ['\\"', "\\\\", "\\t"])
def test_a_field_of_60000_escapes_costs_a_few_normal_lines(
    name: str, line: Callable[[str, int], str], escape: str
) -> None:
    hostile = escape * 60_000
    ratio = cost_ratio(Pipeline(load_config([])), hostile, BUDGET, line)
    assert ratio <= BUDGET, f"{escape!r} x 60,000 in the {name}: {ratio:.1f}x a normal line"
