"""How lines are confirmed to rsyslog: each on its own, or in transactions.

The protocol loop (:mod:`lwsyslog.omprog.main`) is the same for both; a confirmation strategy
decides what to answer and when to process. :class:`PerLine` (``confirmMessages="on"``)
processes each line and answers with its status. :class:`Transactions`
(``useTransactions="on"``) spools a line, answers ``DEFER_COMMIT``, then processes it while
rsyslog renders the next one, and settles the batch at ``COMMIT TRANSACTION`` (see
:mod:`lwsyslog.omprog.spool`). Both run in one process; transaction mode's default runs the
pipeline in a child process instead (:mod:`lwsyslog.omprog.pipelined`), ``--one-process`` uses
:class:`Transactions`.
"""

from __future__ import annotations

import time
from typing import Protocol

from lwsyslog.omprog.diagnostics import Diagnostics
from lwsyslog.omprog.options import Options
from lwsyslog.omprog.program import OmprogProgram
from lwsyslog.omprog.resends import MAX_DUE_LINES, ResentLines
from lwsyslog.omprog.spool import LineSpool
from lwsyslog.omprog.stdio import POLL_SECS, Answers

__all__ = ["Confirmation", "InProcess", "PerLine", "Processor", "Transactions", "open_spool"]

_BEGIN = b"BEGIN TRANSACTION"
_COMMIT = b"COMMIT TRANSACTION"
_SPOOL_MAX_LINES = 4096
#: Or this many bytes, whichever comes first: a line may be most of a MiB (rsyslog's
#: maxMessageSize), so 4,096 of them would be gigabytes of spool.
_SPOOL_MAX_BYTES = 64 << 20
#: The answer to a COMMIT that fails again waits this long, doubling up to _ERROR_PAUSE_MAX:
#: rsyslog 8.2302 sends a failed batch again at once, thousands of times a second while a
#: required sink refuses alerts (until it is released, see Dispatcher's hold_secs).
_ERROR_PAUSE_FIRST = 0.05
_ERROR_PAUSE_MAX = 1.0


class Confirmation(Protocol):
    """A confirmation strategy: what the loop does with each line."""

    @property
    def poll_secs(self) -> float:
        """How long the input polls for the next line before sleeping."""

    def start(self) -> None:
        """Work to do before the program says ``OK`` (leftovers of a killed predecessor)."""

    def handle(self, line: bytes) -> None:
        """Answer one input line and process it."""

    def summary(self) -> str:
        """What the strategy did, for the last diagnostic (may be empty)."""

    def close(self) -> None:
        """Flush the program and release the strategy's state."""


class Processor(Protocol):
    """What processes the lines of transaction mode: the program itself (:class:`InProcess`)
    or its child (:class:`~lwsyslog.omprog.worker.Worker`)."""

    def process(self, line: bytes) -> None:
        """Process a line already answered."""

    def handle(self, line: bytes) -> str:
        """Process a line and return its status answer."""

    def settle(self) -> str:
        """``OK`` when every alert raised so far is in every required sink, else the error."""

    def check_settled(self) -> bool:
        """The same test for the program's own use (not an answer, not counted as one)."""

    def count_resent(self) -> None:
        """Count a copy of a line already processed (not processed again)."""

    def close(self) -> bool:
        """Flush and close; True when every alert went out."""


class InProcess:
    """:class:`Processor` of the program in this process (``--one-process``)."""

    def __init__(self, program: OmprogProgram) -> None:
        self._program = program

    def process(self, line: bytes) -> None:
        """Process a line already answered."""
        self._program.handle(line, deferred=True)

    def handle(self, line: bytes) -> str:
        """Process a line and return its status answer."""
        return self._program.handle(line)

    def settle(self) -> str:
        """The answer to ``COMMIT TRANSACTION``."""
        return self._program.settle_batch()

    def check_settled(self) -> bool:
        """True when every alert raised so far is in every required sink."""
        return self._program.settle_batch(answering=False) == "OK"

    def count_resent(self) -> None:
        """Count a copy of a line already processed."""
        self._program.count_resent()

    def close(self) -> bool:
        """Flush and close the program; True when no alert is left pending."""
        self._program.close()
        return not self._program.pipeline.dispatcher.pending


class PerLine:
    """``confirmMessages="on"`` without transactions: process a line, then answer it."""

    poll_secs = POLL_SECS
    """rsyslog waits for each answer, then sends the next line within microseconds: a short
    poll before sleeping keeps the pair on the fast path (see :class:`LineInput`)."""

    def __init__(self, program: OmprogProgram, answers: Answers) -> None:
        self._program = program
        self._answers = answers

    def start(self) -> None:
        """Nothing to do before ``OK``."""

    def handle(self, line: bytes) -> None:
        """Process the line; answer ``OK`` or the error that makes rsyslog send it again."""
        self._answers.send(self._program.handle(line))

    def summary(self) -> str:
        """Nothing beyond the stats line."""
        return ""

    def close(self) -> None:
        """Flush and close the program."""
        self._program.close()


class Transactions:
    """Transaction mode: answer first, process right after, settle at ``COMMIT``.

    A line inside a transaction is appended to the spool, answered ``DEFER_COMMIT`` and only
    then processed, so rsyslog renders and sends its next line while this one runs through the
    pipeline. ``COMMIT TRANSACTION`` is answered ``OK`` only when every alert raised so far is
    in every sink, else with the error (rsyslog sends the batch again); either way the spool
    is emptied. After an error the batch's lines are due again (:mod:`lwsyslog.omprog.resends`):
    a copy rsyslog sends again is answered and its alerts delivered, not counted again. A line
    outside a transaction is processed and answered on its own, as in per-line mode. Nothing
    depends on ``COMMIT`` arriving: every line is processed as it comes, and the spool is also
    emptied every ``_SPOOL_MAX_LINES`` lines or ``_SPOOL_MAX_BYTES`` bytes (64 MiB) once their
    alerts are out, so it stays bounded. While a required sink refuses them, that check waits
    another ``_SPOOL_MAX_LINES`` lines or ``_SPOOL_MAX_BYTES`` bytes: a dead sink costs one
    check per 4,096 lines, not one per line.
    ``processor`` processes the lines: the program in this process, or its child.
    """

    def __init__(
        self,
        processor: Processor,
        spool: LineSpool | None,
        answers: Answers,
        diagnostics: Diagnostics,
    ) -> None:
        self._processor = processor
        self._diagnostics = diagnostics
        self._spool = spool
        self._answers = answers
        self._in_batch = False
        self._batch: list[int] = []  # hashes of this transaction's lines
        self._resent = ResentLines()
        self._next_spool_check = _SPOOL_MAX_LINES
        self._next_spool_bytes = _SPOOL_MAX_BYTES
        self.batches = 0
        self.failed_commits = 0
        self._failed_in_row = 0

    poll_secs = 0.0
    """No busy poll: the next line usually waits already when this one is processed, and on 2
    cores a spin costs rsyslog the CPU it needs (measured: 50-500 us polls, no steady gain)."""

    def start(self) -> None:
        """Process the lines a killed predecessor answered but may not have processed."""
        spool = self._spool
        if spool is None:
            return
        # Killed while rsyslog waited for COMMIT's answer, the predecessor leaves a batch
        # rsyslog sends again whole (and a line it spooled but never answered comes again
        # too): those copies are due, not new lines to count a second time. The lines are
        # read one at a time; their hashes are owed by the due table's size at most.
        owed: list[int] = []
        for line in spool.leftover():
            self._processor.process(line)
            owed.append(hash(line))
            if len(owed) >= MAX_DUE_LINES:
                self._resent.owe(owed)
                owed.clear()
        if not spool.lines:
            return
        self._resent.owe(owed)
        self._diagnostics.info(
            f"processed {spool.lines} lines a previous run left in {spool.path} "
            "(answered DEFER_COMMIT before it stopped; alerts already raised are not repeated)"
        )
        self._empty_spool_if_settled()

    def handle(self, line: bytes) -> None:
        """Answer one input line (a transaction mark or a message) and process it."""
        processor = self._processor
        if self._in_batch and line != _COMMIT:
            if line == _BEGIN:
                self._answers.send("OK")
                return
            key = hash(line)
            if len(self._batch) < MAX_DUE_LINES:
                self._batch.append(key)
            if self._resent.take(key):
                # A copy of a line a failed batch held: settled with this batch's COMMIT.
                self._answers.send("DEFER_COMMIT")
                processor.count_resent()
                return
            spool = self._spool
            if spool is not None:
                try:
                    spool.append(line)
                except OSError as error:
                    self._drop_spool(spool, error)
                    spool = None
            self._answers.send("DEFER_COMMIT")
            processor.process(line)
            if (
                spool is not None
                and (spool.lines >= self._next_spool_check or spool.bytes >= self._next_spool_bytes)
                and not self._empty_spool_if_settled()
            ):
                self._next_spool_check = spool.lines + _SPOOL_MAX_LINES
                self._next_spool_bytes = spool.bytes + _SPOOL_MAX_BYTES
        elif line == _BEGIN:
            self._in_batch = True
            self._answers.send("OK")
        elif line == _COMMIT:
            self._in_batch = False
            self.batches += 1
            answer = processor.settle()
            if answer != "OK":
                self.failed_commits += 1
                self._resent.owe(self._batch)
                self._pause_before_error()
            else:
                self._failed_in_row = 0
            self._batch.clear()
            # Either way the spool's lines are safe: confirmed, or sent again by rsyslog after
            # the error (8.2302 replays a failed batch), so a long sink outage cannot grow it.
            if self._spool is not None:
                self._spool.clear()
            self._next_spool_check = _SPOOL_MAX_LINES
            self._next_spool_bytes = _SPOOL_MAX_BYTES
            self._answers.send(answer)
        else:
            self._answers.send(self._single(line))

    def _single(self, line: bytes) -> str:
        """A line outside a transaction: a due copy is settled, anything else processed."""
        key = hash(line)
        if self._resent.take(key):
            self._processor.count_resent()
            answer = self._processor.settle()
            if answer != "OK":
                self._resent.owe((key,))
            return answer
        return self._processor.handle(line)

    def _pause_before_error(self) -> None:
        """Slow rsyslog's resending of a failing batch: the first error is answered at once,
        each next one in a row after a pause that doubles up to ``_ERROR_PAUSE_MAX``."""
        if self._failed_in_row:
            pause = _ERROR_PAUSE_FIRST * 2 ** min(self._failed_in_row - 1, 8)
            time.sleep(min(pause, _ERROR_PAUSE_MAX))
        self._failed_in_row += 1

    def summary(self) -> str:
        """What the batches came to, for the last diagnostic."""
        return f"batches={self.batches} failed_commits={self.failed_commits}"

    def close(self) -> None:
        """End of input or SIGTERM: flush the processor, then empty the spool if all went out."""
        delivered = self._processor.close()
        if self._spool is not None:
            if delivered:
                self._spool.clear()
            self._spool.close()

    def _empty_spool_if_settled(self) -> bool:
        """Empty the spool when every alert of its lines is out; True when it was emptied."""
        if self._spool is None or not self._processor.check_settled():
            return False
        self._spool.clear()
        self._next_spool_check = _SPOOL_MAX_LINES
        self._next_spool_bytes = _SPOOL_MAX_BYTES
        return True

    def _drop_spool(self, spool: LineSpool, error: OSError) -> None:
        """A full or failing disk under the state directory: go on without the spool. Stopping
        would stop detection, and rsyslog would restart the program into the same write."""
        self._diagnostics.error(
            f"line spool {spool.path} not written ({type(error).__name__}: {error}); going on "
            "without it until the program restarts: lines answered DEFER_COMMIT are lost if it "
            "dies before processing them"
        )
        # What it holds is processed: emptied when its alerts are out, so a restart does not
        # process those lines again.
        self._empty_spool_if_settled()
        spool.close()
        self._spool = None


def open_spool(options: Options, diagnostics: Diagnostics) -> LineSpool | None:
    """The spool of this instance in the state directory (None, with a warning, if unusable)."""
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
