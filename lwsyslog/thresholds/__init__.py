"""Multi-event thresholds: the rules (:mod:`.rules`, the missing-page windows in :mod:`.missing`,
the 5xx windows in :mod:`.server_errors`, all listed in :mod:`.registry`), their windows in
fixed-size records (:mod:`.windows`) and answer tallies (:mod:`.tallies`), the engine that
counts observations and reports crossings (:mod:`.engine`), and the key a client is counted
under (:mod:`.keys`)."""

from lwsyslog.thresholds.engine import DEFAULT_MEMORY_BUDGET_BYTES, Crossing, ThresholdEngine
from lwsyslog.thresholds.keys import client_key
from lwsyslog.thresholds.missing import Scan404Burst, ScanDistinct404, is_static_asset
from lwsyslog.thresholds.registry import THRESHOLD_RULES
from lwsyslog.thresholds.rules import (
    AttackRepeat,
    AuthBruteForce,
    BruteForceSuccess,
    EveryEventRule,
    LoginPostBurst,
    RequestFlood,
    ThresholdRule,
    UrgentBurst,
    WindowKey,
)
from lwsyslog.thresholds.server_errors import BackendErrors, ServerErrorStorm

__all__ = [
    "DEFAULT_MEMORY_BUDGET_BYTES",
    "THRESHOLD_RULES",
    "AttackRepeat",
    "AuthBruteForce",
    "BackendErrors",
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
    "is_static_asset",
]
