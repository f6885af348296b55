"""The sink protocol and the dispatcher that keeps one failing sink from losing alerts."""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Sequence
from typing import Protocol, TextIO

from lwsyslog.alerts import Alert
from lwsyslog.sanitize import sanitize

__all__ = ["Dispatcher", "Sink"]


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


class Dispatcher:
    """Writes every alert to every sink; keeps what a sink failed to take for a retry.

    Each sink has its own bounded outbox, so journald being down never keeps an alert out of
    the messages file, and the alert reaches journald once it is back. An alert counts as
    delivered once every *required* sink took it (every sink, when none is required): a
    journald outage must not stall the stream while the messages file keeps every alert.
    """

    def __init__(
        self, sinks: Sequence[Sink], max_pending: int = 10_000, diagnostics: TextIO | None = None
    ) -> None:
        self.sinks = tuple(sinks)
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

    def dispatch(self, alerts: Sequence[Alert]) -> bool:
        """Deliver ``alerts`` (after anything pending); True when the required sinks took all."""
        for sink in self.sinks:
            queue = self._pending[sink.name]
            queue.extend(alerts)
            self._drain(sink, queue)
        self.delivered += len(alerts)
        return self.settled

    def retry(self) -> bool:
        """Try the pending alerts again; True when the required sinks have taken everything."""
        for sink in self.sinks:
            self._drain(sink, self._pending[sink.name])
        return self.settled

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
