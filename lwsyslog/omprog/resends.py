"""The lines of transactions whose ``COMMIT`` failed, which rsyslog sends again.

After an error answer to ``COMMIT TRANSACTION`` rsyslog 8.2302 sends the batch's messages again
(one message per transaction), again and again while a sink stays down. The program processed
them the first time; a copy that comes back must not be counted again (thresholds would see
every line twice, or a hundred times). rsyslog renders a message it sends again into the same
bytes (the envelope carries the web host's time stamp to the microsecond), so a copy is
recognised by its content: a multiset of the failed batches' line hashes, each copy taking one.

A new line identical in every byte to one still due (same host, same microsecond, same text)
takes that line's place and the copy is processed instead: the count stays right. Only lines
rsyslog gives up on stay due; they are bounded (``max_lines``, oldest first forgotten) and,
carrying their time stamp, match nothing new a second later.

Recognising copies this way costs a hash per line in a transaction; the template's ``uuid``
property it replaces cost rsyslogd about 40% of the chain's throughput (README, performance).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from lwsyslog.bounded import drop_oldest

__all__ = ["MAX_DUE_LINES", "ResentLines"]

MAX_DUE_LINES = 65_536
"""Distinct lines remembered as due: many failed batches' worth (rsyslog's batches are at most
its ``queue.dequeueBatchSize``, 1024 in the shipped drop-in)."""


class ResentLines:
    """Line hashes of failed transactions, with how many copies of each are still due."""

    def __init__(self, max_lines: int = MAX_DUE_LINES) -> None:
        self._due: OrderedDict[int, int] = OrderedDict()
        self._max_lines = max_lines

    def __len__(self) -> int:
        return len(self._due)

    def take(self, key: int) -> bool:
        """Whether the line with hash ``key`` is a copy still due (and if so, one fewer is)."""
        due = self._due
        if not due:
            return False
        left = due.get(key)
        if not left:
            return False
        if left == 1:
            del due[key]
        else:
            due[key] = left - 1
        return True

    def owe(self, keys: Iterable[int]) -> None:
        """The lines with these hashes were not confirmed: rsyslog will send them again."""
        due = self._due
        for key in keys:
            due[key] = due.get(key, 0) + 1
        drop_oldest(due, self._max_lines)
