"""What every transport shares: the failure it raises and the retry schedule."""

from __future__ import annotations

import random
from typing import Protocol

from lwsyslog.notify.digest import Digest

__all__ = ["DeliveryError", "Transporter", "retry_delay"]


class DeliveryError(Exception):
    """One delivery attempt failed; the message stays in the outbox for a retry.

    ``retry_after`` is the wait the receiver asked for (HTTP ``Retry-After``), if any.
    Internal to the sender thread: it never reaches the caller of ``submit``.
    """

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Transporter(Protocol):
    """Sends one digest to one target of a channel, or raises :class:`DeliveryError`."""

    def send(self, digest: Digest, target: int) -> str | None:
        """Deliver; return only once the target accepted the message (with a note worth
        logging, such as refused recipients, or None)."""


def retry_delay(
    attempts: int,
    initial_secs: float,
    max_secs: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after the ``attempts``-th failure: exponential, with jitter.

    ``initial * 2**(attempts-1)``, capped at ``max_secs``, then a random point in its upper
    half, so senders that failed together do not retry together. A receiver's
    ``Retry-After`` is honoured up to ``max_secs``.
    """
    exponent = min(max(attempts - 1, 0), 30)
    ceiling = min(max_secs, initial_secs * (2.0**exponent))
    delay = ceiling * (rng or random).uniform(0.5, 1.0)
    if retry_after is not None:
        delay = max(delay, min(retry_after, max_secs))
    return delay
