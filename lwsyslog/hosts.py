"""Silent web hosts: which hosts sent lines lately, an alert when one stops and when it is back.

A host is the syslog host name a line arrives with (the envelope's ``host``). The omprog
program notes the host of each line in a plain dict (one store per line, nothing else) and at
its housekeeping, at most every half second, hands the hosts it noted to
:meth:`HostTracker.seen`; :meth:`HostTracker.check` then says which hosts have been quiet past
their limit (``host-silent``) and :meth:`seen` which of those sent again (``host-back``). Each
silence raises one ``host-silent`` and, at its end, one ``host-back``.

Silences are measured on the monotonic clock: a step of the system clock (NTP, ``date -s``)
neither hides a silence nor invents one. Wall-clock times exist only to be shown (alerts, the
status file) and to exchange last line times with a previous run and with peers (status
files); they are always the current wall clock minus the host's silence, so they stay
consistent with the clock that reads them.

Memory is bounded: at most ``max_hosts`` hosts are tracked, the one that sent last longest ago
is forgotten first (counted in :attr:`HostTracker.evictions`). Offline scans have no notion of
a host going quiet: this is for the live program only.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from lwsyslog.alerts import Alert
from lwsyslog.bounded import drop_oldest
from lwsyslog.detection.interface import RuleInfo
from lwsyslog.events import Origin
from lwsyslog.settings import HostSettings
from lwsyslog.severity import Severity

__all__ = [
    "HOST_BACK",
    "HOST_SILENT",
    "RESTART_GRACE_SECS",
    "HostEvent",
    "HostState",
    "HostTracker",
    "host_alert",
    "host_rule_infos",
]

HOST_SILENT = "host-silent"
HOST_BACK = "host-back"
#: After a start, no host is reported silent for this long (or its limit, when shorter): the
#: lines rsyslog queued while the program was down arrive first.
RESTART_GRACE_SECS = 60.0
#: A peer's last line time counts only when newer than this tracker's by more than this, and is
#: ignored when ahead of the wall clock by more: converting wall-clock times back and forth
#: between programs moves them by microseconds, and that must not end a silence.
_PEER_SLACK_SECS = 1.0


@dataclass(slots=True)
class HostState:
    """One tracked host: when its last line was processed (monotonic clock); silent now."""

    last_seen: float
    silent: bool = False


@dataclass(frozen=True, slots=True)
class HostEvent:
    """A host went silent (``rule`` = :data:`HOST_SILENT`) or sent again (:data:`HOST_BACK`).

    ``last_line`` is the (wall-clock) time of the host's last line before the silence, ``when``
    the time the silence was noticed (silent) or ended (back).
    """

    rule: str
    host: str
    last_line: float
    when: float
    limit_secs: float

    @property
    def silence_secs(self) -> float:
        """How long the host had been quiet."""
        return max(self.when - self.last_line, 0.0)


class HostTracker:
    """The last line time of every web host, and their silences (see the module docstring).

    ``clock`` is the monotonic clock silences are measured with; ``wall_clock`` only dates
    them for display and converts the times of status files.
    """

    def __init__(
        self,
        settings: HostSettings,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._wall = wall_clock
        self.started = clock()
        # Ordered from the host that sent last longest ago to the latest.
        self._hosts: OrderedDict[str, HostState] = OrderedDict()
        self.evictions = 0

    def __len__(self) -> int:
        return len(self._hosts)

    @property
    def hosts(self) -> Mapping[str, HostState]:
        """Every tracked host (read only: least recently heard from first)."""
        return self._hosts

    @property
    def silent(self) -> int:
        """How many hosts are silent now."""
        return sum(1 for state in self._hosts.values() if state.silent)

    def snapshot(self) -> dict[str, tuple[float, bool]]:
        """``host: (last line wall-clock time, silent)`` for every tracked host (a copy)."""
        wall, now = self._wall(), self._clock()
        return {
            host: (wall - (now - state.last_seen), state.silent)
            for host, state in self._hosts.items()
        }

    def restore(self, saved: Mapping[str, tuple[float, bool]]) -> None:
        """Hosts a previous run remembered (``host: (last line wall-clock time, silent)``), so a
        host that went quiet across a restart is still noticed, and one already reported is not
        again. A time ahead of the wall clock (stepped back meanwhile) counts as now."""
        wall, now = self._wall(), self._clock()
        for host, (last_line, silent) in sorted(saved.items(), key=lambda item: item[1][0]):
            if host and host not in self._hosts:
                age = max(wall - float(last_line), 0.0)
                self._hosts[host] = HostState(now - age, bool(silent))
        self._evict()

    def seen(self, hosts: Iterable[str], now: float | None = None) -> list[HostEvent]:
        """Hosts whose lines were processed just now (``now``: monotonic); a ``host-back``
        for each silent one."""
        when = self._clock() if now is None else now
        events: list[HostEvent] = []
        for host in hosts:
            if host:
                self._stamp(host, when, events)
        self._evict()
        return events

    def seen_at(self, last_lines: Mapping[str, float]) -> list[HostEvent]:
        """Last line wall-clock times another program saw (a shard of the same server), where
        newer than this tracker's; a ``host-back`` for each silent host among them."""
        wall, now = self._wall(), self._clock()
        events: list[HostEvent] = []
        for host, last_line in last_lines.items():
            age = wall - last_line
            # Ahead of this clock: the peer wrote before a backward step; its next file tells.
            if host and age >= -_PEER_SLACK_SECS:
                self._stamp(host, now - max(age, 0.0), events, slack=_PEER_SLACK_SECS)
        self._evict()
        return events

    def _stamp(self, host: str, when: float, events: list[HostEvent], slack: float = 0.0) -> None:
        table = self._hosts
        state = table.get(host)
        if state is None:
            table[host] = HostState(when)
            return
        if when <= state.last_seen + slack:
            return
        if state.silent:
            limit = self.settings.limit_for(host)
            events.append(self._event(HOST_BACK, host, state, when, limit))
            state.silent = False
        state.last_seen = when
        table.move_to_end(host)  # the most recently heard from

    def check(self, now: float | None = None) -> list[HostEvent]:
        """A ``host-silent`` for each host quiet past its limit and not yet reported
        (``now``: monotonic)."""
        when = self._clock() if now is None else now
        settings = self.settings
        default = settings.silent_after_secs
        per_host = settings.silent_after_secs_per_host
        events: list[HostEvent] = []
        for host, state in self._hosts.items():
            if state.silent:
                continue
            limit = per_host.get(host, default) if per_host else default
            if limit <= 0 or when < state.last_seen + limit:
                continue
            if when < self.started + min(limit, RESTART_GRACE_SECS):
                continue
            state.silent = True
            events.append(self._event(HOST_SILENT, host, state, when, limit))
        return events

    def _event(self, rule: str, host: str, state: HostState, now: float, limit: float) -> HostEvent:
        """The event dated on the wall clock: noticed now, the silence as measured."""
        wall = self._wall()
        return HostEvent(rule, host, wall - (now - state.last_seen), wall, limit)

    def _evict(self) -> None:
        self.evictions += drop_oldest(self._hosts, self.settings.max_hosts)


def host_alert(event: HostEvent, severity: Severity) -> Alert:
    """The alert for ``event``: ``severity`` for a silence, low for a host back."""
    # The host is the alert's own (journald's MESSAGE says "on HOST", the messages file's
    # source and every notification name it), so the message does not repeat it.
    silence = _duration(event.silence_secs)
    if event.rule == HOST_SILENT:
        message = (
            f"sent nothing for {silence} (last line at {_iso(event.last_line)}; "
            f"limit {_duration(event.limit_secs)})"
        )
    else:
        message = f"sends again after {silence} of silence"
        severity = Severity.LOW
    origin = Origin(f"{event.host}/-", 0, event.host, "")
    return Alert(
        rule=event.rule,
        key=event.host,
        client_ip="",
        categories=(),
        severity=severity,
        count=1,
        window_secs=event.limit_secs,
        first=origin,
        last=origin,
        first_time=event.last_line,
        last_time=event.when,
        message=message,
        sample="",
        log="",
        rules=(event.rule,),
    )


def _duration(seconds: float) -> str:
    """``45s``, ``15 min``, ``2.5 h``: a silence as people say it."""
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _iso(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds")


def host_rule_infos(settings: HostSettings) -> tuple[RuleInfo, RuleInfo]:
    """``host-silent`` and ``host-back`` as ``lwsyslog rules`` lists them (the live program's
    health alerts: no finding, no category, off when ``silent_after_secs`` is 0)."""
    enabled = settings.silent_after_secs > 0 or any(settings.silent_after_secs_per_host.values())
    limit = f"{settings.silent_after_secs:g}s" if settings.silent_after_secs > 0 else "off"
    return (
        RuleInfo(
            id=HOST_SILENT,
            kind="health",
            severity=settings.severity,
            categories=(),
            description=f"a web host sent no line for [hosts] silent_after_secs ({limit})",
            enabled=enabled,
        ),
        RuleInfo(
            id=HOST_BACK,
            kind="health",
            severity=Severity.LOW,
            categories=(),
            description="a silent web host sends again",
            enabled=enabled,
        ),
    )
