"""The plain description of loaded Sigma rules: what pySigma's reading leaves to evaluate.

Loading Sigma rules has two halves. :mod:`lwsyslog.sigma.reading` reads the YAML with
pySigma and describes each rule in plain data (this module's types);
:meth:`lwsyslog.sigma.ruleset.SigmaRuleSet.build` turns the description into evaluators. The
description is JSON all the way down, so it can be stored between runs
(:mod:`lwsyslog.sigma.stored`) and a later start builds the same rules without pySigma.

A condition node is a dict with one of the keys ``and`` (list of nodes), ``or`` (list of
nodes), ``not`` (a node), ``field`` (a Sigma field name, with ``value``) or ``keyword`` (a
value searched for in the keyword fields). A value is a dict with one of the keys

- ``strings``: regex sources of OR-linked wildcard strings, with ``cased`` and ``dash``
  (an empty field is also tried as Apache's ``-``);
- ``regex``: a Sigma ``re`` value's source, with ``flags`` (``re`` flags as a number);
- ``number``, ``compare`` (``lt``, ``lte``, ``gt``, ``gte``, ``neq``, with ``bound``),
  ``cidr`` (the network's text), ``null``, ``exists`` (true or false), ``bool``;
- ``fieldref``: another field's name, with ``starts`` and ``ends``;
- ``any``: a list of values, the first that matches wins.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from lwsyslog.severity import Severity
from lwsyslog.sigma.literals import FieldLiterals

__all__ = ["RULE_ID_PREFIX", "CorrelationIR", "Node", "RuleIR", "RuleSetIR", "Value"]

RULE_ID_PREFIX = "sigma:"
"""Findings and thresholds from Sigma rules have ids ``sigma:<rule id>``."""

Node = dict[str, Any]
"""One node of a rule's condition tree (see the module docstring)."""

Value = dict[str, Any]
"""One value test of a condition leaf (see the module docstring)."""


class RuleIR(NamedTuple):
    """One Sigma detection rule lwsyslog can evaluate, described.

    ``conditions`` holds one tree per ``condition`` of the rule (a match of any is a match);
    ``requirements`` the literal requirement on each log of ``logs``.
    """

    id: str
    sigma_id: str
    title: str
    level: str
    severity: Severity
    categories: tuple[str, ...]
    logs: frozenset[str]
    file: str
    cves: tuple[str, ...]
    standalone: bool
    conditions: tuple[Node, ...]
    requirements: dict[str, FieldLiterals]


class CorrelationIR(NamedTuple):
    """One ``event_count`` correlation lwsyslog can count, described.

    An alert is raised at the ``alert_count``-th event within ``window_secs``; ``group_by``
    gives, per counted finding rule id, the ``(label, Sigma field)`` pairs whose values key
    the count.
    """

    id: str
    sigma_id: str
    title: str
    level: str
    file: str
    categories: tuple[str, ...]
    severity: Severity
    alert_count: int
    window_secs: float
    group_by: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]

    @property
    def description(self) -> str:
        """What the threshold rule calls itself: the title, else the id."""
        return self.title or self.id


class RuleSetIR(NamedTuple):
    """Every rule and correlation of a load, and the ``(file, reason)`` of those left out."""

    rules: tuple[RuleIR, ...]
    correlations: tuple[CorrelationIR, ...]
    unsupported: tuple[tuple[str, str], ...]
    other_logsources: tuple[tuple[str, str], ...]
