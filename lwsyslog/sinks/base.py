"""The sink protocol, and the dispatcher: the one place that knows what was delivered.

The dispatcher keeps one failing sink from losing alerts (each sink has its own outbox),
drops alerts the replay guard says were delivered before, and tells the guard about alerts
once every required sink took them.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Sequence
from typing import Protocol, TextIO

from lwsyslog.alerts import Alert
from lwsyslog.sanitize import sanitize

__all__ = ["AlertGuard", "Dispatcher", "Sink"]


class Sink(Protocol):
    """Something that records alerts. ``write`` raises on a (possibly transient) failure.

    A sink may set ``required = False`` (journald does): its failures are retried but never
    hold a line back, as long as a required sink (the messages file) took the alert.
    """

    name: str

    def write(self, alert: Alert) -> None:
        """Record one alert durably enough for this sink, or raise."""

    def reopen(self) -> None:
        """Reopen files (SIGHUP after logrotate)."""

    def close(self) -> None:
        """Flush and release resources."""


class AlertGuard(Protocol):
    """Remembers delivered alerts so a line replayed after a restart raises nothing twice."""

    def seen(self, alert: Alert) -> bool:
        """True when this alert (by fingerprint) was already delivered."""

    def remember(self, alerts: Sequence[Alert]) -> None:
        """Record delivered alerts (durably, before the line is confirmed); may raise OSError."""


class Dispatcher:
    """Writes every alert to every sink; keeps what a sink failed to take for a retry.

    Each sink has its own bounded outbox, so journald being down never keeps an alert out of
    the messages file, and the alert reaches journald once it is back. An alert counts as
    delivered once every *required* sink took it (every sink, when none is required): a
    journald outage must not stall the stream while the messages file keeps every alert.
    With a ``guard``, an alert it has seen is not dispatched again, and alerts are remembered
    by it once delivered (a duplicate after a crash beats a lost alert).
    """

    def __init__(
        self,
        sinks: Sequence[Sink],
        max_pending: int = 10_000,
        diagnostics: TextIO | None = None,
        guard: AlertGuard | None = None,
    ) -> None:
        self.sinks = tuple(sinks)
        self.guard = guard
        self._unsettled: list[Alert] = []
        self._max_unsettled = max_pending
        self.guard_failures = 0
        self._pending: dict[str, deque[Alert]] = {s.name: deque(maxlen=max_pending) for s in sinks}
        required = [s.name for s in sinks if getattr(s, "required", True)]
        self._required = tuple(required or (s.name for s in sinks))
        self.failures: dict[str, int] = {sink.name: 0 for sink in sinks}
        self.delivered = 0
        self._diagnostics = diagnostics if diagnostics is not None else sys.stderr
        self._last_error: dict[str, str] = {}

    @property
    def pending(self) -> int:
        """Alerts some sink has not taken yet."""
        return sum(len(queue) for queue in self._pending.values())

    @property
    def settled(self) -> bool:
        """True when every required sink has taken every alert."""
        return not any(self._pending[name] for name in self._required)

    def fresh(self, alerts: Sequence[Alert]) -> list[Alert]:
        """``alerts`` without those the guard says were delivered before."""
        guard = self.guard
        if guard is None:
            return list(alerts)
        return [alert for alert in alerts if not guard.seen(alert)]

    def dispatch(self, alerts: Sequence[Alert]) -> bool:
        """Deliver ``alerts`` (after anything pending); True when the required sinks took all."""
        for sink in self.sinks:
            queue = self._pending[sink.name]
            queue.extend(alerts)
            self._drain(sink, queue)
        self.delivered += len(alerts)
        unsettled = self._unsettled
        unsettled.extend(alerts)
        if len(unsettled) > self._max_unsettled:
            # Kept bounded during a long outage: the oldest are then never remembered, so a
            # replay after a crash could raise them twice (a duplicate, never a loss).
            del unsettled[: len(unsettled) - self._max_unsettled]
        return self._settle()

    def retry(self) -> bool:
        """Try the pending alerts again; True when the required sinks have taken everything."""
        for sink in self.sinks:
            self._drain(sink, self._pending[sink.name])
        return self._settle()

    def last_errors(self) -> dict[str, str]:
        """The last failure of each sink that has not taken everything yet."""
        return {name: error for name, error in self._last_error.items() if self._pending[name]}

    def _settle(self) -> bool:
        if not self.settled:
            return False
        if self._unsettled:
            alerts, self._unsettled = self._unsettled, []
            if self.guard is not None:
                try:
                    self.guard.remember(alerts)
                except OSError as error:
                    self.guard_failures += 1
                    text = sanitize(f"{type(error).__name__}: {error}", 300)
                    print(
                        f"lwsyslog: replay guard not written ({text}); a replay after a restart "
                        "may raise these alerts again",
                        file=self._diagnostics,
                    )
        return True

    def reopen(self) -> None:
        """Reopen every sink (SIGHUP)."""
        for sink in self.sinks:
            try:
                sink.reopen()
            except OSError as error:
                self._report(sink, error)

    def close(self) -> None:
        """Last delivery attempt, then close every sink."""
        self.retry()
        for sink in self.sinks:
            try:
                sink.close()
            except OSError as error:
                self._report(sink, error)

    def _drain(self, sink: Sink, queue: deque[Alert]) -> None:
        while queue:
            try:
                sink.write(queue[0])
            except Exception as error:
                self.failures[sink.name] += 1
                self._report(sink, error)
                return
            queue.popleft()
            self._last_error.pop(sink.name, None)

    def _report(self, sink: Sink, error: BaseException) -> None:
        text = sanitize(f"{type(error).__name__}: {error}", 300)
        if self._last_error.get(sink.name) != text:
            self._last_error[sink.name] = text
            print(f"lwsyslog: sink {sink.name} failed: {text}", file=self._diagnostics)
