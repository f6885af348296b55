"""When a channel's pending alerts become messages: grouping, storms, quiet hours, rate limit.

Pure decisions over an in-memory index of the channel's pending rows (rebuilt from the outbox
at start); the clock is passed in, so every rule here is tested with an injected time.

- **groups**: pending alerts are grouped per client (or per rule, ``group_by``). A group is
  sent when its oldest alert is ``group_interval_secs`` old, or at once when it holds a
  critical alert (``critical_immediate``), with everything else it holds.
- **storm**: when one rule's alerts came from ``storm_clients`` distinct clients or more
  within ``storm_window_secs``, that rule's pending alerts (critical too) stop going out per
  group and become one summary per interval: "sqli-union-select: 3,412 clients in the last
  5 minutes, top 10: ...". A summary holding a critical alert is not held for the interval
  (``critical_immediate``): it goes at once, up to :data:`STORM_CRITICAL_MESSAGES` per rule
  within ``storm_window_secs``, so another attacker's critical alert is not an interval late
  behind a storm, and a storm of critical alerts is still a few messages, not one per client.
- **quiet hours**: while they last, nothing but groups holding a critical alert goes out
  (``critical = "send"``, the default) or nothing at all (``"hold"``); what waited goes out
  when they end, still grouped.
- **rate limit**: at most ``rate_limit_messages`` messages per ``rate_limit_window_secs``, and
  as many again for messages holding a critical alert, which have a budget of their own: a
  flood of lesser alerts cannot make a critical one wait for the window. Within each budget,
  when more groups are due than it allows, its last message folds all the rest into one
  "overflow" summary; with no budget left, groups wait (nothing is lost).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

from lwsyslog.bounded import drop_oldest
from lwsyslog.notify.outbox import PendingMeta
from lwsyslog.notify.settings import Policy

__all__ = ["STORM_CRITICAL_MESSAGES", "Batch", "ChannelGroups"]

_MAX_TRACKED_CLIENTS = 20_000
#: Storm summaries per rule sent at once for a critical alert within ``storm_window_secs``;
#: past that, the rule's summaries wait for the interval again.
STORM_CRITICAL_MESSAGES = 2


@dataclass(slots=True)
class Batch:
    """Pending rows to turn into one message."""

    kind: str  # "group", "storm" or "overflow"
    ids: list[int]
    key: str = ""
    critical: bool = False
    oldest: float = 0.0
    distinct_clients: int | None = None
    groups: int = 1


@dataclass(slots=True)
class _Group:
    entries: dict[int, PendingMeta] = field(default_factory=dict)


class ChannelGroups:
    """The pending alerts of one channel and the decisions on them."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._groups: dict[str, dict[int, PendingMeta]] = {}
        self._where: dict[int, str] = {}
        # rule -> client -> time of its latest alert, oldest first (for the storm test).
        self._clients: dict[str, OrderedDict[str, float]] = {}
        # Send times within the rate-limit window: messages without and with a critical alert.
        self._sent: deque[float] = deque()
        self._sent_critical: deque[float] = deque()
        # rule -> send times of its storm summaries that held a critical alert (the latest few).
        self._storm_critical: dict[str, deque[float]] = {}

    def __len__(self) -> int:
        return len(self._where)

    def key_of(self, rule: str, client: str) -> str:
        """The group an alert of ``rule`` from ``client`` joins."""
        return rule if self.policy.group_by == "rule" else client

    def add(self, entry: PendingMeta) -> None:
        """Index a pending row (routed now, or found in the outbox at start)."""
        self._groups.setdefault(entry.group_key, {})[entry.id] = entry
        self._where[entry.id] = entry.group_key
        clients = self._clients.get(entry.rule)
        if clients is None:
            clients = self._clients[entry.rule] = OrderedDict()
        clients[entry.client] = entry.at
        clients.move_to_end(entry.client)  # the client's latest alert: newest
        drop_oldest(clients, _MAX_TRACKED_CLIENTS)

    def remove(self, ids: list[int]) -> None:
        """Forget rows that left the outbox (sent as a message, or dropped)."""
        for row_id in ids:
            key = self._where.pop(row_id, None)
            if key is None:
                continue
            group = self._groups[key]
            group.pop(row_id, None)
            if not group:
                del self._groups[key]

    def distinct_clients(self, rule: str, now: float) -> int:
        """Clients with an alert of ``rule`` within the storm window before ``now``."""
        clients = self._clients.get(rule)
        if not clients:
            return 0
        horizon = now - self.policy.storm_window_secs
        while clients:
            first = next(iter(clients))  # O(1) on an OrderedDict (a linked list)
            if clients[first] >= horizon:
                break
            del clients[first]
        if not clients:
            del self._clients[rule]
            return 0
        return len(clients)

    def decide(self, now: float) -> tuple[list[Batch], float | None]:
        """The batches to send now, and when to decide again (None: nothing waits)."""
        policy = self.policy
        quiet = policy.quiet_hours
        quiet_now = quiet is not None and quiet.active(now)
        critical_passes = not quiet_now or (quiet is not None and quiet.critical == "send")
        storming = self._storming(now)
        wake: list[float] = []
        due: list[Batch] = []
        storms: dict[str, Batch] = {}
        for key, entries in self._groups.items():
            batch = Batch("group", [], key)
            for entry in entries.values():
                target = batch
                if entry.rule in storming:
                    target = storms.setdefault(
                        entry.rule, Batch("storm", [], entry.rule, oldest=entry.at)
                    )
                elif not batch.ids:
                    batch.oldest = entry.at
                target.ids.append(entry.id)
                target.critical = target.critical or entry.critical
                target.oldest = min(target.oldest, entry.at)
            if batch.ids:
                immediate = batch.critical and policy.critical_immediate
                self._consider(
                    batch, immediate, now, quiet=(quiet_now, critical_passes), out=(due, wake)
                )
        for rule, batch in storms.items():
            batch.distinct_clients = storming[rule]
            immediate = False
            if batch.critical and policy.critical_immediate:
                allowed_at = self._storm_critical_at(rule, now)
                immediate = allowed_at <= now
                wake.append(allowed_at)
            self._consider(
                batch, immediate, now, quiet=(quiet_now, critical_passes), out=(due, wake)
            )
        if quiet_now and quiet is not None and self._where:
            wake.append(quiet.ends_at(now))
        due = self._rate_limited(due, now, wake)
        return due, (min(wake) if wake else None)

    def sent(self, batch: Batch, now: float) -> None:
        """Count the message made now of ``batch`` against the rate limit (and a critical
        storm summary against the rule's allowance for those)."""
        if self.policy.rate_limit_messages:
            (self._sent_critical if batch.critical else self._sent).append(now)
        if batch.kind == "storm" and batch.critical:
            times = self._storm_critical.setdefault(batch.key, deque())
            times.append(now)
            if len(times) > STORM_CRITICAL_MESSAGES:
                times.popleft()

    def _storm_critical_at(self, rule: str, now: float) -> float:
        """When a storm summary of ``rule`` holding a critical alert may go at once."""
        times = self._storm_critical.get(rule)
        if times is None or len(times) < STORM_CRITICAL_MESSAGES:
            return now
        return max(now, times[0] + self.policy.storm_window_secs)

    def _storming(self, now: float) -> dict[str, int]:
        threshold = self.policy.storm_clients
        if threshold <= 0:
            return {}
        storming = {}
        for rule in list(self._clients):
            count = self.distinct_clients(rule, now)
            if count >= threshold:
                storming[rule] = count
        return storming

    def _consider(
        self,
        batch: Batch,
        immediate: bool,
        now: float,
        *,
        quiet: tuple[bool, bool],
        out: tuple[list[Batch], list[float]],
    ) -> None:
        quiet_now, critical_passes = quiet
        due, wake = out
        ready_at = now if immediate else batch.oldest + self.policy.group_interval_secs
        if quiet_now and not (batch.critical and critical_passes):
            return  # held: the end of the quiet hours wakes the sender
        if ready_at <= now:
            due.append(batch)
        else:
            wake.append(ready_at)

    def _rate_limited(self, due: list[Batch], now: float, wake: list[float]) -> list[Batch]:
        if not self.policy.rate_limit_messages or not due:
            return due
        critical = [b for b in due if b.critical]
        lesser = [b for b in due if not b.critical]
        return [
            *self._within_budget(critical, self._sent_critical, now, wake),
            *self._within_budget(lesser, self._sent, now, wake),
        ]

    def _within_budget(
        self, due: list[Batch], sent: deque[float], now: float, wake: list[float]
    ) -> list[Batch]:
        """What of ``due`` one budget (its send times ``sent``) lets go now."""
        if not due:
            return due
        limit = self.policy.rate_limit_messages
        window = self.policy.rate_limit_window_secs
        while sent and sent[0] <= now - window:
            sent.popleft()
        budget = limit - len(sent)
        if budget <= 0:
            wake.append(sent[0] + window)
            return []
        if len(due) <= budget:
            return due
        due.sort(key=lambda b: b.oldest)
        kept, rest = due[: budget - 1], due[budget - 1 :]
        overflow = Batch(
            "overflow",
            [i for b in rest for i in b.ids],
            critical=any(b.critical for b in rest),
            oldest=min(b.oldest for b in rest),
            groups=len(rest),
        )
        return [*kept, overflow]
