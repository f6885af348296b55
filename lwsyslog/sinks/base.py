"""The sink protocol, and the dispatcher: the one place that knows what was delivered.

The dispatcher keeps one failing sink from losing alerts or slowing the others: each sink has
its own backlog (memory, then a spool file on disk, see :mod:`lwsyslog.sinks.backlog`), and a
best-effort sink that failed is left alone for a growing pause before it is tried again, so a
dead journald costs no system call per line. It drops alerts the replay guard says were
delivered before, and tells the guard about alerts once every required sink took them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, TextIO

from lwsyslog.alerts import Alert
from lwsyslog.sanitize import sanitize
from lwsyslog.sinks.backlog import Backlog

__all__ = ["MESSAGES_FILE", "AlertGuard", "Dispatcher", "Sink"]

#: The name of the messages-file sink: the record of every alert when it is required.
MESSAGES_FILE = "messages-file"


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

    An alert counts as delivered once every *required* sink took it (every sink, when none is
    required): a journald outage must not stall the stream while the messages file keeps
    every alert. A required sink is tried again at every dispatch (the line waits for it)
    until it has refused alerts for ``hold_secs``: then it no longer holds lines back (a
    deleted log directory must not stop detection) and is retried as a best-effort sink,
    its alerts kept in its backlog, until it takes them all and is required again. A
    best-effort one after a pause that doubles from :data:`FIRST_PAUSE_SECS` up to
    :data:`MAX_PAUSE_SECS` (or :data:`BUSY_PAUSE_SECS` when it took some before refusing). With
    ``spool_dir`` each best-effort sink's backlog spills to
    ``spool_dir/backlog-NAME.jsonl`` beyond memory. With a ``guard``, an alert it has seen is
    not dispatched again, and alerts are remembered by it once delivered (a duplicate after a
    crash beats a lost alert).
    """

    FIRST_PAUSE_SECS = 0.5
    BUSY_PAUSE_SECS = 0.02
    MAX_PAUSE_SECS = 30.0
    #: Drops are reported at once, then at most once per this many seconds (and at close).
    DROP_REPORT_SECS = 60.0

    def __init__(
        self,
        sinks: Sequence[Sink],
        max_pending: int = 10_000,
        *,
        diagnostics: TextIO | None = None,
        guard: AlertGuard | None = None,
        spool_dir: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
        hold_secs: float = 60.0,
    ) -> None:
        self.sinks = tuple(sinks)
        self.guard = guard
        self._clock = clock
        self._unsettled: list[Alert] = []
        self._max_unsettled = max_pending
        self.guard_failures = 0
        required = [s.name for s in sinks if getattr(s, "required", True)]
        self._required = tuple(required or (s.name for s in sinks))
        #: Required sinks that refused alerts for ``hold_secs``: lines no longer wait for them.
        self._released: set[str] = set()
        self._hold_secs = hold_secs
        self._refusing_since: dict[str, float] = {}
        # A required sink's backlog spills to disk too: released, it keeps its alerts there.
        self._backlogs: dict[str, Backlog] = {
            sink.name: Backlog(
                None if spool_dir is None else spool_dir / f"backlog-{sink.name}.jsonl",
                max_memory=max_pending if sink.name in self._required else 1000,
            )
            for sink in sinks
        }
        self._pause: dict[str, float] = {sink.name: 0.0 for sink in sinks}
        self._next_try: dict[str, float] = {sink.name: float("-inf") for sink in sinks}
        self.failures: dict[str, int] = {sink.name: 0 for sink in sinks}
        self.delivered = 0
        self._diagnostics = diagnostics if diagnostics is not None else sys.stderr
        self._last_error: dict[str, str] = {}
        self._dropped_reported: dict[str, int] = {sink.name: 0 for sink in sinks}
        self._next_drop_report: dict[str, float] = {sink.name: float("-inf") for sink in sinks}
        self._retry_at = float("inf")

    @property
    def pending(self) -> int:
        """Alerts some sink has not taken yet (in memory or spooled)."""
        return sum(len(backlog) for backlog in self._backlogs.values())

    @property
    def dropped(self) -> dict[str, int]:
        """Alerts each sink lost because its backlog was full (counted, reported)."""
        return {name: backlog.dropped for name, backlog in self._backlogs.items()}

    def not_taken(self, name: str) -> int:
        """Alerts sink ``name`` has not taken: waiting in its backlog, or dropped from it."""
        backlog = self._backlogs[name]
        return len(backlog) + backlog.dropped

    @property
    def settled(self) -> bool:
        """True when every required sink still holding lines has taken every alert."""
        return not any(self._holds(name) and self._backlogs[name] for name in self._required)

    @property
    def released(self) -> tuple[str, ...]:
        """Required sinks that refused alerts too long and hold no line back until they
        take them again."""
        return tuple(sorted(self._released))

    def _holds(self, name: str) -> bool:
        """True when lines wait for sink ``name``: it is required and not released."""
        return name in self._required and name not in self._released

    def fresh(self, alerts: Sequence[Alert]) -> list[Alert]:
        """``alerts`` without those the guard says were delivered before."""
        guard = self.guard
        if guard is None:
            return list(alerts)
        return [alert for alert in alerts if not guard.seen(alert)]

    def dispatch(self, alerts: Sequence[Alert]) -> bool:
        """Deliver ``alerts`` (after anything pending); True when the required sinks took all."""
        now = self._clock()
        for sink in self.sinks:
            backlog = self._backlogs[sink.name]
            backlog.extend(alerts)
            if now >= self._next_try[sink.name]:
                self._drain(sink, backlog, now)
            self._report_drops(sink.name, backlog, now)
        self.delivered += len(alerts)
        unsettled = self._unsettled
        unsettled.extend(alerts)
        if len(unsettled) > self._max_unsettled:
            # Kept bounded during a long outage: the oldest are then never remembered, so a
            # replay after a crash could raise them twice (a duplicate, never a loss).
            del unsettled[: len(unsettled) - self._max_unsettled]
        self._update_retry_at()
        return self._settle()

    def retry(self, *, force: bool = False) -> bool:
        """Try the sinks whose pause is over (every sink with ``force``); True when the
        required sinks have taken everything."""
        now = self._clock()
        for sink in self.sinks:
            backlog = self._backlogs[sink.name]
            if backlog and (force or now >= self._next_try[sink.name]):
                self._drain(sink, backlog, now)
        self._update_retry_at()
        return self._settle()

    def flush(self) -> None:
        """Let sinks that batch (the alert store) commit what they hold (input is idle)."""
        for sink in self.sinks:
            flush = getattr(sink, "flush", None)
            if flush is not None:
                try:
                    flush()
                except Exception as error:
                    self.failures[sink.name] += 1
                    self._report(sink, error)

    def last_errors(self) -> dict[str, str]:
        """The last failure of each sink that has not taken everything yet."""
        return {name: error for name, error in self._last_error.items() if self._backlogs[name]}

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

    def inherit(self, old: Dispatcher) -> int:
        """Take over what ``old`` (closed, replaced by a reload) still owes: each sink's
        backlog goes on to the sink of the same name here, and its alerts not yet remembered
        by the guard are remembered once these sinks took them. Returns how many alerts are
        lost because their sink is no longer configured.

        The backlog objects move whole (memory and the spool file they share the path of), so
        nothing is read twice or dropped; a backlog this dispatcher made for the same sink is
        empty at this point apart from that same spool file, which it gives up.
        """
        lost = 0
        for name, backlog in old._backlogs.items():
            if name in self._backlogs:
                if backlog:
                    self._backlogs[name] = backlog
                    self._last_error[name] = old._last_error.get(name, "not taken before reload")
                # A sink released for refusing alerts stays released (a reload of a still
                # broken path must not hold lines for another hold_secs), and one still in
                # its hold keeps the time it began refusing.
                if name in old._released and name in self._required:
                    self._released.add(name)
                if name in old._refusing_since:
                    self._refusing_since[name] = old._refusing_since[name]
            else:
                lost += len(backlog)
        self._unsettled.extend(old._unsettled)
        old._unsettled = []
        self._update_retry_at()
        return lost

    def reopen(self) -> None:
        """Reopen every sink (SIGHUP)."""
        for sink in self.sinks:
            try:
                sink.reopen()
            except Exception as error:
                self._report(sink, error)

    def close(self) -> None:
        """Last delivery attempt, then close every sink (a backlog on disk stays for the
        next run)."""
        self.retry(force=True)
        for sink in self.sinks:
            try:
                sink.close()
            except Exception as error:
                self._report(sink, error)
            self._report_drops(sink.name, self._backlogs[sink.name], float("inf"))

    def _update_retry_at(self) -> None:
        # Required sinks are retried with the line they hold up (rsyslog sends it again).
        due = [
            self._next_try[name]
            for name, backlog in self._backlogs.items()
            if backlog and not self._holds(name)
        ]
        self._retry_at = min(due, default=float("inf"))

    def seconds_to_retry(self) -> float:
        """How long until a best-effort sink's backlog is due for another try (inf: none)."""
        at = self._retry_at
        return at if at == float("inf") else max(at - self._clock(), 0.0)

    def _drain(self, sink: Sink, backlog: Backlog, now: float) -> None:
        name = sink.name
        taken = 0
        while True:
            alert = backlog.first()
            if alert is None:
                break
            try:
                sink.write(alert)
            except Exception as error:
                self.failures[name] += 1
                self._report(sink, error)
                self._note_refusal(sink, now)
                if not self._holds(name):
                    if taken:
                        # It took some and then refused (journald's queue is full): alive
                        # but busy, so try again soon instead of backing off.
                        self._pause[name] = 0.0
                        self._next_try[name] = now + self.BUSY_PAUSE_SECS
                        return
                    pause = min(
                        max(self._pause[name] * 2, self.FIRST_PAUSE_SECS), self.MAX_PAUSE_SECS
                    )
                    self._pause[name] = pause
                    self._next_try[name] = now + pause
                return
            backlog.pop_first()
            taken += 1
            if name in self._last_error:
                del self._last_error[name]
                print(f"lwsyslog: sink {name} is taking alerts again", file=self._diagnostics)
        self._pause[name] = 0.0
        self._next_try[name] = float("-inf")
        self._refusing_since.pop(name, None)
        if name in self._released:
            self._released.discard(name)
            print(
                f"lwsyslog: sink {name} took every alert it missed; lines wait for it again",
                file=self._diagnostics,
            )

    def _note_refusal(self, sink: Sink, now: float) -> None:
        """A required sink that has refused alerts for ``hold_secs`` is released."""
        name = sink.name
        if not self._holds(name):
            return
        since = self._refusing_since.setdefault(name, now)
        if now - since < self._hold_secs:
            return
        self._released.add(name)
        print(
            f"lwsyslog: sink {name} has refused alerts for {now - since:.0f} s: lines no "
            "longer wait for it, so detection goes on; its alerts wait in its backlog and are "
            "written when it takes them again (fix the cause: see the error above)",
            file=self._diagnostics,
        )

    def _report(self, sink: Sink, error: BaseException) -> None:
        text = sanitize(f"{type(error).__name__}: {error}", 300)
        if self._last_error.get(sink.name) != text:
            self._last_error[sink.name] = text
            print(f"lwsyslog: sink {sink.name} failed: {text}", file=self._diagnostics)

    def _report_drops(self, name: str, backlog: Backlog, now: float) -> None:
        """Say how many alerts ``name`` dropped since the last report: at the first drop,
        then at most every DROP_REPORT_SECS, so a long outage is a few lines, not one a line."""
        dropped = backlog.dropped
        new = dropped - self._dropped_reported[name]
        if not new or now < self._next_drop_report[name]:
            return
        self._dropped_reported[name] = dropped
        self._next_drop_report[name] = now + self.DROP_REPORT_SECS
        print(
            f"lwsyslog: sink {name}: backlog full, {new:,} alerts dropped "
            f"({dropped:,} in all{self._kept_elsewhere(name)})",
            file=self._diagnostics,
        )

    def _kept_elsewhere(self, name: str) -> str:
        """Where the alerts a best-effort sink dropped are still kept, when that is known."""
        if name != MESSAGES_FILE and self._holds(MESSAGES_FILE):
            return "; the messages file has them"
        return ""
