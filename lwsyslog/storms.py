"""Storm control: past a rate, one rule's alerts become one summary alert per window.

10,000 attacking addresses, each raising its own alert, would bury the one alert that matters
and cost the sinks tens of thousands of writes. The :class:`StormGate` counts each rule's
alerts in fixed windows of event time: the first ``max_alerts`` of a window pass as they are;
the rest are absorbed (counted, with their clients) and leave the window as one summary alert
("sqli-union-select: storm: 3,412 more alerts from 3,412 clients within 10s, most from
203.0.113.9 (12)"). Other rules' alerts are not touched, so an unrelated alert is never held
behind a storm.

A noisy attacker must not erase a distinct one, so a *grave* alert (critical, or raised by a
line the server answered 2xx: it may have worked) past the quota still passes when its client
has had no grave alert of the rule pass in the window, up to ``max_alerts`` more per rule and
window. Grave alerts folded even so are counted apart, and the summary names their clients (up
to :data:`NAMED_GRAVE_CLIENTS`, then says there are more).

Memory is bounded in bytes: at most :data:`MAX_CLIENTS` clients are remembered per rule and
window, each name cut to :data:`CLIENT_CHARS` characters. A window closed by the clock while
its alerts are still arriving (a backlogged program) keeps its spent quota and allowance: its
late alerts go to a further summary, they do not pass again. The clock closes only a window
whose rule has been quiet for :data:`QUIET_SECS`, so a backlog's window is closed by its own
later alerts, with one summary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from lwsyslog.alerts import Alert
from lwsyslog.severity import Severity

__all__ = ["CLIENT_CHARS", "MAX_CLIENTS", "NAMED_GRAVE_CLIENTS", "StormGate"]

#: Clients remembered per rule and window; beyond that the summary says "at least".
MAX_CLIENTS = 10_000
#: A client is remembered by at most this many characters of its name (an IPv6 address has
#: 45; a web host's name, the key of a host alert, may have thousands).
CLIENT_CHARS = 64
#: Clients of folded grave alerts a summary names; beyond that it says "and more".
NAMED_GRAVE_CLIENTS = 10
_TOP_SHOWN = 5
#: How long (clock time) a rule's alerts must have stopped before the clock closes its window.
QUIET_SECS = 1.0


@dataclass(slots=True)
class _Quota:
    """What one rule's window let through; kept when the clock closes the window early."""

    passed: int = 0
    #: Grave alerts passed past the quota, from clients that had none pass before.
    extra: int = 0
    #: Clients with a grave alert passed in this window (at most twice ``max_alerts``).
    grave_clients: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Window:
    """One rule's alerts in one window."""

    start: float
    quota: _Quota = field(default_factory=_Quota)
    touched: float = 0.0
    first: Alert | None = None
    last: Alert | None = None
    count: int = 0
    clients: Counter[str] = field(default_factory=Counter)
    more_clients: bool = False
    severity: Severity = Severity.LOW
    categories: dict[str, None] = field(default_factory=dict)
    grave_folded: int = 0
    grave_named: dict[str, None] = field(default_factory=dict)
    more_grave_clients: bool = False

    def absorb(self, alert: Alert, client: str, grave: bool) -> None:
        """Count ``alert`` (from ``client``) into the window's summary."""
        if self.first is None:
            self.first = alert
        self.last = alert
        self.count += 1
        if client in self.clients or len(self.clients) < MAX_CLIENTS:
            self.clients[client] += alert.count
        else:
            self.more_clients = True
        if alert.severity.rank > self.severity.rank:
            self.severity = alert.severity
        self.categories.update(dict.fromkeys(alert.categories))
        if grave:
            self.grave_folded += 1
            if client in self.grave_named or len(self.grave_named) < NAMED_GRAVE_CLIENTS:
                self.grave_named[client] = None
            else:
                self.more_grave_clients = True


class StormGate:
    """Passes alerts, or folds a rule's alerts into summaries once they come too fast."""

    def __init__(
        self,
        max_alerts: int,
        window_secs: float,
        clock: Callable[[], float],
        descriptions: dict[str, str] | None = None,
    ) -> None:
        self.max_alerts = max_alerts
        self.window_secs = window_secs
        self._clock = clock
        self._descriptions = descriptions or {}
        self._windows: dict[str, _Window] = {}
        # Per rule: the start of the last window due() closed, and what it let through.
        self._closed: dict[str, tuple[float, _Quota]] = {}
        self.absorbed = 0
        self.summaries = 0

    def filter(self, alerts: Sequence[Alert], *, answered: bool = False) -> list[Alert]:
        """The alerts to deliver now: ``alerts`` as they are or folded, and the summaries of
        windows these alerts' times have closed. ``answered``: the alerts were raised by a
        line the server answered 2xx (the attack may have worked)."""
        if self.max_alerts <= 0:
            return list(alerts)
        out: list[Alert] = []
        touched = self._clock()
        for alert in alerts:
            now = alert.last_time if alert.last_time is not None else self._clock()
            start = now - now % self.window_secs
            window = self._windows.get(alert.rule)
            if window is None or start > window.start:
                if window is not None and window.count:
                    out.append(self._summary(alert.rule, window))
                window = self._open(alert.rule, start)
            window.touched = touched
            client = (alert.client_ip or alert.key)[:CLIENT_CHARS]
            grave = answered or alert.severity is Severity.CRITICAL
            if self._passes(window.quota, client, grave):
                out.append(alert)
            else:
                window.absorb(alert, client, grave)
                self.absorbed += 1
        return out

    def _passes(self, quota: _Quota, client: str, grave: bool) -> bool:
        """Whether an alert passes the window's quota, or (grave, from a client new to the
        window's grave alerts) its allowance; counts it against the one it passes."""
        if quota.passed < self.max_alerts:
            quota.passed += 1
        elif grave and client not in quota.grave_clients and quota.extra < self.max_alerts:
            quota.extra += 1
        else:
            return False
        if grave:
            quota.grave_clients.add(client)
        return True

    def _open(self, rule: str, start: float) -> _Window:
        window = _Window(start)
        closed = self._closed.pop(rule, None)
        if closed is not None and start <= closed[0]:
            window.quota = closed[1]  # the same (or an older) window: its quota is spent
            self._closed[rule] = closed
        self._windows[rule] = window
        return window

    def due(self, now: float | None = None) -> list[Alert]:
        """Summaries of windows that ended before ``now`` (default: the clock) and whose rule
        has been quiet for :data:`QUIET_SECS`, for a program whose input went quiet while a
        storm's window was open."""
        when = self._clock() if now is None else now
        out = []
        for rule, window in list(self._windows.items()):
            over = when >= window.start + self.window_secs
            if over and when - window.touched >= QUIET_SECS:
                if window.count:
                    out.append(self._summary(rule, window))
                self._closed[rule] = (window.start, window.quota)
                del self._windows[rule]
        return out

    def flush(self) -> list[Alert]:
        """Every pending summary (end of a scan, or of the program)."""
        out = [self._summary(rule, w) for rule, w in self._windows.items() if w.count]
        self._windows.clear()
        self._closed.clear()
        return out

    def _summary(self, rule: str, window: _Window) -> Alert:
        self.summaries += 1
        first, last = window.first, window.last
        assert first is not None and last is not None
        top = ", ".join(f"{client} ({n})" for client, n in window.clients.most_common(_TOP_SHOWN))
        clients = f"{len(window.clients):,}{'+' if window.more_clients else ''}"
        what = self._descriptions.get(rule, rule)
        message = (
            f"{what}: storm: {window.count:,} more alerts from {clients} clients within "
            f"{self.window_secs:g}s, most from {top}{_grave_part(window)}; single alerts "
            "resume when it calms down"
        )
        return Alert(
            rule=rule,
            key="storm",
            client_ip="",
            categories=tuple(window.categories),
            severity=window.severity,
            count=window.count,
            window_secs=self.window_secs,
            first=first.first,
            last=last.last,
            first_time=first.first_time,
            last_time=last.last_time,
            message=message,
            sample=last.sample,
            log=last.log,
            rules=(rule,),
        )


def _grave_part(window: _Window) -> str:
    """The summary's words on its grave alerts: how many, and whose."""
    if not window.grave_folded:
        return ""
    named = ", ".join(window.grave_named)
    more = " and more" if window.more_grave_clients else ""
    return (
        f"; {window.grave_folded:,} of them critical or answered 2xx (may have worked), "
        f"from {named}{more}"
    )
