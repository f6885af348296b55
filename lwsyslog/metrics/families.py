"""Prometheus metric families made from one :class:`~lwsyslog.metrics.figures.Figures`.

Every metric carries the label ``omprog_instance`` (the program's ``--instance``), so the
shards of one server can share a node-exporter textfile directory or a scrape job. Host names
come from the network: every label value goes through
:func:`~lwsyslog.metrics.labels.label_value` (control characters escaped, length bounded,
distinct values kept distinct). Their number is bounded: the hosts of
:attr:`~lwsyslog.metrics.figures.Figures.labelled_hosts` get a series each, every other one is
summed up in ``host="_other"`` (:class:`~lwsyslog.metrics.labels.HostSeries`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from lwsyslog.metrics.figures import LAG_BUCKETS, Figures
from lwsyslog.metrics.labels import OTHER_HOSTS, label_value

__all__ = ["COUNTERS", "INSTANCE_LABEL", "families"]

INSTANCE_LABEL = "omprog_instance"

#: Stats-line figure -> (metric name without ``_total``, help): plain counters.
COUNTERS: Mapping[str, tuple[str, str]] = {
    "received": ("lwsyslog_lines_received", "Lines rsyslog handed to the program."),
    "lines": ("lwsyslog_lines", "Lines the pipeline processed (received minus skipped)."),
    "urgent": ("lwsyslog_urgent_lines", "Lines triaged urgent."),
    "invalid_utf8": ("lwsyslog_invalid_utf8_lines", "Lines with invalid UTF-8 (replaced)."),
    "replays": (
        "lwsyslog_replayed_lines",
        "Lines rsyslog sent again, skipped (already processed).",
    ),
    "replayed_alerts_suppressed": (
        "lwsyslog_replayed_alerts_suppressed",
        "Alerts of replayed lines not raised twice.",
    ),
    "storm_alerts_folded": (
        "lwsyslog_storm_alerts_folded",
        "Alerts folded into storm summaries.",
    ),
    "storm_summaries": ("lwsyslog_storm_summaries", "Storm summary alerts raised."),
    "guard_failures": (
        "lwsyslog_guard_failures",
        "Failures to record delivered alerts in the replay guard file.",
    ),
    "journal_diagnostics_lost": (
        "lwsyslog_journal_diagnostics_lost",
        "Diagnostics journald did not take.",
    ),
}
#: Alert-store figure -> (metric name without ``_total``, help).
_STORE_COUNTERS: Mapping[str, tuple[str, str]] = {
    "store_inserted": ("lwsyslog_store_inserted_alerts", "Alerts committed to the store."),
    "store_failures": ("lwsyslog_store_failures", "Failed commits and prunes of the store."),
    "store_dropped": (
        "lwsyslog_store_dropped_alerts",
        "Alerts the store sink took and dropped uncommitted (too many pending).",
    ),
    "store_reopened": (
        "lwsyslog_store_reopened",
        "Times the store was opened again after it was off.",
    ),
    "store_pruned_young": (
        "lwsyslog_store_pruned_young_alerts",
        "Alerts younger than retention_days deleted to stay within max_rows or max_bytes.",
    ),
}
# Notifier figures that are levels, not counts.
_NOTIFY_GAUGES = frozenset(
    {"notify_queued_alerts", "notify_queued_messages", "notify_inbox_bytes", "notify_outbox_bytes"}
)
# Crawler-verification figures that are levels, not counts.
_CRAWLER_GAUGES = frozenset({"crawler_pending", "crawler_cache_entries", "crawler_cache_bytes"})


def families(figures: Figures) -> Iterator[Metric]:
    """Every metric family of ``figures``."""
    instance = figures.instance
    counters = figures.counters
    for key, (name, text) in COUNTERS.items():
        yield _counter(name, text, instance, {(): counters.get(key, 0)})
    yield _counter(
        "lwsyslog_events",
        "Parsed lines by log kind.",
        instance,
        {("access",): counters.get("access", 0), ("error",): counters.get("error", 0)},
        ("log",),
    )
    yield _counter(
        "lwsyslog_unparsed_lines",
        "Lines no format fits, by reason.",
        instance,
        _keyed(figures.unparsed),
        ("reason",),
    )
    yield _counter(
        "lwsyslog_bad_envelopes",
        "Lines rsyslog's JSON envelope could not be decoded from, by reason.",
        instance,
        _keyed(figures.bad_envelopes),
        ("reason",),
    )
    yield _counter(
        "lwsyslog_line_exceptions",
        "Lines skipped after an unexpected error, by exception type.",
        instance,
        _keyed(figures.exceptions),
        ("type",),
    )
    yield _counter(
        "lwsyslog_answers",
        "Answers to rsyslog (error: rsyslog sends the line again).",
        instance,
        {("ok",): counters.get("answered_ok", 0), ("error",): counters.get("answered_error", 0)},
        ("answer",),
    )
    yield _counter(
        "lwsyslog_findings",
        "Lines with findings, by category (a line counts once per category).",
        instance,
        _keyed(figures.findings_by_category),
        ("category",),
    )
    yield _counter(
        "lwsyslog_alerts",
        "Alerts raised, by rule and severity.",
        instance,
        {tuple(key): value for key, value in figures.alerts.items()},
        ("rule", "severity"),
    )
    yield from _sink_families(figures)
    yield from _state_families(figures)
    yield from _host_families(figures)
    yield from _crawler_families(figures)
    yield _lag_histogram(figures)
    if figures.lag.last_secs is not None:
        yield _gauge(
            "lwsyslog_processing_lag_last_seconds",
            "The latest processing-lag sample.",
            instance,
            {(): figures.lag.last_secs},
        )
    yield _gauge(
        "lwsyslog_start_time_seconds",
        "When the program started (seconds since the epoch).",
        instance,
        {(): figures.started},
    )


def _sink_families(figures: Figures) -> Iterator[Metric]:
    instance = figures.instance
    yield _counter(
        "lwsyslog_sink_failures",
        "Failed writes of an alert to a sink (retried), by sink.",
        instance,
        _keyed(figures.sink_failures),
        ("sink",),
    )
    yield _counter(
        "lwsyslog_sink_dropped_alerts",
        "Alerts a sink's full backlog dropped, by sink.",
        instance,
        _keyed(figures.sink_dropped),
        ("sink",),
    )
    yield _gauge(
        "lwsyslog_pending_alerts",
        "Alerts waiting for a sink to take them.",
        instance,
        {(): figures.counters.get("pending_alerts", 0)},
    )
    yield from _plain_families(figures.notify, "notify_", "Notifications", _NOTIFY_GAUGES, instance)
    yield from _channel_families(figures)
    yield from _store_families(figures)


def _channel_families(figures: Figures) -> Iterator[Metric]:
    """Each notification channel's delivery, by channel (with ``[notify]``)."""
    channels, instance = figures.notify_channels, figures.instance
    if not channels:
        return
    yield _gauge(
        "lwsyslog_notify_channel_failing_seconds",
        "Seconds since a channel's current run of failed attempts began (0 while it delivers).",
        instance,
        {
            (name,): max(figures.taken - c.failing_since, 0.0) if c.failing_since > 0 else 0.0
            for name, c in channels.items()
        },
        ("channel",),
    )
    yield _counter(
        "lwsyslog_notify_channel_delivered",
        "Notifications a channel delivered.",
        instance,
        {(name,): c.delivered for name, c in channels.items()},
        ("channel",),
    )
    yield _counter(
        "lwsyslog_notify_channel_failures",
        "Failed delivery attempts of a channel (the message stays in the outbox, retried).",
        instance,
        {(name,): c.failures for name, c in channels.items()},
        ("channel",),
    )


def _store_families(figures: Figures) -> Iterator[Metric]:
    """The alert store's figures, when the program has a store (``[store] enabled``)."""
    counters, instance = figures.counters, figures.instance
    if "store_off" not in counters:
        return
    yield _gauge(
        "lwsyslog_store_off",
        "1 while the alert store is not open (locked, newer, deleted): alerts are not stored.",
        instance,
        {(): counters["store_off"]},
    )
    for key, (name, text) in _STORE_COUNTERS.items():
        yield _counter(name, text, instance, {(): counters.get(key, 0)})
    yield _counter(
        "lwsyslog_store_pruned_alerts",
        "Alerts the store deleted, by reason: age (retention_days), rows (max_rows), "
        "bytes (max_bytes).",
        instance,
        {(why,): counters.get(f"store_pruned_{why}", 0) for why in ("age", "rows", "bytes")},
        ("reason",),
    )


def _crawler_families(figures: Figures) -> Iterator[Metric]:
    """Crawler verification (``[crawlers] verify``): claims, lookups, verdicts, its cache."""
    yield from _plain_families(
        figures.crawlers, "crawler_", "Crawler verification", _CRAWLER_GAUGES, figures.instance
    )


def _plain_families(
    values: Mapping[str, int], prefix: str, topic: str, gauges: frozenset[str], instance: str
) -> Iterator[Metric]:
    """One unlabelled metric per stats-line figure ``PREFIX...``: a gauge when it is a level
    (in ``gauges``), a counter otherwise."""
    for key, value in sorted(values.items()):
        name = f"lwsyslog_{key}"
        text = f"{topic}: {key.removeprefix(prefix).replace('_', ' ')}."
        if key in gauges:
            yield _gauge(name, text, instance, {(): value})
        else:
            yield _counter(name, text, instance, {(): value})


def _state_families(figures: Figures) -> Iterator[Metric]:
    instance = figures.instance
    yield _gauge(
        "lwsyslog_threshold_keys",
        "Keys (clients) the threshold windows hold now, by rule.",
        instance,
        _keyed(figures.threshold_keys),
        ("rule",),
    )
    yield _gauge(
        "lwsyslog_threshold_memory_bytes",
        "Bytes the threshold windows take (allocated up front).",
        instance,
        {(): figures.threshold_bytes},
    )
    yield _gauge(
        "lwsyslog_threshold_memory_budget_bytes",
        "The configured budget for the threshold windows ([alerts] memory_budget_bytes).",
        instance,
        {(): figures.memory_budget_bytes},
    )
    yield _counter(
        "lwsyslog_threshold_evictions",
        "Keys evicted from threshold windows to stay within the budget.",
        instance,
        {(): figures.threshold_evictions},
    )
    yield _counter(
        "lwsyslog_cooldown_evictions",
        "Cooldown entries evicted to stay within max_keys.",
        instance,
        {(): figures.cooldown_evictions},
    )


def _host_families(figures: Figures) -> Iterator[Metric]:
    instance = figures.instance
    hosts = figures.hosts
    yield _gauge("lwsyslog_hosts", "Web hosts tracked.", instance, {(): len(hosts)})
    yield _gauge(
        "lwsyslog_hosts_silent",
        "Web hosts silent past their limit now ([hosts] silent_after_secs).",
        instance,
        {(): sum(1 for _, silent in hosts.values() if silent)},
    )
    latest, unlabelled = _last_lines(hosts, figures.labelled_hosts)
    yield _gauge(
        "lwsyslog_host_last_line_timestamp_seconds",
        "When each web host's last line was processed (seconds since the epoch); "
        'host="_other": the latest of the hosts without a series of their own.',
        instance,
        latest,
        ("host",),
    )
    yield _gauge(
        "lwsyslog_hosts_unlabelled",
        'Web hosts tracked without a series of their own (counted in host="_other").',
        instance,
        {(): unlabelled},
    )
    yield _counter(
        "lwsyslog_host_evictions",
        "Web hosts forgotten to stay within [hosts] max_hosts.",
        instance,
        {(): figures.host_evictions},
    )


def _last_lines(
    hosts: Mapping[str, tuple[float, bool]], labelled: frozenset[str]
) -> tuple[dict[tuple[str, ...], float], int]:
    """Each labelled host's last-line time by its label value, the latest of the others under
    ``_other`` (a name that shows as ``_other`` is one of them), and how many others there
    are. Should two hosts ever show alike, the later time: one series per label set."""
    latest: dict[tuple[str, ...], float] = {}
    other = (OTHER_HOSTS,)
    unlabelled = 0
    for host, (last, _) in hosts.items():
        key = (label_value(host),) if host in labelled else other
        if key == other:
            unlabelled += 1
        latest[key] = max(last, latest.get(key, last))
    return latest, unlabelled


def _lag_histogram(figures: Figures) -> Metric:
    lag = figures.lag
    family = HistogramMetricFamily(
        "lwsyslog_processing_lag_seconds",
        "Seconds from a line's own time (the web host's syslog timestamp) to its processing, "
        "sampled at most twice a second.",
        labels=(INSTANCE_LABEL,),
    )
    buckets = [(_bound(le), count) for le, count in zip(LAG_BUCKETS, lag.buckets, strict=False)]
    buckets.append(("+Inf", lag.count))
    family.add_metric([label_value(figures.instance)], buckets, lag.sum_secs)
    return family


def _bound(value: float) -> str:
    return f"{value:g}" if value != int(value) else f"{value:.1f}"


def _keyed(values: Mapping[str, int]) -> dict[tuple[str, ...], int]:
    return {(key,): value for key, value in values.items()}


def _counter(
    name: str,
    text: str,
    instance: str,
    samples: Mapping[tuple[str, ...], float],
    labels: Sequence[str] = (),
) -> Metric:
    family = CounterMetricFamily(name, text, labels=(INSTANCE_LABEL, *labels))
    for values, value in samples.items():
        family.add_metric(_label_values(instance, values), value)
    return family


def _gauge(
    name: str,
    text: str,
    instance: str,
    samples: Mapping[tuple[str, ...], float],
    labels: Sequence[str] = (),
) -> Metric:
    family = GaugeMetricFamily(name, text, labels=(INSTANCE_LABEL, *labels))
    for values, value in samples.items():
        family.add_metric(_label_values(instance, values), value)
    return family


def _label_values(instance: str, values: tuple[str, ...]) -> list[str]:
    return [label_value(value) for value in (instance, *values)]
