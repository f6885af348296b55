"""The protocol loop of transaction mode with the pipeline in a child process.

The answers are :class:`~lwsyslog.omprog.confirmations.Transactions`'s, with the child
(:class:`~lwsyslog.omprog.worker.Worker`) as what processes the lines: a line inside a
transaction is spooled, answered ``DEFER_COMMIT`` and handed to the child; ``COMMIT
TRANSACTION`` is answered once the child settled everything before it. This process runs no
pipeline and no timer: stats lines, housekeeping and retries are the child's.
"""

from __future__ import annotations

import os

from lwsyslog.omprog.confirmations import Transactions, open_spool
from lwsyslog.omprog.diagnostics import Diagnostics
from lwsyslog.omprog.options import Options
from lwsyslog.omprog.signals import SignalFlags
from lwsyslog.omprog.stdio import Answers, LineInput
from lwsyslog.omprog.worker import Worker, WorkerFailedError

__all__ = ["run_pipelined"]


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
    strategy = Transactions(worker, spool, answers, diagnostics)
    source = LineInput(0, wake_fd, worker.input_limit_bytes)
    source.poll_secs = 0.0
    source.on_wait = worker.flush  # lines held back go down before the wait for more
    diagnostics.info(
        f"started in transaction mode (pid {os.getpid()}, pipeline in child {worker.pid})"
    )
    try:
        strategy.start()
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
