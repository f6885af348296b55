"""The sender's second half: deliver one channel's messages, with retries and backoff.

One courier per channel, each in its own thread, so a dead SMTP server (a connect timeout per
attempt) never delays the webhook. A message is leased before the attempt and deleted only
after the target accepted it; a failed attempt schedules the next one with exponential backoff
and jitter (:func:`~lwsyslog.notify.delivery.retry_delay`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import orjson

from lwsyslog.notify.apprise_send import AppriseTransporter
from lwsyslog.notify.delivery import DeliveryError, Transporter, retry_delay
from lwsyslog.notify.email_send import EmailTransporter
from lwsyslog.notify.outbox import Outbox
from lwsyslog.notify.reporter import Reporter
from lwsyslog.notify.settings import (
    AppriseTransport,
    ChannelSettings,
    EmailTransport,
    NotifySettings,
    WebhookTransport,
)
from lwsyslog.notify.stats import NotifyStats
from lwsyslog.notify.webhook import WebhookTransporter
from lwsyslog.sanitize import sanitize

__all__ = ["Courier", "make_transporter"]

_IDLE_WAIT_SECS = 5.0
_REPEAT_REPORT_SECS = 300.0


def make_transporter(channel: ChannelSettings) -> Transporter:
    """The transporter for ``channel``'s kind (apprise itself is imported only when an apprise
    channel sends)."""
    transport = channel.transport
    if isinstance(transport, EmailTransport):
        return EmailTransporter(transport)
    if isinstance(transport, WebhookTransport):
        return WebhookTransporter(transport)
    assert isinstance(transport, AppriseTransport)
    return AppriseTransporter(transport)


class Courier:
    """Delivers the due messages of one channel."""

    def __init__(
        self,
        channel: ChannelSettings,
        settings: NotifySettings,
        outbox: Outbox,
        transporter: Transporter,
        *,
        stats: NotifyStats,
        report: Reporter,
        owner: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.channel = channel
        self.settings = settings
        self.outbox = outbox
        self.transporter = transporter
        self.stats = stats
        self.report = report
        self.owner = owner
        self.clock = clock
        self._rng = random.Random()
        with stats.lock:
            known = stats.channel(channel.name)
            known.kind = channel.kind
            # A run of failures goes on across a restart of the sender: only a delivery ends it.
            self._failing_since: float | None = known.failing_since or None
        self._last_report = 0.0
        self._last_error = ""
        timeout = getattr(channel.transport, "timeout_secs", 30.0)
        # Longer than any one attempt can last, so a lease never expires under a live attempt.
        self._lease_secs = timeout * 4 + 30.0

    def deliver_one(self) -> bool:
        """Attempt the next due message; False when none is due."""
        now = self.clock()
        message = self.outbox.lease_next(self.channel.name, now, self.owner, now + self._lease_secs)
        if message is None:
            return False
        name = self.channel.name
        with self.stats.lock:
            self.stats.attempts += 1
            self.stats.channel(name).attempts += 1
        try:
            digest = orjson.loads(message.body)
            note = self.transporter.send(digest, message.target)
        except DeliveryError as error:
            self._failed(message.id, message.attempts + 1, str(error), error.retry_after)
            return True
        except Exception as error:  # a bug must not kill the courier: retried like a failure
            self._failed(message.id, message.attempts + 1, f"{type(error).__name__}: {error}")
            return True
        self.outbox.delivered(message.id)
        with self.stats.lock:
            self.stats.delivered += 1
            channel = self.stats.channel(name)
            channel.delivered += 1
            channel.failing_since = 0.0
        if note:
            self.report.warning(f"notify: channel {name}: {note}")
        if self._failing_since is not None:
            self.report.info(
                f"notify: channel {name} delivers again (failing for "
                f"{self.clock() - self._failing_since:.0f} s)"
            )
            self._failing_since = None
            self._last_error = ""
        return True

    def seconds_to_next(self) -> float:
        """How long until a message of this channel is due (capped)."""
        due = self.outbox.next_due(self.channel.name)
        if due is None:
            if self._failing_since is not None:
                self._nothing_left()
            return _IDLE_WAIT_SECS
        return max(0.0, min(due - self.clock(), _IDLE_WAIT_SECS))

    def _nothing_left(self) -> None:
        """A failing channel with no message left (each given up after ``max_age_secs``, or
        dropped): nothing waits and nothing is tried, so it is no longer failing; the next
        message's attempt says how it is."""
        name = self.channel.name
        assert self._failing_since is not None
        self.report.warning(
            f"notify: channel {name} has no message left to send (failing for "
            f"{self.clock() - self._failing_since:.0f} s; the undelivered ones were given up)"
        )
        self._failing_since = None
        self._last_error = ""
        with self.stats.lock:
            self.stats.channel(name).failing_since = 0.0

    def _failed(
        self, message_id: int, attempts: int, error: str, retry_after: float | None = None
    ) -> None:
        settings = self.settings
        now = self.clock()
        delay = retry_delay_for(settings, attempts, retry_after, self._rng)
        text = sanitize(error, 400)
        self.outbox.failed(message_id, now + delay, text)
        name = self.channel.name
        with self.stats.lock:
            self.stats.failures += 1
            channel = self.stats.channel(name)
            channel.failures += 1
            channel.last_error = text
            if self._failing_since is None:
                self._failing_since = now
            channel.failing_since = self._failing_since
        # One line per new error, and a reminder every few minutes while it lasts.
        if text != self._last_error or now - self._last_report >= _REPEAT_REPORT_SECS:
            self._last_error = text
            self._last_report = now
            self.report.warning(
                f"notify: channel {name} ({self.channel.kind}) failed: {text}; attempt "
                f"{attempts}, next in {delay:.0f} s (the message stays in the outbox)"
            )


def retry_delay_for(
    settings: NotifySettings, attempts: int, retry_after: float | None, rng: random.Random
) -> float:
    """The backoff of ``settings`` after the ``attempts``-th failure."""
    return retry_delay(
        attempts, settings.retry_initial_secs, settings.retry_max_secs, retry_after, rng
    )
