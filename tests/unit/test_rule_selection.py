"""Which literal of a rule the one scan per field looks for: the rarest one every match needs,
so that ordinary URLs (a query string, a site's image paths) select no rule to confirm."""

from __future__ import annotations

import pytest

from lwsyslog.detection.plan import strongest_clause
from lwsyslog.matching.literals import literal_requirement
from lwsyslog.rules.base import PatternRule
from lwsyslog.rules.detector import _analysed
from lwsyslog.rules.header import HeaderInjectionProbe
from lwsyslog.rules.xss import XssInjectedTag

# Targets of a busy shop: ids in paths, a query string, images under /static/img/.
ORDINARY_TARGETS = (
    "/api/v1/orders/92971184?ref=f6a465c3&page=27",
    "/static/img/products/p-98166767.jpg",
    "/blog/2026/12888876-release-notes",
    "/products/view/13258070?ref=f28e1a95&page=8",
)


def _scanned_for(rule: PatternRule) -> frozenset[str]:
    requirement = literal_requirement(*_analysed(rule, rule.pattern), single_spaces=True)
    assert requirement is not None
    (clause,) = strongest_clause(requirement)
    return clause


@pytest.mark.parametrize(
    ("rule", "attack"),
    [
        # Every branch needs a line break and a ":"; "=" and "&" used to select it.
        (HeaderInjectionProbe(), "/p?x=\nx-injection-header: v"),
        # Every branch needs a "<"; "/img" (any image path) used to select it.
        (XssInjectedTag(), "/p?q=<img src=x>"),
    ],
)
def test_ordinary_targets_select_no_rule_to_confirm(rule: PatternRule, attack: str) -> None:
    clause = _scanned_for(rule)
    for target in ORDINARY_TARGETS:
        assert not any(literal in target for literal in clause), (rule.id, target)
    assert rule.pattern.search(attack) is not None
    assert any(literal in attack for literal in clause)
