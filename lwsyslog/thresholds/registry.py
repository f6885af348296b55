"""Every built-in threshold rule, in the order the engine counts them."""

from __future__ import annotations

from lwsyslog.thresholds.missing import Scan404Burst, ScanDistinct404
from lwsyslog.thresholds.prefixes import PrefixBruteForce
from lwsyslog.thresholds.rules import (
    AttackRepeat,
    AuthBruteForce,
    BruteForceSuccess,
    LoginPostBurst,
    RequestFlood,
    ThresholdRule,
    UrgentBurst,
)
from lwsyslog.thresholds.server_errors import BackendErrors, ServerErrorStorm

__all__ = ["THRESHOLD_RULES"]

THRESHOLD_RULES: tuple[type[ThresholdRule], ...] = (
    UrgentBurst,
    AuthBruteForce,
    LoginPostBurst,
    PrefixBruteForce,
    BruteForceSuccess,
    Scan404Burst,
    ScanDistinct404,
    AttackRepeat,
    ServerErrorStorm,
    BackendErrors,
    RequestFlood,
)
