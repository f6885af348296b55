"""The omprog program's core: one line in, one status out, whatever the confirmation mode.

:class:`OmprogProgram` builds the configuration, the replay guard, the sinks and the pipeline;
:meth:`OmprogProgram.handle` decodes one rsyslog line (the JSON envelope), runs it through the
pipeline and says what to answer. It never raises on a line: a line that can never succeed is
counted and answered ``OK``. What was delivered is known in one place, the pipeline's
dispatcher (with the guard); this class only remembers the one line whose alerts a sink held
back, so that when rsyslog sends that same line again only delivery is retried (running it
again would count it twice in the thresholds).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pwd
import time
import traceback
from collections import Counter, OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from lwsyslog.bounded import drop_oldest
from lwsyslog.client_warnings import client_warnings
from lwsyslog.config import load_config
from lwsyslog.errors import LwsyslogError
from lwsyslog.events import origin_at
from lwsyslog.hosts import HostEvent, host_alert
from lwsyslog.matching import dbcache
from lwsyslog.metrics.figures import Figures
from lwsyslog.omprog.diagnostics import Diagnostics, Level
from lwsyslog.omprog.envelope import Envelope, EnvelopeFailure, decode_envelope
from lwsyslog.omprog.options import Options
from lwsyslog.omprog.privileges import DEFAULT_USER, STATE_DIR_MODE, drop_privileges
from lwsyslog.omprog.replay_guard import GuardLockedError, MemoryReplayGuard, ReplayGuard
from lwsyslog.omprog.sink_set import build_sinks, notify_channels
from lwsyslog.pipeline import Pipeline
from lwsyslog.rulepack.source import PACK_SOURCE
from lwsyslog.sanitize import sanitize
from lwsyslog.settings import Config
from lwsyslog.sigma.source import SIGMA_SOURCE
from lwsyslog.sinks.places import check_output_places
from lwsyslog.status.monitor import Monitor
from lwsyslog.thresholds.pressure import EvictionWatch

__all__ = ["OmprogProgram", "StartError", "describe_error", "rule_files_stamp"]

_T = TypeVar("_T")

#: What a rule file's stamp holds: its path and, when it can be read, its size and mtime.
RuleFilesStamp = tuple[tuple[str, ...], ...]

_MAX_ANSWER_CHARS = 400  # rsyslog restarts the program on a reply of 4 KiB or more
#: Longest wait for input between two rounds of idle housekeeping.
HOUSEKEEPING_SECS = 0.5
_MAX_SOURCES = 10_000
_GUARD_LOCK_WAIT_SECS = 5.0
#: Alerts an earlier line left waiting for a required sink are retried before a line at most
#: this often: a dead sink is not tried again for every line that passes it.
_BACKLOG_RETRY_SECS = 0.25


class StartError(LwsyslogError):
    """The configuration or the rules could not be loaded at start for a reason lwsyslog did
    not anticipate (a bug): reported in one line, as a configuration error is."""


def describe_error(error: BaseException) -> str:
    """``error`` in one line: its message, and for an error lwsyslog did not anticipate its
    type and the file and line it came from."""
    if isinstance(error, LwsyslogError | OSError | ValueError):
        return str(error)
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"unexpected {type(error).__name__}{where}: {error}"


def rule_files_stamp(config: Config) -> RuleFilesStamp:
    """The path, size and mtime of every rule pack and Sigma rule file ``config`` names: it
    differs when a rule file was added, removed or changed (a path that cannot be read is
    stamped with the reason's name: loading it reports the reason)."""
    files = (*PACK_SOURCE.files(config), *SIGMA_SOURCE.files(config))
    return tuple(_file_stamp(path) for path in files)


def _file_stamp(path: Path) -> tuple[str, ...]:
    try:
        status = path.stat()
    except OSError as error:
        return (str(path), type(error).__name__)
    return (str(path), str(status.st_size), str(status.st_mtime_ns))


class OmprogProgram:
    """The protocol-independent core of the omprog program (see the module docstring)."""

    def __init__(
        self,
        options: Options,
        diagnostics: Diagnostics,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.options = options
        self.diagnostics = diagnostics
        self._clock = clock
        self._wall = wall_clock
        self.config = _anticipated(self._load_config)
        self._become_service_user()
        self.guard = self._open_guard()
        #: The rule files the running pipeline was built from (taken before it was built: a
        #: file changed meanwhile is loaded again at the next SIGHUP).
        self.rule_files = rule_files_stamp(self.config)
        self.pipeline = _anticipated(lambda: self._build_pipeline(self.config))
        self._sequence: OrderedDict[str, int] = OrderedDict()
        self._held: bytes | None = None
        # Alerts of an earlier line are still waiting for a sink (rsyslog moved on).
        self._backlog = False
        self._backlog_retry_at = float("-inf")
        self.bad_envelopes: Counter[str] = Counter()
        self.exceptions: Counter[str] = Counter()
        self.answers: Counter[str] = Counter()
        self.replays = 0
        self.received = 0
        self._stats_lines = 0
        self._stats_time = clock()
        self._next_stats = self._stats_time + options.stats_interval_secs
        self._next_housekeeping = self._stats_time + HOUSEKEEPING_SECS
        # Per line only these two: the line's host noted, its envelope kept (see Monitor).
        self._active_hosts: dict[str, None] = {}
        self._last_envelope: Envelope | None = None
        self.monitor = Monitor(
            self.config,
            state_dir=options.state_dir,
            instance=options.instance,
            report=self._warn,
            listen_override=options.metrics_listen,
            wall_clock=wall_clock,
            clock=clock,
            parent_pid=options.reported_pids[1] if options.reported_pids else None,
        )
        self._next_export = self._stats_time  # the first status file at the first tick
        self._evictions = EvictionWatch()

    # --- set-up -----------------------------------------------------------------------------

    def _load_config(self) -> Config:
        files = list(self.options.config_files) or None
        config = load_config(files)
        if self.options.messages_file is not None:
            config = dataclasses.replace(
                config, messages_file_enabled=True, messages_file_path=self.options.messages_file
            )
        if not self.options.journald:
            config = dataclasses.replace(config, journald_enabled=False)
        return config

    def _become_service_user(self) -> None:
        user = self.options.user
        if user == "auto":
            user = DEFAULT_USER if _user_exists(DEFAULT_USER) else ""
            if not user and os.geteuid() == 0:
                self.diagnostics.warning(
                    f"running as root: no user {DEFAULT_USER!r} to switch to (the Debian "
                    "package makes it; or pass --user NAME)"
                )
        messages = self.config.messages_file_path if self.config.messages_file_enabled else ""
        done = drop_privileges(user, self.options.state_dir, messages or None)
        if done:
            self.diagnostics.info(done)
        # Not root (rsyslog running as syslog, or no service user): the directory is still
        # ours alone, whatever rsyslog's umask; the first file made in it would otherwise
        # create it 0755.
        with contextlib.suppress(OSError):  # reported where a file in it is first written
            self.options.state_dir.mkdir(mode=STATE_DIR_MODE, parents=True, exist_ok=True)

    def _open_guard(self) -> MemoryReplayGuard:
        path = self.options.state_dir / f"omprog-{self.options.instance}.fingerprints"
        deadline = time.monotonic() + _GUARD_LOCK_WAIT_SECS
        while True:
            try:
                return ReplayGuard(path, fsync=self.config.messages_file_fsync)
            except GuardLockedError as error:
                # A predecessor still shutting down may hold the lock a moment longer.
                if time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                problem: OSError = error
            except OSError as error:
                problem = error
            self.diagnostics.warning(
                f"replay guard file unusable ({type(problem).__name__}: {problem}); alerts of a "
                "line replayed after a restart may be raised twice. Give each program its own "
                "--state-dir or --instance, writable by rsyslog's user."
            )
            return MemoryReplayGuard()

    def _build_pipeline(self, config: Config) -> Pipeline:
        store = dbcache.configured(
            config.database_cache, dbcache.program_dir(self.options.state_dir)
        )
        if store is not None and store.problem():
            self.diagnostics.warning(f"matching databases are not cached: {store.problem()}")
            store = None
        dbcache.use(store)
        pipeline = Pipeline(
            config,
            sinks=build_sinks(config, self.options, self.diagnostics),
            guard=self.guard,
            spool_dir=self.options.state_dir,
        )
        for warning in client_warnings(config, pipeline.parser):
            self.diagnostics.warning(warning)
        return pipeline

    # --- lines ------------------------------------------------------------------------------

    @property
    def input_limit_bytes(self) -> int:
        """The longest input line kept whole; the head of a longer one is kept to refuse it."""
        return self.config.max_line_bytes * 6 + 8192

    def handle(self, line: bytes, deferred: bool = False) -> str:
        """Process one line (without its newline) and return its status answer.

        ``deferred``: the line was answered ``DEFER_COMMIT`` already (transaction mode), so it
        counts as answered ``OK`` whatever its status; its alerts settle at ``COMMIT``.
        """
        status = self._handle_line(line)
        self.received += 1
        self._stats_lines += 1
        self.answers["OK" if deferred or status == "OK" else "error"] += 1
        return status

    def count_resent(self) -> None:
        """A copy of a line already processed, which rsyslog sent again after a failed batch
        (:mod:`lwsyslog.omprog.resends`): received and replayed, not processed again."""
        self.received += 1
        self._stats_lines += 1
        self.replays += 1

    def settle_batch(self, answering: bool = True) -> str:
        """``OK`` when every alert raised so far is in every required sink, else the error.

        The answer to ``COMMIT TRANSACTION``: alerts a sink held back get one more try first.
        After an error rsyslog sends the batch again; the replay guard keeps its alerts from
        being raised twice. ``answering`` is False for the program's own check (may the spool
        be emptied?): nothing is answered then, so nothing is counted as an answer.
        """
        if not self.pipeline.retry_delivery():
            if answering:
                # Retried before each next line; the program's own check leaves that to the
                # next dispatch, so a dead sink is not retried per line of a long batch.
                self.answers["error"] += 1
                self._backlog = True
            return self._error_answer()
        self._held = None
        self._backlog = False
        return "OK"

    def _handle_line(self, line: bytes) -> str:
        if self._held is not None:
            if line == self._held:
                self.replays += 1
                return self._settle(self.pipeline.retry_delivery(), held_line=line)
            # rsyslog moved on (gave up on the held line, or a restart of ours): the alerts it
            # left behind stay queued in the dispatcher and go out with the next delivery.
            self._held = None
        if self._backlog and self._backlog_due() and self.pipeline.retry_delivery():
            self._backlog = False
        try:
            return self._process(line)
        except Exception as error:  # the per-line boundary: never die on a line
            self._count_exception(error)
            return "OK"

    def _process(self, line: bytes) -> str:
        envelope = decode_envelope(line, self.config.max_line_bytes)
        if isinstance(envelope, EnvelopeFailure):
            self.bad_envelopes[envelope.reason.value] += 1
            self.diagnostics.limited(
                f"envelope-{envelope.reason.value}",
                Level.NOTICE,
                f"line not decoded ({envelope.reason.value}) and skipped"
                + (f": {envelope.detail}" if envelope.detail else ""),
            )
            return "OK"
        pipeline = self.pipeline
        active = self._active_hosts
        if envelope.host not in active and len(active) < self.config.hosts.max_hosts:
            active[envelope.host] = None
        self._last_envelope = envelope
        if envelope.replaced_utf8:
            pipeline.stats.invalid_utf8 += 1
        source = envelope.source
        sequence = self._sequence
        number = sequence.get(source, 0) + 1
        sequence[source] = number
        if len(sequence) > _MAX_SOURCES:
            # Host and tag come from the network: bound them. The oldest source restarts at 1.
            drop_oldest(sequence, _MAX_SOURCES)
        origin = origin_at(source, number, envelope.host, envelope.tag or envelope.program)
        result = pipeline.process(envelope.msg, origin)
        if result.delivered:
            return "OK"
        return self._settle(False, held_line=line)

    def _backlog_due(self) -> bool:
        now = self._clock()
        if now < self._backlog_retry_at:
            return False
        self._backlog_retry_at = now + _BACKLOG_RETRY_SECS
        return True

    def _settle(self, delivered: bool, held_line: bytes) -> str:
        if delivered:
            self._held = None
            self._backlog = False
            return "OK"
        self._held = held_line
        self._backlog = True
        return self._error_answer()

    def _error_answer(self) -> str:
        errors = self.pipeline.dispatcher.last_errors()
        failing = [f"{name}: {error}" for name, error in errors.items()]
        reason = "; ".join(failing) or "alerts not delivered yet"
        return sanitize(f"Error: {reason}", _MAX_ANSWER_CHARS)

    def _count_exception(self, error: Exception) -> None:
        name = type(error).__name__
        self.exceptions[name] += 1
        frames = traceback.extract_tb(error.__traceback__)
        where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
        self.diagnostics.limited(
            f"exception-{name}",
            Level.ERROR,
            f"line skipped after {name}{where}: {error} (count {self.exceptions[name]})",
        )

    # --- signals and housekeeping -----------------------------------------------------------

    def reload(self) -> None:
        """SIGHUP: reopen the sinks' files, then rebuild the pipeline if the configuration or
        a rule file (rule pack, Sigma) changed. Whatever fails while the new one is built is
        reported and the running one kept."""
        self.pipeline.reopen()
        try:
            config = self._load_config()
            rule_files = rule_files_stamp(config)
            changed = self._changes(config, rule_files)
            if not changed:
                self.diagnostics.info("files reopened; configuration and rule files unchanged")
                return
            check_output_places(config, running=self.config)
            pipeline = self._build_pipeline(config)
        except Exception as error:  # a bad new configuration must not stop the program
            self.diagnostics.error(
                f"reload failed, keeping the running configuration: {describe_error(error)}"
            )
            return
        self.rule_files = rule_files
        self._use(config, pipeline)
        self.diagnostics.info(
            f"configuration reloaded ({changed}; windows and cooldowns start afresh)"
        )

    def _changes(self, config: Config, rule_files: RuleFilesStamp) -> str:
        """What changed since the running pipeline was built, in words ("" for nothing)."""
        changed = [
            what
            for what, same in (
                ("configuration", config == self.config),
                ("rule files", rule_files == self.rule_files),
            )
            if not same
        ]
        return " and ".join(changed) + " changed" if changed else ""

    def _use(self, config: Config, pipeline: Pipeline) -> None:
        """Put the new configuration and pipeline in the place of the running ones."""
        old = self.pipeline
        old.close()
        lost = pipeline.dispatcher.inherit(old.dispatcher)
        if lost:
            self.diagnostics.error(
                f"reload: {lost} alerts for a sink no longer configured were dropped"
            )
        pipeline.stats = old.stats  # counters run on across reloads
        self.pipeline = pipeline
        self.config = config
        self.monitor.reconfigure(config)
        # A held line stays held: its alerts moved to the new dispatcher's backlogs, so when
        # rsyslog sends it again only their delivery is retried (processed afresh, with the
        # new pipeline's empty cooldowns, it would raise them a second time).

    def seconds_to_stats(self) -> float:
        """How long the input wait may last: until the stats line is due, and at most
        :data:`HOUSEKEEPING_SECS` (idle housekeeping: batches committed, backlogs retried),
        sooner when a sink's backlog is due for a retry."""
        wait = min(max(self._next_stats - self._clock(), 0.0), HOUSEKEEPING_SECS)
        return min(wait, self.pipeline.dispatcher.seconds_to_retry())

    def tick(self) -> None:
        """Between lines: commit what batching sinks hold and retry backlogs when due, and
        write the stats line when it is due (time or line count)."""
        now = self._clock()
        dispatcher = self.pipeline.dispatcher
        self.pipeline.deliver_verdicts()  # crawler checks that came back (never waits)
        if now >= self._next_housekeeping:
            self._next_housekeeping = now + HOUSEKEEPING_SECS
            self.pipeline.deliver_due_summaries()
            self._housekeep_hosts()
            pressure = self._evictions.check(self.pipeline.thresholds, now)
            if pressure is not None:
                self._warn("threshold-evictions", pressure)
            dispatcher.flush()
            if dispatcher.pending:
                dispatcher.retry()
        elif dispatcher.seconds_to_retry() == 0.0:
            dispatcher.retry()
        if now >= self._next_export:
            self._next_export = now + self.monitor.settings.interval_secs
            self.monitor.export(self.figures())
        if now >= self._next_stats or self._stats_lines >= self.options.stats_every_lines:
            if self._stats_lines:
                self.diagnostics.info(self.stats_line(now))
            self._stats_lines = 0
            self._stats_time = now
            self._next_stats = now + self.options.stats_interval_secs

    def _housekeep_hosts(self) -> None:
        """Hand the hosts noted since the last round to the monitor; raise what it found."""
        active, self._active_hosts = self._active_hosts, {}
        envelope, self._last_envelope = self._last_envelope, None
        events = self.monitor.housekeep(active, envelope.time if envelope else None)
        if events:
            self._raise_host_alerts(events)

    def _raise_host_alerts(self, events: list[HostEvent]) -> None:
        pipeline = self.pipeline
        severity = self.config.hosts.severity
        alerts = [host_alert(event, severity) for event in events]
        alerts = pipeline.dispatcher.fresh(pipeline.storms.filter(alerts))
        if alerts:
            pipeline.stats.count_alerts(alerts)
            pipeline.dispatcher.dispatch(alerts)

    def _warn(self, key: str, message: str) -> None:
        self.diagnostics.limited(key, Level.WARNING, message)

    def stats_fields(self) -> dict[str, int]:
        """The counters since start, by the names the stats line shows them under (also
        the status file's and the metrics' source)."""
        stats = self.pipeline.stats
        dispatcher = self.pipeline.dispatcher
        hosts = self.monitor.hosts
        fields = {
            "received": self.received,
            "lines": stats.lines,
            "access": stats.access,
            "error": stats.error,
            "urgent": stats.urgent,
            "alerts": stats.alerts,
            "unparsed": stats.unparsed_total,
            "invalid_utf8": stats.invalid_utf8,
            "bad_envelope": sum(self.bad_envelopes.values()),
            "exceptions": sum(self.exceptions.values()),
            "answered_ok": self.answers["OK"],
            "answered_error": self.answers["error"],
            "replays": self.replays,
            "replayed_alerts_suppressed": self.guard.suppressed,
            "pending_alerts": dispatcher.pending,
            "sink_failures": sum(dispatcher.failures.values()),
            "sink_dropped": sum(dispatcher.dropped.values()),
            "storm_alerts_folded": self.pipeline.storms.absorbed,
            "storm_summaries": self.pipeline.storms.summaries,
            "guard_failures": dispatcher.guard_failures,
            "journal_diagnostics_lost": self.diagnostics.journal_failures,
            "hosts": len(hosts),
            "hosts_silent": hosts.silent,
        }
        if self.pipeline.crawlers is not None:
            fields.update(self.pipeline.crawlers.stats_fields())
        for sink in dispatcher.sinks:
            sink_fields = getattr(sink, "stats_fields", None)
            if sink_fields is not None:
                fields.update(sink_fields())
        return fields

    def stats_line(self, now: float | None = None) -> str:
        """One line of counters since start, with the rate since the last stats line."""
        now = self._clock() if now is None else now
        elapsed = max(now - self._stats_time, 1e-9)
        parts = [f"{name}={value}" for name, value in self.stats_fields().items()]
        parts.insert(2, f"rate={self._stats_lines / elapsed:.0f}/s")
        lag = self.monitor.lag.last_secs
        if lag is not None:
            parts.append(f"lag={lag:.1f}s")
        return "stats: " + " ".join(parts)

    def figures(self) -> Figures:
        """A snapshot of every figure the program exports (status file, metrics)."""
        pipeline = self.pipeline
        stats = pipeline.stats
        dispatcher = pipeline.dispatcher
        thresholds = pipeline.thresholds
        monitor = self.monitor
        counters = self.stats_fields()
        return Figures(
            instance=self.options.instance,
            pid=self.options.reported_pids[0] if self.options.reported_pids else os.getpid(),
            started=monitor.started,
            taken=self._wall(),
            counters=counters,
            unparsed=dict(stats.unparsed),
            bad_envelopes=dict(self.bad_envelopes),
            exceptions=dict(self.exceptions),
            findings_by_category=dict(stats.findings_by_category),
            alerts=dict(stats.alerts_by_rule_severity),
            sink_failures=dict(dispatcher.failures),
            sink_dropped=dispatcher.dropped,
            sink_errors={
                name: sanitize(error, _MAX_ANSWER_CHARS)
                for name, error in dispatcher.last_errors().items()
            },
            notify={k: v for k, v in counters.items() if k.startswith("notify_")},
            notify_channels=notify_channels(dispatcher.sinks),
            crawlers={k: v for k, v in counters.items() if k.startswith("crawler_")},
            threshold_keys=thresholds.keys_by_rule(),
            threshold_bytes=thresholds.memory_bytes,
            memory_budget_bytes=self.config.memory_budget_bytes,
            threshold_evictions=thresholds.evictions,
            cooldown_evictions=pipeline.alert_maker.evictions,
            lag=monitor.lag.figures(),
            hosts=monitor.hosts.snapshot(),
            host_evictions=monitor.hosts.evictions,
            silent_after_secs=self.config.hosts.silent_after_secs,
        )

    def close(self) -> None:
        """Flush and close the sinks and the guard (end of input or SIGTERM)."""
        try:
            self._housekeep_hosts()  # the last lines' hosts go into the final status
            self.pipeline.close()
            if self.pipeline.dispatcher.pending:
                self.diagnostics.error(
                    f"exiting with {self.pipeline.dispatcher.pending} alerts a sink never took"
                )
        finally:
            self.guard.close()
            try:
                self.monitor.export(self.figures(), stopped=True)
            finally:
                self.monitor.close()
        self.diagnostics.info(self.stats_line())


def _anticipated(build: Callable[[], _T]) -> _T:
    """``build()``, with an error lwsyslog did not anticipate raised as :class:`StartError`
    (in transaction mode the child reports only lwsyslog's own errors in one line)."""
    try:
        return build()
    except (LwsyslogError, OSError):
        raise
    except Exception as error:
        raise StartError(describe_error(error)) from error


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
