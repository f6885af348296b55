"""Transaction mode in two processes: this one answers rsyslog, a child runs the pipeline.

In one process each line's protocol work (read, spool write, answer, rsyslog woken on the other
core) sits between two lines' processing. Here the parent reads a line, spools it, answers
``DEFER_COMMIT`` and passes it down a pipe (with the lines after it that rsyslog already has
ready: one write per batch, see :meth:`Worker.flush`); the child reads the pipe in bulk and
only processes.
The two run on two cores, and the child's pace is the pipeline's own (measured:
``bench/bench_storm.py``, the program's pace). ``COMMIT TRANSACTION`` is still answered ``OK``
only once the child has processed every line before it and delivered their alerts.

Messages to the child, one per line, the first byte saying what it is: ``L`` + line: process
it (already answered); ``P`` + line: a line outside a transaction, process it and answer its
status; ``S``: settle (answer ``OK`` or the error, as at ``COMMIT``); ``C``: the same check
for the parent's own use (the spool), not counted as an answer to rsyslog; ``R``: a copy of a line
already processed (counted, not processed again); ``H``: SIGHUP reached the parent, reload.
The child answers on a second pipe: first ``READY UID GID LIMIT`` once its program is built
(or ``FAIL``), then one line per ``P``, ``S`` and ``C``, and ``CLOSED 1`` (``0``: alerts a sink
never took) after the end of its input.

The child is built (configuration, privileges dropped, sinks, threads) after the fork, so the
threads and subprocesses of notifications, metrics and crawler checks are its own; the parent
then becomes the same unprivileged user. The child dies with the parent (``PR_SET_PDEATHSIG``):
what the parent answered is in its spool, processed again by the next program.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import fcntl
import gc
import os
import signal
from collections.abc import Callable

from lwsyslog.errors import LwsyslogError
from lwsyslog.omprog.diagnostics import Diagnostics
from lwsyslog.omprog.options import Options
from lwsyslog.omprog.program import OmprogProgram
from lwsyslog.omprog.stdio import Answers, LineInput

__all__ = ["HELD_BYTES", "HELD_LINES", "Worker", "freeze_heap", "reload_program"]

_PR_SET_PDEATHSIG = 1
_F_SETPIPE_SZ = 1031
#: The pipe to the child holds this much: the parent seldom waits for the child to read.
_PIPE_BYTES = 1 << 20
#: Lines handed over in one write at most (see :meth:`Worker.flush`).
HELD_LINES = 64
#: Bytes held back at most before they are written.
HELD_BYTES = 1 << 16
_READY = "READY"
_CLOSED = "CLOSED"


def freeze_heap() -> None:
    """Move what start-up (or a reload) built out of the cyclic collector's sight.

    Rules, scanners and tables live as long as the program; without this every full
    collection walks them all again while lines are processed (as ``lwsyslog scan`` does it).
    Objects that reference counting frees are freed as before.
    """
    gc.collect()
    gc.freeze()


def reload_program(program: OmprogProgram) -> None:
    """SIGHUP's work (:meth:`OmprogProgram.reload`), with the heap unfrozen first so that what
    the old configuration leaves behind can be collected, and frozen again after."""
    gc.unfreeze()
    program.reload()
    freeze_heap()


class WorkerFailedError(LwsyslogError):
    """The child stopped or did not start: the parent cannot go on."""


class Worker:
    """The parent's handle on the child that runs the pipeline."""

    def __init__(self, pid: int, to_child: int, from_child: int, limit: int) -> None:
        self.pid = pid
        self._to_child = to_child
        self._held = bytearray()
        self._held_lines = 0
        self._replies = LineInput(from_child, _idle_fd(), 4096)
        self._replies.poll_secs = 0.0
        #: The longest input line the child's program keeps whole.
        self.input_limit_bytes = limit

    @classmethod
    def start(cls, options: Options, diagnostics: Diagnostics) -> Worker | None:
        """Fork the child and wait until its program is built; None when it could not be
        (it said why on stderr). The parent then runs as the child's user."""
        options = dataclasses.replace(options, reported_pids=(os.getpid(), os.getppid()))
        down_read, down_write = os.pipe()
        up_read, up_write = os.pipe()
        with contextlib.suppress(OSError):
            fcntl.fcntl(down_write, _F_SETPIPE_SZ, _PIPE_BYTES)
        pid = os.fork()
        if pid == 0:  # the child
            os.close(down_write)
            os.close(up_read)
            os._exit(_child(options, diagnostics, down_read, up_write))
        os.close(down_read)
        os.close(up_write)
        worker = cls(pid, down_write, up_read, 0)
        ready = worker._reply().split()
        if len(ready) != 4 or ready[0] != _READY:
            worker.close()
            return None
        uid, gid, limit = (int(part) for part in ready[1:])
        worker.input_limit_bytes = limit
        _become(uid, gid)
        return worker

    def process(self, line: bytes) -> None:
        """Hand over a line already answered (held back with the next ones, see
        :meth:`flush`)."""
        self._held += b"L"
        self._held += line
        self._hold(b"\n")

    def _hold(self, end: bytes) -> None:
        """End the message being held and flush once enough are waiting."""
        self._held += end
        self._held_lines += 1
        if self._held_lines >= HELD_LINES or len(self._held) >= HELD_BYTES:
            self.flush()

    def flush(self) -> None:
        """Pass the held-back messages down in one write.

        Lines a transaction hands over are held back until :data:`HELD_LINES` of them or
        :data:`HELD_BYTES` are waiting, until rsyslog has no next line ready (the parent is
        about to wait for input: ``LineInput.on_wait``), or until a message that needs an
        answer: one write (and one wake-up of the child) per batch instead of per line. Held
        lines are already in the spool, so a parent that dies holding some loses none.
        A longer hold was measured and dropped: letting a held line wait up to 3 ms for the
        next ones (a timed select per line) cut the chain from about 21,800 to 17,600 lines/s
        (``bench/bench_chain.py --only real --lines 300000``, alternated, 3 runs each).
        """
        if self._held:
            data = bytes(self._held)
            self._held.clear()
            self._held_lines = 0
            self._send(data)

    def handle(self, line: bytes) -> str:
        """Process a line outside a transaction; its status answer."""
        self.flush()
        self._send(b"P" + line + b"\n")
        return self._reply()

    def settle(self) -> str:
        """``OK`` once every line handed over is processed and its alerts delivered, else
        the error (the answer to ``COMMIT TRANSACTION``)."""
        self.flush()
        self._send(b"S\n")
        return self._reply()

    def check_settled(self) -> bool:
        """True once every line handed over is processed and its alerts delivered (the
        program's own check, not an answer to rsyslog)."""
        self.flush()
        self._send(b"C\n")
        return self._reply() == "OK"

    def count_resent(self) -> None:
        """A copy of a line already processed: counted by the child, not processed."""
        self._hold(b"R\n")

    def reload(self) -> None:
        """Pass SIGHUP on: reopen the files, reload the configuration."""
        self.flush()
        self._send(b"H\n")

    def close(self) -> bool:
        """End the child's input, let it finish and wait for it; True when every alert it
        raised went out."""
        with contextlib.suppress(WorkerFailedError):
            self.flush()
        with contextlib.suppress(OSError):
            os.close(self._to_child)
        delivered = False
        with contextlib.suppress(WorkerFailedError):
            while True:
                reply = self._reply()
                if reply.startswith(_CLOSED):
                    delivered = reply == f"{_CLOSED} 1"
                    break
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        return delivered

    def _send(self, data: bytes) -> None:
        # Not a memoryview loop: compiled by mypyc, `while view:` stayed true for an empty
        # view and every message went down twice.
        try:
            while data:
                data = data[os.write(self._to_child, data) :]
        except BrokenPipeError:
            raise WorkerFailedError("the processing child stopped") from None

    def _reply(self) -> str:
        line = self._replies.read_line(None)
        if line is None:
            raise WorkerFailedError("the processing child stopped")
        return line.decode("utf-8", "replace")


def _idle_fd() -> int:
    """A descriptor that never becomes readable (no signal interrupts the child's reads)."""
    read_end, _ = os.pipe()
    return read_end


def _become(uid: int, gid: int) -> None:
    """Take the child's user and group when still root (the child dropped root already)."""
    if os.geteuid() != 0 or uid == 0:
        return
    os.setgroups([gid])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _child(options: Options, diagnostics: Diagnostics, down: int, up: int) -> int:
    """The child: build the program, then process what the parent hands over."""
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, signal.SIG_IGN)  # the parent decides; the end of input stops us
    signal.set_wakeup_fd(-1)
    _die_with_parent()
    answers = Answers(up)
    try:
        program = OmprogProgram(options, diagnostics)
    except (LwsyslogError, OSError) as error:
        diagnostics.error(f"cannot start: {error}")
        answers.send("FAIL")
        return 2
    freeze_heap()
    answers.send(f"{_READY} {os.getuid()} {os.getgid()} {program.input_limit_bytes}")
    # A message is a kind byte and a line of at most the parent's limit plus one (the head it
    # keeps of a longer line): the child keeps it whole, and the program refuses it as before.
    source = LineInput(down, _idle_fd(), program.input_limit_bytes + 2)
    source.poll_secs = 0.0
    act = _actions(program, answers)
    while True:
        message = source.read_line(program.seconds_to_stats())
        if message is not None:
            action = act.get(message[:1])
            if action is not None:
                action(message[1:])
        elif source.eof:
            break
        program.tick()
    program.close()
    answers.send(f"{_CLOSED} {0 if program.pipeline.dispatcher.pending else 1}")
    return 0


def _actions(program: OmprogProgram, answers: Answers) -> dict[bytes, Callable[[bytes], None]]:
    def process(line: bytes) -> None:
        program.handle(line, deferred=True)

    def settle(_: bytes) -> None:
        answers.send(program.settle_batch())

    def single(line: bytes) -> None:
        answers.send(program.handle(line))

    def check(_: bytes) -> None:
        answers.send(program.settle_batch(answering=False))

    def resent(_: bytes) -> None:
        program.count_resent()

    def reload(_: bytes) -> None:
        reload_program(program)

    return {
        b"L": process,
        b"P": single,
        b"S": settle,
        b"C": check,
        b"R": resent,
        b"H": reload,
    }
