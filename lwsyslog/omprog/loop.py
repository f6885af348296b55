"""The program rsyslog's omprog runs: the confirmMessages protocol around the pipeline.

Protocol (``confirmMessages="on"``): one ``OK`` once the configuration is loaded and the sinks
are open, then exactly one status line per input line, in order. ``OK`` means the line was
processed and its alerts are in every sink; an error answer (``Error: ...``) makes rsyslog send
the same line again about a second later. A line that can never succeed (bad JSON, junk, a
line no format knows, an exception inside the pipeline) is counted and confirmed with ``OK``:
an error answer for it would stall or drop everything queued behind it.

stdout belongs to the protocol alone: at start the real fd 1 is duplicated to a private fd and
fd 1 is pointed at stderr, so a stray ``print`` (or a C library) cannot corrupt the stream.

Signals are turned into flags checked between lines; the wait for input is a ``select`` that
also watches the signal wake-up pipe, so a signal is acted on at once even when rsyslog is
quiet. SIGHUP reopens the messages file and reloads the configuration (a bad new one is
reported and the running one kept); SIGTERM or end of input: flush, close, exit 0.

With ``--transactions`` (rsyslog ``useTransactions="on"``) a line is spooled, answered
``DEFER_COMMIT`` and then processed, and a batch is confirmed at its ``COMMIT TRANSACTION``
(see :class:`_Transactions` and :mod:`lwsyslog.omprog.spool`).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import select
import signal
import sys
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from lwsyslog.alerts import Alert
from lwsyslog.config import load_config
from lwsyslog.errors import LwsyslogError, SinkError
from lwsyslog.events import Origin
from lwsyslog.omprog.diagnostics import Diagnostics, Level, journal_sender
from lwsyslog.omprog.envelope import EnvelopeFailure, decode_envelope
from lwsyslog.omprog.replay_guard import GuardLockedError, MemoryReplayGuard, ReplayGuard
from lwsyslog.omprog.spool import LineSpool
from lwsyslog.pipeline import AlertGuard, Pipeline
from lwsyslog.sanitize import sanitize
from lwsyslog.settings import Config
from lwsyslog.sinks import JournaldSink, MessagesFileSink, Sink

__all__ = ["OmprogProgram", "Options", "main", "parse_options"]

DEFAULT_STATE_DIR = Path("/var/lib/lwsyslog")
_BEGIN = b"BEGIN TRANSACTION"
_COMMIT = b"COMMIT TRANSACTION"
_MAX_ANSWER_CHARS = 400  # rsyslog restarts the program on a reply of 4 KiB or more
_MAX_SOURCES = 10_000
_MAX_UNREMEMBERED = 10_000
_READ_CHUNK = 1 << 16
_POLL_SECS = 0.0005
_GUARD_LOCK_WAIT_SECS = 5.0
_SPOOL_MAX_LINES = 4096


@dataclasses.dataclass(frozen=True, slots=True)
class Options:
    """Command-line options of ``lwsyslog-omprog``."""

    config_files: tuple[Path, ...] = ()
    state_dir: Path = DEFAULT_STATE_DIR
    instance: str = "default"
    journald: bool = True
    messages_file: str | None = None
    transactions: bool = False
    stats_interval_secs: float = 60.0
    stats_every_lines: int = 100_000


def parse_options(argv: Sequence[str] | None = None) -> Options:
    """Parse the command line (``argparse`` exits 2 on a usage error)."""
    parser = argparse.ArgumentParser(
        prog="lwsyslog-omprog",
        description="lwsyslog's omprog program: reads rsyslog messages (one JSON object or raw "
        'line each) on stdin and answers each with OK (confirmMessages="on").',
    )
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="FILE",
        help="TOML file merged over the defaults (repeatable; replaces /etc/lwsyslog files)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        metavar="DIR",
        help=f"where the replay guard keeps delivered alerts (default {DEFAULT_STATE_DIR})",
    )
    parser.add_argument(
        "--instance",
        default="default",
        metavar="NAME",
        help="name of this program's state file; give each omprog shard its own",
    )
    parser.add_argument(
        "--no-journald",
        action="store_true",
        help="no journald sink and no diagnostics to journald (stderr only)",
    )
    parser.add_argument(
        "--messages-file", metavar="PATH", help="write alerts to PATH (overrides the config)"
    )
    parser.add_argument(
        "--transactions",
        action="store_true",
        help='understand BEGIN/COMMIT TRANSACTION marks (rsyslog useTransactions="on")',
    )
    parser.add_argument(
        "--stats-interval-secs",
        type=float,
        default=60.0,
        metavar="SECS",
        help="write a stats line this often (default 60)",
    )
    parser.add_argument(
        "--stats-every-lines",
        type=int,
        default=100_000,
        metavar="N",
        help="and after every N lines (default 100000)",
    )
    args = parser.parse_args(argv)
    if not args.instance.replace("-", "").replace("_", "").isalnum():
        parser.error("--instance takes letters, digits, '-' and '_' only")
    return Options(
        config_files=tuple(Path(path) for path in args.config),
        state_dir=args.state_dir,
        instance=args.instance,
        journald=not args.no_journald,
        messages_file=args.messages_file,
        transactions=args.transactions,
        stats_interval_secs=max(args.stats_interval_secs, 0.1),
        stats_every_lines=max(args.stats_every_lines, 1),
    )


class _TrackedSink:
    """Passes writes through and remembers the last failure, for the error answer."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.name = sink.name
        # Whether the sink's failures hold a line back (the dispatcher reads it).
        self.required: bool = getattr(sink, "required", True)
        self.last_error: str | None = None

    def write(self, alert: Alert) -> None:
        try:
            self.sink.write(alert)
        except Exception as error:
            self.last_error = f"{type(error).__name__}: {error}"
            raise
        self.last_error = None

    def reopen(self) -> None:
        self.sink.reopen()

    def close(self) -> None:
        self.sink.close()


class OmprogProgram:
    """One line in, one status out: the protocol-independent core of the omprog program.

    :meth:`handle` never raises on a line. It remembers the last line whose alerts a sink held
    back: when rsyslog sends that same line again, only delivery is retried (running it through
    the pipeline again would count it twice in the thresholds).
    """

    def __init__(
        self,
        options: Options,
        diagnostics: Diagnostics,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.options = options
        self.diagnostics = diagnostics
        self._clock = clock
        self.config = self._load_config()
        self.guard = self._open_guard()
        self._sinks: list[_TrackedSink] = []
        self.pipeline = self._build_pipeline(self.config)
        self._sequence: dict[str, int] = {}
        self._held: bytes | None = None
        self._unremembered: deque[Alert] = deque(maxlen=_MAX_UNREMEMBERED)
        self.bad_envelopes: Counter[str] = Counter()
        self.exceptions: Counter[str] = Counter()
        self.answers: Counter[str] = Counter()
        self.replays = 0
        self.received = 0
        self._stats_lines = 0
        self._stats_time = clock()
        self._next_stats = self._stats_time + options.stats_interval_secs

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

    def _build_sinks(self, config: Config) -> list[_TrackedSink]:
        sinks: list[Sink] = []
        if config.messages_file_enabled:
            if config.messages_file_path:
                sink = MessagesFileSink(config.messages_file_path, fsync=config.messages_file_fsync)
                _probe(sink, self.diagnostics)
                sinks.append(sink)
            else:
                self.diagnostics.warning("messages file enabled but no path set: not written")
        if config.journald_enabled:
            try:
                sinks.append(JournaldSink())
            except SinkError as error:
                self.diagnostics.warning(f"journald sink off: {error}")
        if not sinks:
            self.diagnostics.warning("no sink is enabled: alerts are counted, not written")
        return [_TrackedSink(sink) for sink in sinks]

    def _build_pipeline(self, config: Config) -> Pipeline:
        sinks = self._build_sinks(config)
        guard: AlertGuard = self.guard
        pipeline = Pipeline(config, sinks=sinks, guard=guard)
        self._sinks = sinks
        return pipeline

    # --- lines ------------------------------------------------------------------------------

    @property
    def input_limit_bytes(self) -> int:
        """The longest input line kept whole; the head of a longer one is kept to refuse it."""
        return self.config.max_line_bytes * 6 + 8192

    def handle(self, line: bytes) -> str:
        """Process one line (without its newline) and return its status answer."""
        status = self._handle_line(line)
        self.received += 1
        self._stats_lines += 1
        self.answers["OK" if status == "OK" else "error"] += 1
        return status

    def settle_batch(self) -> str:
        """``OK`` when every alert raised so far is in every sink, else the error answer.

        The answer to ``COMMIT TRANSACTION``: alerts a sink held back get one more try first.
        After an error rsyslog sends the batch again; the replay guard keeps its alerts from
        being raised twice.
        """
        if self._unremembered or self.pipeline.dispatcher.pending:
            if not self.pipeline.retry_delivery():
                self.answers["error"] += 1
                return self._error_answer()
            self._remember_unremembered()
            self._held = None
        return "OK"

    def _handle_line(self, line: bytes) -> str:
        if self._held is not None:
            if line == self._held:
                self.replays += 1
                return self._settle(self.pipeline.retry_delivery(), held_line=line)
            # rsyslog moved on (gave up on the held line, or a restart of ours): the alerts it
            # left behind stay queued in the dispatcher and go out with the next delivery.
            self._held = None
        if self._unremembered:
            self._settle(self.pipeline.retry_delivery(), held_line=None)
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
        if envelope.replaced_utf8:
            pipeline.stats.invalid_utf8 += 1
        source = envelope.source
        sequence = self._sequence
        number = sequence.get(source, 0) + 1
        sequence[source] = number
        if len(sequence) > _MAX_SOURCES:
            # Host and tag come from the network: bound them. The oldest source restarts at 1.
            del sequence[next(iter(sequence))]
        origin = Origin(source, number, envelope.host, envelope.tag or envelope.program)
        result = pipeline.process(envelope.msg, origin)
        if not result.alerts:
            return "OK"
        if result.delivered:
            # Earlier held-back alerts went out in the same dispatch: record them as well.
            if self._unremembered:
                self._remember_unremembered()
            return "OK"
        self._unremembered.extend(result.alerts)
        return self._settle(False, held_line=line)

    def _settle(self, delivered: bool, held_line: bytes | None) -> str:
        if delivered:
            self._remember_unremembered()
            self._held = None
            return "OK"
        if held_line is None:
            return "OK"
        self._held = held_line
        return self._error_answer()

    def _remember_unremembered(self) -> None:
        alerts = list(self._unremembered)
        self._unremembered.clear()
        try:
            self.guard.remember(alerts)
        except OSError as error:
            self.diagnostics.limited(
                "guard-write",
                Level.ERROR,
                f"replay guard not written ({type(error).__name__}: {error}); a replay after a "
                "restart may raise these alerts again",
            )

    def _error_answer(self) -> str:
        failing = [f"{s.name}: {s.last_error}" for s in self._sinks if s.last_error is not None]
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
        """SIGHUP: reopen the sinks' files, then reload the configuration if it changed."""
        self.pipeline.reopen()
        try:
            config = self._load_config()
        except (LwsyslogError, OSError) as error:
            self.diagnostics.error(f"reload failed, keeping the running configuration: {error}")
            return
        if config == self.config:
            self.diagnostics.info("files reopened; configuration unchanged")
            return
        try:
            pipeline = self._build_pipeline(config)
        except (LwsyslogError, OSError, ValueError) as error:
            self.diagnostics.error(f"reload failed, keeping the running configuration: {error}")
            return
        old = self.pipeline
        old.close()
        lost = old.dispatcher.pending
        if lost:
            self.diagnostics.error(f"reload: {lost} alerts a sink never took were dropped")
        pipeline.stats = old.stats  # counters run on across reloads
        self.pipeline = pipeline
        self.config = config
        # A held line comes again: the new pipeline processes it afresh (the guard drops
        # what was already delivered).
        self._held = None
        self._unremembered.clear()
        self.diagnostics.info("configuration reloaded (windows and cooldowns start afresh)")

    def seconds_to_stats(self) -> float:
        """How long the input wait may last before the periodic stats line is due."""
        return max(self._next_stats - self._clock(), 0.0)

    def tick(self) -> None:
        """Write the stats line when it is due (time or line count)."""
        now = self._clock()
        if now >= self._next_stats or self._stats_lines >= self.options.stats_every_lines:
            if self._stats_lines:
                self.diagnostics.info(self.stats_line(now))
            self._stats_lines = 0
            self._stats_time = now
            self._next_stats = now + self.options.stats_interval_secs

    def stats_line(self, now: float | None = None) -> str:
        """One line of counters since start, with the rate since the last stats line."""
        now = self._clock() if now is None else now
        stats = self.pipeline.stats
        elapsed = max(now - self._stats_time, 1e-9)
        parts = [
            f"received={self.received}",
            f"lines={stats.lines}",
            f"rate={self._stats_lines / elapsed:.0f}/s",
            f"access={stats.access}",
            f"error={stats.error}",
            f"urgent={stats.urgent}",
            f"alerts={stats.alerts}",
            f"unparsed={stats.unparsed_total}",
            f"invalid_utf8={stats.invalid_utf8}",
            f"bad_envelope={sum(self.bad_envelopes.values())}",
            f"exceptions={sum(self.exceptions.values())}",
            f"answered_ok={self.answers['OK']}",
            f"answered_error={self.answers['error']}",
            f"replays={self.replays}",
            f"replayed_alerts_suppressed={self.guard.suppressed}",
            f"pending_alerts={self.pipeline.dispatcher.pending}",
        ]
        return "stats: " + " ".join(parts)

    def close(self) -> None:
        """Flush and close the sinks and the guard (end of input or SIGTERM)."""
        try:
            self.pipeline.close()
            if self.pipeline.dispatcher.pending:
                self.diagnostics.error(
                    f"exiting with {self.pipeline.dispatcher.pending} alerts a sink never took"
                )
            elif self._unremembered:
                self._remember_unremembered()
        finally:
            self.guard.close()
        self.diagnostics.info(self.stats_line())


def _probe(sink: MessagesFileSink, diagnostics: Diagnostics) -> None:
    """Open the messages file now so a problem shows at start, not at the first alert."""
    try:
        path = sink.path
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as error:
        diagnostics.error(
            f"messages file {sink.path} not writable ({type(error).__name__}: {error}); lines "
            "with alerts are answered with an error until it is"
        )


# --- the protocol loop ------------------------------------------------------------------------


class _Input:
    """Lines from fd 0, read through ``select`` so a signal wakes the wait at once.

    A line longer than ``max_bytes`` is cut: its head is kept (it will be refused as too long)
    and the rest is read and dropped, so a hostile line never grows memory without bound.
    """

    def __init__(self, fd: int, wake_fd: int, max_bytes: int) -> None:
        self._fd = fd
        os.set_blocking(fd, False)
        self._wake_fd = wake_fd
        self._max_bytes = max_bytes
        self._buffer = bytearray()
        self._scanned = 0
        self._cut_head: bytes | None = None
        self.eof = False
        self.poll_secs = _POLL_SECS

    def read_line(self, timeout: float | None) -> bytes | None:
        """The next line without its newline; None when woken (signal, timeout) or at EOF."""
        buffer = self._buffer
        while True:
            cut = buffer.find(b"\n", self._scanned)
            if cut >= 0:
                line = bytes(buffer[:cut])
                del buffer[: cut + 1]
                self._scanned = 0
                if self._cut_head is not None:
                    line, self._cut_head = self._cut_head, None
                return line
            self._scanned = len(buffer)
            if len(buffer) > self._max_bytes:
                if self._cut_head is None:
                    self._cut_head = bytes(buffer[: self._max_bytes + 1])
                buffer.clear()
                self._scanned = 0
            if self.eof:
                if buffer or self._cut_head is not None:
                    line = self._cut_head if self._cut_head is not None else bytes(buffer)
                    buffer.clear()
                    self._cut_head = None
                    return line
                return None
            chunk = self._poll()
            if chunk is None:
                ready, _, _ = select.select([self._fd, self._wake_fd], [], [], timeout)
                if self._wake_fd in ready:
                    _drain(self._wake_fd)
                    return None
                if not ready:
                    return None
                chunk = os.read(self._fd, _READ_CHUNK)
            if not chunk:
                self.eof = True
            elif (
                not buffer
                and chunk.find(b"\n") == len(chunk) - 1
                and len(chunk) <= self._max_bytes
                and self._cut_head is None
            ):
                # rsyslog waits for each answer, so a read usually brings exactly one whole
                # line: hand it over without going through the buffer.
                return chunk[:-1]
            else:
                buffer += chunk

    def _poll(self) -> bytes | None:
        """Wait for the next line by polling for a short while before sleeping in select.

        rsyslog sends the next line a few microseconds after our answer. Sleeping in select
        and being woken on another core costs more than the line's whole processing on this
        VM (measured: lock-step throughput 11.8k lines/s sleeping, ~40k when no wake-up is
        needed), so a short poll keeps the pair on the fast path; an idle stream still
        sleeps after ``_POLL_SECS``.
        """
        deadline = time.perf_counter() + self.poll_secs
        read = os.read
        fd = self._fd
        while True:
            try:
                return read(fd, _READ_CHUNK)
            except BlockingIOError:
                pass
            if time.perf_counter() > deadline:
                return None


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


_ENCODED = {status: f"{status}\n".encode() for status in ("OK", "DEFER_COMMIT")}


class _Answers:
    """Writes status lines to the private duplicate of the original stdout."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def send(self, status: str) -> None:
        data = _ENCODED.get(status) or (status + "\n").encode("utf-8", "replace")
        while data:
            written = os.write(self._fd, data)
            data = data[written:]


def _claim_stdout() -> int:
    """Keep the protocol's fd 1 for ourselves and send everything else on fd 1 to stderr."""
    sys.stdout.flush()
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol_fd


class _Flags:
    """What the signal handlers asked for; acted on between lines."""

    def __init__(self) -> None:
        self.reload = False
        self.stop = False

    def on_hup(self, signum: int, frame: FrameType | None) -> None:
        self.reload = True

    def on_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop = True


def _install_signals(flags: _Flags) -> int:
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    signal.signal(signal.SIGHUP, flags.on_hup)
    signal.signal(signal.SIGTERM, flags.on_stop)
    # rsyslog starts the program with SIGINT ignored; keep it so, but stop on ^C by hand.
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, flags.on_stop)
    return wake_read


def main(argv: Sequence[str] | None = None) -> int:
    """Run the omprog program until end of input or SIGTERM; the exit status."""
    protocol_fd = _claim_stdout()
    options = parse_options(argv)
    diagnostics = Diagnostics(journal=journal_sender() if options.journald else None)
    flags = _Flags()
    wake_fd = _install_signals(flags)
    if options.transactions:
        return _serve_transactions(options, diagnostics, flags, wake_fd, protocol_fd)
    try:
        program = OmprogProgram(options, diagnostics)
    except (LwsyslogError, OSError) as error:
        diagnostics.error(f"cannot start: {error}")
        return 2
    answers = _Answers(protocol_fd)
    source = _Input(0, wake_fd, program.input_limit_bytes)
    diagnostics.info(f"started (pid {os.getpid()}, config: {', '.join(program.config.files)})")
    try:
        answers.send("OK")
        while not flags.stop:
            if flags.reload:
                flags.reload = False
                program.reload()
            line = source.read_line(program.seconds_to_stats())
            if line is None:
                if source.eof:
                    break
            else:
                answers.send(program.handle(line))
            program.tick()
    except BrokenPipeError:
        diagnostics.info("rsyslog closed the pipe")
    finally:
        program.close()
    diagnostics.info("stopped" + (" on SIGTERM" if flags.stop else " at end of input"))
    return 0


class _Transactions:
    """Transaction mode: answer first, process right after, settle at ``COMMIT``.

    A line inside a transaction is appended to the spool, answered ``DEFER_COMMIT`` and only
    then processed, so rsyslog renders and sends its next line while this one runs through the
    pipeline. ``COMMIT TRANSACTION`` is answered ``OK`` only when every alert raised so far is
    in every sink, else with the error (rsyslog sends the batch again); either way the spool
    is emptied. A line outside a transaction is processed and
    answered on its own, as in per-line mode. Nothing depends on ``COMMIT`` arriving: every
    line is processed as it comes, and the spool is also emptied every ``_SPOOL_MAX_LINES``
    lines once their alerts are out, so it stays bounded.
    """

    def __init__(self, program: OmprogProgram, spool: LineSpool | None, answers: _Answers) -> None:
        self._program = program
        self._spool = spool
        self._answers = answers
        self._in_batch = False
        self.batches = 0
        self.failed_commits = 0

    def replay_leftover(self, diagnostics: Diagnostics) -> None:
        """Process the lines a killed predecessor answered but may not have processed."""
        if self._spool is None:
            return
        leftover = self._spool.leftover()
        if not leftover:
            return
        for line in leftover:
            self._program.handle(line)
        diagnostics.info(
            f"processed {len(leftover)} lines a previous run left in {self._spool.path} "
            "(answered DEFER_COMMIT before it stopped; alerts already raised are not repeated)"
        )
        self._empty_spool_if_settled()

    def handle(self, line: bytes) -> None:
        """Answer one input line (a transaction mark or a message) and process it."""
        program = self._program
        if self._in_batch and line != _COMMIT:
            if line == _BEGIN:
                self._answers.send("OK")
                return
            spool = self._spool
            if spool is not None:
                spool.append(line)
            self._answers.send("DEFER_COMMIT")
            program.handle(line)
            if spool is not None and spool.lines >= _SPOOL_MAX_LINES:
                self._empty_spool_if_settled()
        elif line == _BEGIN:
            self._in_batch = True
            self._answers.send("OK")
        elif line == _COMMIT:
            self._in_batch = False
            self.batches += 1
            answer = program.settle_batch()
            if answer != "OK":
                self.failed_commits += 1
            # Either way the spool's lines are safe: confirmed, or sent again by rsyslog after
            # the error (8.2302 replays a failed batch), so a long sink outage cannot grow it.
            if self._spool is not None:
                self._spool.clear()
            self._answers.send(answer)
        else:
            self._answers.send(program.handle(line))

    def close(self) -> None:
        """End of input or SIGTERM: flush the program, then empty the spool if all went out."""
        self._program.close()
        if self._spool is not None:
            if not self._program.pipeline.dispatcher.pending:
                self._spool.clear()
            self._spool.close()

    def _empty_spool_if_settled(self) -> None:
        if self._spool is not None and self._program.settle_batch() == "OK":
            self._spool.clear()


def _open_spool(options: Options, diagnostics: Diagnostics) -> LineSpool | None:
    path = options.state_dir / f"omprog-{options.instance}.spool"
    try:
        return LineSpool(path)
    except OSError as error:
        diagnostics.warning(
            f"line spool unusable ({type(error).__name__}: {error}); lines answered "
            "DEFER_COMMIT are lost if the program dies before processing them. Give each "
            "program its own --state-dir or --instance, writable by rsyslog's user."
        )
        return None


def _serve_transactions(
    options: Options, diagnostics: Diagnostics, flags: _Flags, wake_fd: int, protocol_fd: int
) -> int:
    """The protocol loop of ``--transactions``: answer each line first, then process it."""
    try:
        program = OmprogProgram(options, diagnostics)
    except (LwsyslogError, OSError) as error:
        diagnostics.error(f"cannot start: {error}")
        return 2
    answers = _Answers(protocol_fd)
    transactions = _Transactions(program, _open_spool(options, diagnostics), answers)
    source = _Input(0, wake_fd, program.input_limit_bytes)
    # No busy poll: the next line usually waits already when this one is processed, and on 2
    # cores a spin costs rsyslog the CPU it needs (measured: 50-500 us polls, no steady gain).
    source.poll_secs = 0.0
    files = ", ".join(program.config.files)
    diagnostics.info(f"started in transaction mode (pid {os.getpid()}, config: {files})")
    try:
        transactions.replay_leftover(diagnostics)
        answers.send("OK")
        while not flags.stop:
            if flags.reload:
                flags.reload = False
                program.reload()
            line = source.read_line(program.seconds_to_stats())
            if line is None:
                if source.eof:
                    break
            else:
                transactions.handle(line)
            program.tick()
    except BrokenPipeError:
        diagnostics.info("rsyslog closed the pipe")
    finally:
        transactions.close()
    diagnostics.info(
        f"stopped {'on SIGTERM' if flags.stop else 'at end of input'}: "
        f"batches={transactions.batches} failed_commits={transactions.failed_commits}"
    )
    return 0
