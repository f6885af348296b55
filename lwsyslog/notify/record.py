"""An alert as the outbox stores it: a small JSON object, cut to bounded sizes.

Text is stored as logged (cut, not escaped): each output escapes it for its own medium when
the message is rendered, so the hot path pays only for one JSON encoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from lwsyslog.alerts import Alert
from lwsyslog.severity import Severity

__all__ = ["AlertRecord", "encode_alert"]

_MAX_MESSAGE_CHARS = 600
_MAX_FIELD_CHARS = 300
_RANK = {severity.value: severity.rank for severity in Severity}


def encode_alert(alert: Alert, fingerprint: str, sample_max_chars: int, now: float) -> bytes:
    """``alert`` as the JSON bytes of an :class:`AlertRecord` (``now`` when it has no time)."""
    data = {
        "fingerprint": fingerprint,
        "rule": alert.rule[:_MAX_FIELD_CHARS],
        "severity": alert.severity.value,
        "categories": list(alert.categories),
        "cves": [cve[:_MAX_FIELD_CHARS] for cve in alert.cves],
        "client": (alert.client_ip or alert.key)[:_MAX_FIELD_CHARS],
        "host": alert.last.host[:_MAX_FIELD_CHARS],
        "log": alert.log,
        "count": alert.count,
        "window_secs": alert.window_secs,
        "message": alert.message[:_MAX_MESSAGE_CHARS],
        "sample": alert.sample[:sample_max_chars],
        "source": alert.last.describe()[:_MAX_FIELD_CHARS],
        "time": alert.last_time if alert.last_time is not None else now,
    }
    try:
        return orjson.dumps(data)
    except orjson.JSONEncodeError:
        # A lone surrogate cannot be encoded: replace it rather than lose the alert.
        for key in ("rule", "client", "host", "message", "sample", "source"):
            data[key] = str(data[key]).encode("utf-8", "replace").decode("utf-8")
        return orjson.dumps(data)


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """One stored alert; every text field may hold attacker-controlled content."""

    fingerprint: str
    rule: str
    severity: str
    categories: tuple[str, ...]
    client: str
    host: str
    log: str
    count: int
    window_secs: float
    message: str
    sample: str
    source: str
    time: float
    cves: tuple[str, ...] = ()
    """CVE ids the alert's findings name (known-exploit rules); none for most alerts."""

    @property
    def rank(self) -> int:
        """Severity rank, low=0 .. critical=3."""
        return _RANK.get(self.severity, 0)

    @property
    def critical(self) -> bool:
        """True for a critical alert."""
        return self.severity == Severity.CRITICAL.value

    @classmethod
    def from_json(cls, data: bytes | str) -> AlertRecord:
        """Decode what :func:`encode_alert` wrote."""
        return cls.from_dict(orjson.loads(data))

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> AlertRecord:
        """Build from a decoded JSON object."""
        return cls(
            fingerprint=str(raw["fingerprint"]),
            rule=str(raw["rule"]),
            severity=str(raw["severity"]),
            categories=tuple(str(c) for c in raw["categories"]),
            client=str(raw["client"]),
            host=str(raw["host"]),
            log=str(raw["log"]),
            count=int(raw["count"]),
            window_secs=float(raw["window_secs"]),
            message=str(raw["message"]),
            sample=str(raw["sample"]),
            source=str(raw["source"]),
            time=float(raw["time"]),
            # Records written before CVEs were carried have none.
            cves=tuple(str(c) for c in raw.get("cves", ())),
        )

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready dict (the inverse of :meth:`from_dict`)."""
        return {
            "fingerprint": self.fingerprint,
            "rule": self.rule,
            "severity": self.severity,
            "categories": list(self.categories),
            "cves": list(self.cves),
            "client": self.client,
            "host": self.host,
            "log": self.log,
            "count": self.count,
            "window_secs": self.window_secs,
            "message": self.message,
            "sample": self.sample,
            "source": self.source,
            "time": self.time,
        }
