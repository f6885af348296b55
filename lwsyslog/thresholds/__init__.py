"""Multi-event thresholds: the rules (:mod:`.rules`), their windows in fixed-size records
(:mod:`.windows`), the engine that counts observations and reports crossings (:mod:`.engine`),
and the key a client is counted under (:mod:`.keys`)."""

from lwsyslog.thresholds.engine import DEFAULT_MEMORY_BUDGET_BYTES, Crossing, ThresholdEngine
from lwsyslog.thresholds.keys import client_key
from lwsyslog.thresholds.rules import (
    THRESHOLD_RULES,
    AttackRepeat,
    AuthBruteForce,
    BruteForceSuccess,
    EveryEventRule,
    LoginPostBurst,
    RequestFlood,
    Scan404Burst,
    ScanDistinct404,
    ServerErrorStorm,
    ThresholdRule,
    UrgentBurst,
    WindowKey,
)

__all__ = [
    "DEFAULT_MEMORY_BUDGET_BYTES",
    "THRESHOLD_RULES",
    "AttackRepeat",
    "AuthBruteForce",
    "BruteForceSuccess",
    "Crossing",
    "EveryEventRule",
    "LoginPostBurst",
    "RequestFlood",
    "Scan404Burst",
    "ScanDistinct404",
    "ServerErrorStorm",
    "ThresholdEngine",
    "ThresholdRule",
    "UrgentBurst",
    "WindowKey",
    "client_key",
]
