"""What the omprog program exports at one moment, as plain immutable copies.

The program's counters change on every line in one thread; :class:`Figures` is taken between
lines (at the export interval, never per line), so the metrics endpoint's thread, the
node-exporter textfile and the status file read a consistent snapshot and never the live
counters. ``counters`` holds the stats line's figures under the stats line's own names, so
what a scrape shows and what the program logged can be compared one to one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["LAG_BUCKETS", "ChannelFigures", "Figures", "LagFigures", "LagSampler"]

#: Upper bounds (seconds) of the processing-lag histogram's buckets.
LAG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


@dataclass(frozen=True, slots=True)
class LagFigures:
    """Processing lag: the latest sample, and a histogram of every sample so far.

    ``buckets`` are cumulative counts for :data:`LAG_BUCKETS`, then +Inf (= ``count``).
    """

    last_secs: float | None = None
    buckets: tuple[int, ...] = (0,) * (len(LAG_BUCKETS) + 1)
    sum_secs: float = 0.0
    count: int = 0


class LagSampler:
    """Samples the delay between a line's own time and its processing, off the hot path.

    The program keeps a reference to the last envelope it decoded (one store per line); at
    housekeeping, at most every half second, that line's time is read and its lag recorded.
    """

    def __init__(self) -> None:
        self._counts = [0] * (len(LAG_BUCKETS) + 1)
        self._sum = 0.0
        self._count = 0
        self.last_secs: float | None = None

    def sample(self, line_time: float | None, now: float) -> None:
        """Record the lag of a line stamped ``line_time`` processed at ``now`` (wall clock)."""
        if line_time is None:
            return
        lag = max(now - line_time, 0.0)
        self.last_secs = lag
        self._sum += lag
        self._count += 1
        for index, bound in enumerate(LAG_BUCKETS):
            if lag <= bound:
                self._counts[index] += 1
                return
        self._counts[-1] += 1

    def figures(self) -> LagFigures:
        """The samples so far (cumulative buckets, as Prometheus histograms count)."""
        cumulative: list[int] = []
        total = 0
        for count in self._counts:
            total += count
            cumulative.append(total)
        return LagFigures(self.last_secs, tuple(cumulative), self._sum, self._count)


@dataclass(frozen=True, slots=True)
class ChannelFigures:
    """One notification channel's delivery figures (the sender's, cumulative over the life of
    the outbox file).

    ``failing_since`` is the wall time its current run of failed attempts began, 0 when its
    last attempt delivered or none failed yet; ``last_error`` is sanitized and bounded.
    """

    kind: str = ""
    attempts: int = 0
    delivered: int = 0
    failures: int = 0
    failing_since: float = 0.0
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class Figures:
    """One snapshot of the program's figures (see the module docstring).

    ``notify_channels`` maps each notification channel's name to its figures; ``hosts`` maps
    each web host to (time of its last line, silent now); times are seconds
    since the epoch. ``labelled_hosts`` are the hosts with a series of their own in the
    metrics (:class:`~lwsyslog.metrics.labels.HostSeries`); the others share ``_other``.
    """

    instance: str
    pid: int
    started: float
    taken: float
    counters: Mapping[str, int]
    unparsed: Mapping[str, int] = field(default_factory=dict)
    bad_envelopes: Mapping[str, int] = field(default_factory=dict)
    exceptions: Mapping[str, int] = field(default_factory=dict)
    findings_by_category: Mapping[str, int] = field(default_factory=dict)
    alerts: Mapping[tuple[str, str], int] = field(default_factory=dict)
    sink_failures: Mapping[str, int] = field(default_factory=dict)
    sink_dropped: Mapping[str, int] = field(default_factory=dict)
    sink_errors: Mapping[str, str] = field(default_factory=dict)
    notify: Mapping[str, int] = field(default_factory=dict)
    notify_channels: Mapping[str, ChannelFigures] = field(default_factory=dict)
    crawlers: Mapping[str, int] = field(default_factory=dict)
    threshold_keys: Mapping[str, int] = field(default_factory=dict)
    threshold_bytes: int = 0
    memory_budget_bytes: int = 0
    threshold_evictions: int = 0
    cooldown_evictions: int = 0
    lag: LagFigures = field(default_factory=LagFigures)
    hosts: Mapping[str, tuple[float, bool]] = field(default_factory=dict)
    host_evictions: int = 0
    labelled_hosts: frozenset[str] = frozenset()
    silent_after_secs: float = 0.0
