"""Transaction mode with the pipeline in a child process (:mod:`lwsyslog.omprog.worker`).

The answers are those of :class:`~lwsyslog.omprog.confirmations.Transactions`: a line inside a
transaction is spooled, answered ``DEFER_COMMIT`` and handed to the child; ``COMMIT
TRANSACTION`` is answered once the child settled everything before it (``OK``, or the error
that makes rsyslog send the batch again); a copy of a line of a failed batch is recognised by
its bytes and not processed again; a line outside a transaction is answered with its own
status. The spool is emptied when a batch is settled, and every ``_SPOOL_MAX_LINES`` lines.
"""

from __future__ import annotations

import os

from lwsyslog.omprog.confirmations import open_spool
from lwsyslog.omprog.diagnostics import Diagnostics
from lwsyslog.omprog.options import Options
from lwsyslog.omprog.resends import MAX_DUE_LINES, ResentLines
from lwsyslog.omprog.signals import SignalFlags
from lwsyslog.omprog.spool import LineSpool
from lwsyslog.omprog.stdio import Answers, LineInput
from lwsyslog.omprog.worker import Worker, WorkerFailedError

__all__ = ["Pipelined", "run_pipelined"]

_BEGIN = b"BEGIN TRANSACTION"
_COMMIT = b"COMMIT TRANSACTION"
_SPOOL_MAX_LINES = 4096


class Pipelined:
    """The parent's side of transaction mode: answer, spool, hand over, settle."""

    def __init__(self, worker: Worker, spool: LineSpool | None, answers: Answers) -> None:
        self._worker = worker
        self._spool = spool
        self._answers = answers
        self._in_batch = False
        self._batch: list[int] = []  # hashes of this transaction's lines
        self._resent = ResentLines()
        self.batches = 0
        self.failed_commits = 0

    def start(self, diagnostics: Diagnostics) -> None:
        """Hand the lines a killed predecessor answered (its spool) to the child first."""
        spool = self._spool
        if spool is None:
            return
        leftover = spool.leftover()
        if not leftover:
            return
        for line in leftover:
            self._worker.process(line)
        diagnostics.info(
            f"processed {len(leftover)} lines a previous run left in {spool.path} "
            "(answered DEFER_COMMIT before it stopped; alerts already raised are not repeated)"
        )
        self._empty_spool_if_settled()

    def handle(self, line: bytes) -> None:
        """Answer one input line (a transaction mark or a message) and pass it on."""
        worker = self._worker
        if self._in_batch and line != _COMMIT:
            if line == _BEGIN:
                self._answers.send("OK")
                return
            key = hash(line)
            if len(self._batch) < MAX_DUE_LINES:
                self._batch.append(key)
            if self._resent.take(key):
                self._answers.send("DEFER_COMMIT")
                worker.count_resent()
                return
            spool = self._spool
            if spool is not None:
                spool.append(line)
            self._answers.send("DEFER_COMMIT")
            worker.process(line)
            if spool is not None and spool.lines >= _SPOOL_MAX_LINES:
                self._empty_spool_if_settled()
        elif line == _BEGIN:
            self._in_batch = True
            self._answers.send("OK")
        elif line == _COMMIT:
            self._in_batch = False
            self.batches += 1
            answer = worker.settle()
            if answer != "OK":
                self.failed_commits += 1
                self._resent.owe(self._batch)
            self._batch.clear()
            if self._spool is not None:
                self._spool.clear()
            self._answers.send(answer)
        else:
            self._answers.send(self._single(line))

    def _single(self, line: bytes) -> str:
        key = hash(line)
        if self._resent.take(key):
            self._worker.count_resent()
            answer = self._worker.settle()
            if answer != "OK":
                self._resent.owe((key,))
            return answer
        return self._worker.handle(line)

    def summary(self) -> str:
        """What the batches came to, for the last diagnostic."""
        return f"batches={self.batches} failed_commits={self.failed_commits}"

    def close(self) -> None:
        """End of input or SIGTERM: the child finishes; the spool is emptied if all went out."""
        delivered = self._worker.close()
        if self._spool is not None:
            if delivered:
                self._spool.clear()
            self._spool.close()

    def _empty_spool_if_settled(self) -> None:
        if self._spool is not None and self._worker.settle() == "OK":
            self._spool.clear()


def run_pipelined(
    options: Options,
    diagnostics: Diagnostics,
    flags: SignalFlags,
    wake_fd: int,
    answers: Answers,
) -> int:
    """The protocol loop of transaction mode with a processing child; the exit status."""
    worker = Worker.start(options, diagnostics)
    if worker is None:
        return 2
    spool = open_spool(options, diagnostics)
    strategy = Pipelined(worker, spool, answers)
    source = LineInput(0, wake_fd, worker.input_limit_bytes)
    source.poll_secs = 0.0
    diagnostics.info(
        f"started in transaction mode (pid {os.getpid()}, pipeline in child {worker.pid})"
    )
    try:
        strategy.start(diagnostics)
        answers.send("OK")
        while not flags.stop:
            if flags.reload:
                flags.reload = False
                worker.reload()
            line = source.read_line(None)
            if line is None:
                if source.eof:
                    break
            else:
                strategy.handle(line)
    except BrokenPipeError:
        diagnostics.info("rsyslog closed the pipe")
    except WorkerFailedError as error:
        diagnostics.error(f"stopping: {error}")
        return 1
    finally:
        strategy.close()
    summary = strategy.summary()
    why = "on SIGTERM" if flags.stop else "at end of input"
    diagnostics.info(f"stopped {why}: {summary}")
    return 0
