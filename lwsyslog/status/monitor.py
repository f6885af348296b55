"""The omprog program's monitoring, between lines: web hosts, lag, status file and metrics.

The program does two cheap things per line: it notes the line's host in a dict and keeps a
reference to the line's envelope. Everything else happens here, at housekeeping (at most every
half second) and at the export interval (``[metrics] interval_secs``):
:meth:`Monitor.housekeep` stamps the hosts noted since the last round with the monotonic
time, samples the processing lag of the last line, and returns the silent-host events due
(silences and their checks follow the monotonic clock: a step of the system clock moves
neither);
:meth:`Monitor.export` writes the status file and hands the figures to the metrics exporter.

Shards: with ``lwsyslog setup server --shards N`` each of N programs (``--instance 0`` ...
``N-1``) sees the lines of some clients only, so a web host may reach one shard and not
another. Every program therefore also takes its peers' last line times from their status files
in the same state directory (every export interval), and only one raises host alerts: any
program whose instance is not a number other than 0 (``default``, ``0``, or a name).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from lwsyslog.config import split_listen
from lwsyslog.hosts import HostEvent, HostTracker
from lwsyslog.metrics.exporter import MetricsExporter, Report
from lwsyslog.metrics.figures import Figures, LagSampler
from lwsyslog.metrics.labels import HostSeries
from lwsyslog.settings import Config, MetricsSettings
from lwsyslog.status.file import (
    read_status,
    saved_hosts,
    status_files,
    status_path,
    status_record,
    write_status,
)

__all__ = ["HOST_CHECK_SECS", "Monitor"]

#: How often silences are looked for (each look visits every tracked host).
HOST_CHECK_SECS = 1.0


class Monitor:
    """Hosts, lag, status file and metrics of one program (see the module docstring).

    ``clock`` (monotonic) measures silences and schedules their checks; ``wall_clock`` dates
    what is shown and written.
    """

    def __init__(
        self,
        config: Config,
        *,
        state_dir: Path,
        instance: str,
        report: Report,
        listen_override: str = "",
        wall_clock: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
        parent_pid: int | None = None,
    ) -> None:
        self._wall = wall_clock
        self._clock = clock
        #: The process that started the program (rsyslogd); None: this process's parent.
        self._parent_pid = parent_pid
        self._report = report
        self._instance = instance
        self._listen_override = listen_override
        self.started = wall_clock()
        self.state_dir = state_dir
        self.path = status_path(state_dir, instance)
        #: Raises host alerts (one program per server does: see the module docstring).
        self.leader = not (instance.isdigit() and instance != "0")
        self.hosts = HostTracker(config.hosts, clock=clock, wall_clock=wall_clock)
        self.hosts.restore(saved_hosts(read_status(self.path)))
        self.lag = LagSampler()
        self.settings = config.metrics
        self.exporter = self._exporter(config.metrics)
        self._host_limits: Mapping[str, float] = config.hosts.silent_after_secs_per_host
        #: The hosts with a metrics series of their own (kept over reloads: see HostSeries).
        self.host_series = HostSeries(self._host_limits)
        self._next_check = 0.0
        self._next_peers = 0.0
        self.status_failures = 0

    def _exporter(self, settings: MetricsSettings) -> MetricsExporter:
        listen = self._listen_override or settings.listen
        return MetricsExporter(
            instance=self._instance,
            textfile=settings.textfile,
            listen=split_listen(listen) if listen else None,
            report=self._report,
        )

    def reconfigure(self, config: Config) -> None:
        """Apply a reloaded configuration (hosts keep their history)."""
        self.hosts.settings = config.hosts
        self._host_limits = config.hosts.silent_after_secs_per_host
        self.host_series.configured = frozenset(self._host_limits)
        if config.metrics != self.settings:
            self.exporter.close()
            self.settings = config.metrics
            self.exporter = self._exporter(config.metrics)

    def housekeep(self, active: Mapping[str, None], line_time: float | None) -> list[HostEvent]:
        """Stamp the hosts ``active`` since the last round, sample the lag of the last line
        (its own time ``line_time``), and return the hosts that went silent or came back."""
        now = self._clock()
        events = self.hosts.seen(active, now) if active else []
        if line_time is not None:
            self.lag.sample(line_time, self._wall())
        if now >= self._next_check:
            self._next_check = now + HOST_CHECK_SECS
            if now >= self._next_peers:
                self._next_peers = now + self.settings.interval_secs
                events.extend(self._merge_peers())
            events.extend(self.hosts.check(now))
        return events if self.leader else []

    def _merge_peers(self) -> list[HostEvent]:
        """The last line times of the other programs (shards) writing to this state dir."""
        events: list[HostEvent] = []
        for path in status_files(self.state_dir):
            if path != self.path:
                peer = saved_hosts(read_status(path))
                events.extend(self.hosts.seen_at({h: last for h, (last, _) in peer.items()}))
        return events

    def export(self, figures: Figures, *, stopped: bool = False) -> None:
        """Write the status file and publish ``figures`` to the metrics exporter."""
        exporter = self.exporter
        if exporter.enabled:
            labelled = self.host_series.admit(figures.hosts)
            exporter.publish(dataclasses.replace(figures, labelled_hosts=labelled))
        metrics = {}
        address = exporter.address
        if address is not None:
            metrics["listen"] = f"{address[0]}:{address[1]}"
        if exporter.textfile:
            metrics["textfile"] = exporter.textfile
        parent = self._parent_pid or os.getppid()
        record = status_record(
            figures,
            interval_secs=self.settings.interval_secs,
            parent_pid=parent,
            parent_name=_process_name(parent),
            host_limits=self._host_limits,
            stopped=stopped,
            metrics=metrics,
        )
        try:
            write_status(self.path, record)
        except OSError as error:
            self.status_failures += 1
            self._report(
                "status-file",
                f"status file {self.path} not written ({type(error).__name__}: {error}); "
                "`lwsyslog status` cannot see this program",
            )

    def close(self) -> None:
        """Stop the metrics endpoint."""
        self.exporter.close()


def _process_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
