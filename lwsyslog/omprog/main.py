"""``lwsyslog-omprog``: the protocol loop rsyslog's omprog action talks to.

Protocol (``confirmMessages="on"``): one ``OK`` once the configuration is loaded and the sinks
are open, then exactly one status per input line, in order (``DEFER_COMMIT`` inside a
transaction, see :mod:`lwsyslog.omprog.confirmations`). A configuration error at start (or
any other error while the configuration and the rules load) is written to stderr in one line
and the program exits 2 without ``OK``. Signals are flags acted on between lines: SIGHUP
reopens the messages file and, when the configuration or a rule file (rule pack, Sigma)
changed, loads them again (a bad new one is reported and the running one kept); SIGTERM or
end of input: flush, close, exit 0.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from lwsyslog.errors import LwsyslogError
from lwsyslog.omprog.confirmations import (
    Confirmation,
    InProcess,
    PerLine,
    Transactions,
    open_spool,
)
from lwsyslog.omprog.diagnostics import Diagnostics, journal_sender
from lwsyslog.omprog.options import parse_options
from lwsyslog.omprog.pipelined import run_pipelined
from lwsyslog.omprog.program import OmprogProgram, describe_error
from lwsyslog.omprog.signals import SignalFlags, install_signals
from lwsyslog.omprog.stdio import Answers, LineInput, claim_stdout
from lwsyslog.omprog.worker import freeze_heap, reload_program

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the omprog program until end of input or SIGTERM; the exit status."""
    protocol_fd = claim_stdout()
    options = parse_options(argv)
    diagnostics = Diagnostics(journal=journal_sender() if options.journald else None)
    flags = SignalFlags()
    wake_fd = install_signals(flags)
    if options.transactions and not options.one_process:
        return run_pipelined(options, diagnostics, flags, wake_fd, Answers(protocol_fd))
    try:
        program = OmprogProgram(options, diagnostics)
    except (LwsyslogError, OSError) as error:
        diagnostics.error(f"cannot start: {error}")
        return 2
    except Exception as error:  # rsyslog shows the first line of stderr: one line, no traceback
        diagnostics.error(f"cannot start: {describe_error(error)}")
        return 2
    answers = Answers(protocol_fd)
    strategy: Confirmation = (
        Transactions(InProcess(program), open_spool(options, diagnostics), answers, diagnostics)
        if options.transactions
        else PerLine(program, answers)
    )
    source = LineInput(0, wake_fd, program.input_limit_bytes)
    source.poll_secs = strategy.poll_secs
    mode = " in transaction mode" if options.transactions else ""
    files = ", ".join(program.config.files)
    diagnostics.info(f"started{mode} (pid {os.getpid()}, config: {files})")
    try:
        strategy.start()
        freeze_heap()
        answers.send("OK")
        while not flags.stop:
            if flags.reload:
                flags.reload = False
                reload_program(program)
            line = source.read_line(program.seconds_to_stats())
            if line is None:
                if source.eof:
                    break
            else:
                strategy.handle(line)
            program.tick()
    except BrokenPipeError:
        diagnostics.info("rsyslog closed the pipe")
    finally:
        strategy.close()
    summary = strategy.summary()
    why = "on SIGTERM" if flags.stop else "at end of input"
    diagnostics.info(f"stopped {why}" + (f": {summary}" if summary else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
