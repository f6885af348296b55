"""The worker process of the omprog program in transaction mode.

With ``useTransactions="on"`` rsyslog sends ``BEGIN TRANSACTION``, lines answered
``DEFER_COMMIT``, then ``COMMIT TRANSACTION``. The front process answers each line at once and
hands it to this worker, which runs the pipeline while rsyslog already prepares the next line;
at ``COMMIT`` the front asks the worker whether every alert raised so far is in every sink and
answers with that. The worker is a forked process, not a thread: a thread would hold the GIL
for up to the 5 ms switch interval and delay the front's answers.

Wire format, one message per ``\\n``-terminated line (input lines never contain a newline):

- front to worker: ``L<line>`` process a line; ``S`` report; ``H`` reload (SIGHUP);
  end of file: process what is left, flush, exit 0.
- worker to front: ``R <input_limit_bytes>`` once ready (or exit 2 without it when the
  configuration cannot be loaded), then one status answer per ``S``.

Every line is in the worker's pipe before the front answers it, and a worker whose front
died (end of file on its pipe) still processes every line in the pipe before it exits: rsyslog
8.2302 does not send again the lines of a transaction answered ``DEFER_COMMIT`` before the
program died, so they must not depend on the front surviving. The next program's worker waits
for the replay guard's lock until then.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from typing import NoReturn, Protocol

from lwsyslog.diagnostics import Diagnostics
from lwsyslog.errors import LwsyslogError
from lwsyslog.sanitize import sanitize

__all__ = ["BatchProgram", "WorkerProcess", "WorkerStartError"]

_READ_CHUNK = 1 << 16
_PIPE_BYTES = 1 << 20  # room for a whole batch, so the front never waits on a busy worker
_F_SETPIPE_SZ = 1031
_READY_TIMEOUT_SECS = 120.0
_EXIT_TIMEOUT_SECS = 60.0
_LINE = 76  # ord("L")
_REPORT = 83  # ord("S")
_RELOAD = 72  # ord("H")


class BatchProgram(Protocol):
    """What the worker runs: :class:`lwsyslog.omprog_loop.OmprogProgram` in per-line mode."""

    @property
    def input_limit_bytes(self) -> int:
        """The longest input line the front needs to keep whole."""
        ...

    def handle(self, line: bytes) -> str:
        """Process one line (never raises)."""
        ...

    def settle_batch(self) -> str:
        """``OK`` when every alert raised so far is in every sink, else the error answer."""
        ...

    def reload(self) -> None:
        """Reopen files, reload the configuration."""
        ...

    def seconds_to_stats(self) -> float:
        """How long an idle wait may last before the stats line is due."""
        ...

    def tick(self) -> None:
        """Write the stats line when due."""
        ...

    def close(self) -> None:
        """Flush and close."""
        ...


class WorkerStartError(LwsyslogError):
    """The worker exited before it was ready (its reason is on stderr)."""


class WorkerProcess:
    """The front's handle on one worker: feed lines, ask for a report, stop it.

    A worker that died shows as ``alive`` False (a failed write or the end of its answers);
    :meth:`restart` reaps it and starts a fresh one.
    """

    def __init__(
        self,
        make_program: Callable[[], BatchProgram],
        diagnostics: Diagnostics,
        close_in_child: Sequence[int] = (),
    ) -> None:
        self._make_program = make_program
        self._diagnostics = diagnostics
        self._close_in_child = tuple(close_in_child)
        self.pid = 0
        self.alive = False
        self.input_limit_bytes = 0
        self._to_worker = -1
        self._from_worker = -1
        self._answers = b""

    # --- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Fork the worker and wait until its program is ready; :class:`WorkerStartError`."""
        to_read, to_write = os.pipe()
        from_read, from_write = os.pipe()
        for fd in (to_read, from_read):
            _grow_pipe(fd)
        pid = os.fork()
        if pid == 0:  # pragma: no cover  (the child; measured through the real program)
            os.close(to_write)
            os.close(from_read)
            _child(
                self._make_program,
                self._diagnostics,
                to_read,
                from_write,
                close_fds=self._close_in_child,
            )
        os.close(to_read)
        os.close(from_write)
        self.pid = pid
        self._to_worker = to_write
        self._from_worker = from_read
        self._answers = b""
        ready = self._read_answer(_READY_TIMEOUT_SECS)
        if ready is None or not ready.startswith("R "):
            code = self._reap()
            raise WorkerStartError(f"worker exited before it was ready (status {code})")
        self.input_limit_bytes = int(ready[2:])
        self.alive = True

    def restart(self) -> bool:
        """Reap a dead worker and start a new one; False (reported) when that fails."""
        self._reap()
        try:
            self.start()
        except WorkerStartError as error:
            self._diagnostics.error(f"cannot restart the worker: {error}")
            return False
        self._diagnostics.warning(f"worker restarted (pid {self.pid})")
        return True

    def finish(self) -> int:
        """End of input: let the worker process what it has, flush and exit; its status."""
        if self.pid == 0:
            return 0
        return self._reap(timeout=_EXIT_TIMEOUT_SECS)

    # --- traffic ------------------------------------------------------------------------------

    def feed(self, line: bytes) -> bool:
        """Hand a line to the worker (in the pipe on return); False when it is gone."""
        return self._send(b"L" + line + b"\n")

    def reload(self) -> None:
        """Pass SIGHUP on (in order with the lines)."""
        self._send(b"H\n")

    def report(self) -> str | None:
        """Wait until the worker processed everything fed so far: its answer, None if it died."""
        if not self._send(b"S\n"):
            return None
        answer = self._read_answer(None)
        if answer is None:
            self.alive = False
        return answer

    def _send(self, data: bytes) -> bool:
        """Write the queued lines and ``data``; False when the worker is gone."""
        if not self.alive:
            return False
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._to_worker, view) :]
        except OSError:  # EPIPE: the worker died
            self.alive = False
            return False
        return True

    def _read_answer(self, timeout: float | None) -> str | None:
        while b"\n" not in self._answers:
            ready, _, _ = select.select([self._from_worker], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(self._from_worker, _READ_CHUNK)
            if not chunk:
                return None
            self._answers += chunk
        line, self._answers = self._answers.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def _reap(self, timeout: float | None = None) -> int:
        """Close our ends, wait for the worker (killed after ``timeout``); its exit status."""
        self.alive = False
        for fd in (self._to_worker, self._from_worker):
            if fd >= 0:
                os.close(fd)
        self._to_worker = self._from_worker = -1
        if self.pid == 0:
            return 0
        pid, self.pid = self.pid, 0
        if timeout is not None and not _wait_exit(pid, timeout):
            self._diagnostics.error(f"worker {pid} did not exit in {timeout:.0f} s: killed")
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)


def _grow_pipe(fd: int) -> None:
    # Above /proc/sys/fs/pipe-max-size the default size stays: that only costs some waiting.
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, _F_SETPIPE_SZ, _PIPE_BYTES)


def _wait_exit(pid: int, timeout: float) -> bool:
    """Poll for the worker's exit without reaping it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
        except ChildProcessError:
            return True
        time.sleep(0.01)
    return False


# --- the worker process ----------------------------------------------------------------------


def _child(
    make_program: Callable[[], BatchProgram],
    diagnostics: Diagnostics,
    in_fd: int,
    out_fd: int,
    *,
    close_fds: Sequence[int],
) -> NoReturn:
    """The worker's whole life; never returns into the front's stack."""
    code = 70
    try:
        # The front owns the signals (HUP arrives as a message, in order with the lines) and
        # rsyslog's pipes: holding its stdout open would hide the front's death from rsyslog.
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(signum, signal.SIG_IGN)
        for fd in close_fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        code = _serve(make_program, diagnostics, in_fd, out_fd)
    except BaseException as error:  # the worker's last resort: report, and let the front see EOF
        try:
            diagnostics.error(f"worker failed: {sanitize(repr(error), 300)}")
            traceback.print_exc(file=sys.stderr)
            sys.stderr.flush()
        finally:
            os._exit(code)
    os._exit(code)


def _serve(
    make_program: Callable[[], BatchProgram], diagnostics: Diagnostics, in_fd: int, out_fd: int
) -> int:
    try:
        program = make_program()
    except (LwsyslogError, OSError) as error:
        diagnostics.error(f"cannot start: {error}")
        return 2
    try:
        _write(out_fd, f"R {program.input_limit_bytes}\n".encode())
        handle = program.handle
        pending = b""
        while True:
            ready, _, _ = select.select([in_fd], [], [], program.seconds_to_stats())
            if not ready:
                program.tick()
                continue
            chunk = os.read(in_fd, _READ_CHUNK)
            if not chunk:
                break
            messages = (pending + chunk).split(b"\n") if pending else chunk.split(b"\n")
            pending = messages.pop()
            for message in messages:
                kind = message[0] if message else 0
                if kind == _LINE:
                    handle(message[1:])
                elif kind == _REPORT:
                    _write(out_fd, (program.settle_batch() + "\n").encode("utf-8", "replace"))
                elif kind == _RELOAD:
                    program.reload()
            program.tick()
    finally:
        program.close()
    return 0


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
