"""The validated ``[notify]`` configuration: channels, their policy and their transport.

Built by :func:`lwsyslog.notify.settings_parse.parse_notify_settings`; every value here has
been checked, so the sender never meets a bad setting at 3 a.m. Secrets (SMTP password,
webhook secret, Matrix token, apprise URLs) are kept out of ``repr`` so a settings object in a
traceback or a debug line does not leak them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as daytime
from typing import Literal
from zoneinfo import ZoneInfo

from lwsyslog.severity import Severity

__all__ = [
    "AppriseTransport",
    "ChannelSettings",
    "EmailTransport",
    "NotifySettings",
    "Policy",
    "QuietHours",
    "Transport",
    "WebhookTransport",
]

GroupBy = Literal["client", "rule"]
Security = Literal["starttls", "tls", "none"]
Preset = Literal["json", "slack", "mattermost", "matrix", "teams"]


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily time range in a timezone during which non-critical messages wait.

    ``start`` may be after ``end`` (22:00-07:00 spans midnight). ``critical`` says what a
    critical alert does meanwhile: ``send`` (default: it bypasses the quiet hours) or ``hold``.
    """

    start: daytime
    end: daytime
    timezone: str
    critical: Literal["send", "hold"] = "send"

    def active(self, now: float) -> bool:
        """True when epoch time ``now`` falls inside the quiet hours."""
        local = datetime.fromtimestamp(now, ZoneInfo(self.timezone)).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_at(self, now: float) -> float:
        """Epoch time at which the quiet hours that are active at ``now`` end."""
        zone = ZoneInfo(self.timezone)
        local = datetime.fromtimestamp(now, zone)
        end = datetime.combine(local.date(), self.end, tzinfo=zone)
        if end <= local:
            end += timedelta(days=1)
        return end.timestamp()


@dataclass(frozen=True, slots=True)
class Policy:
    """Which alerts a channel takes and how it turns them into messages.

    An alert passes when its severity is at least ``min_severity``, it matches an include list
    (when any is set: its rule is in ``include_rules`` or one of its categories is in
    ``include_categories``) and nothing excludes it (exclusion wins).
    """

    min_severity: Severity = Severity.HIGH
    include_rules: frozenset[str] = frozenset()
    exclude_rules: frozenset[str] = frozenset()
    include_categories: frozenset[str] = frozenset()
    exclude_categories: frozenset[str] = frozenset()
    group_by: GroupBy = "client"
    group_interval_secs: float = 300.0
    critical_immediate: bool = True
    storm_clients: int = 20
    storm_window_secs: float = 300.0
    rate_limit_messages: int = 0
    rate_limit_window_secs: float = 3600.0
    quiet_hours: QuietHours | None = None

    def accepts(self, rule: str, severity_rank: int, categories: tuple[str, ...]) -> bool:
        """True when an alert of ``rule``/``severity_rank``/``categories`` goes to this channel."""
        if severity_rank < self.min_severity.rank:
            return False
        if rule in self.exclude_rules or any(c in self.exclude_categories for c in categories):
            return False
        if not (self.include_rules or self.include_categories):
            return True
        return rule in self.include_rules or any(c in self.include_categories for c in categories)


@dataclass(frozen=True, slots=True)
class EmailTransport:
    """SMTP delivery: one message to every recipient, plain text plus HTML."""

    host: str
    port: int
    security: Security
    sender: str
    recipients: tuple[str, ...]
    user: str = ""
    password: str = field(default="", repr=False)
    ca_file: str = ""
    timeout_secs: float = 20.0
    subject_prefix: str = "[lwsyslog]"


@dataclass(frozen=True, slots=True)
class WebhookTransport:
    """An HTTP POST (PUT for Matrix) of one message, signed when a secret is set; a
    ``user:password@`` in the URL is sent as HTTP Basic auth."""

    url: str = field(repr=False)  # Slack-style hook URLs are the secret; this one may hold one
    preset: Preset = "json"
    secret: bytes = field(default=b"", repr=False)
    timeout_secs: float = 10.0
    ca_file: str = ""
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    room_id: str = ""
    access_token: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class AppriseTransport:
    """Delivery through apprise URLs (Telegram, ntfy, Pushover, SMS gateways, ...).

    Each URL is its own delivery target: one that fails is retried alone, so the others never
    get a message twice.
    """

    urls: tuple[str, ...] = field(repr=False)
    timeout_secs: float = 15.0


Transport = EmailTransport | WebhookTransport | AppriseTransport


@dataclass(frozen=True, slots=True)
class ChannelSettings:
    """One ``[notify.channels.NAME]`` table."""

    name: str
    policy: Policy
    transport: Transport

    @property
    def kind(self) -> str:
        """``email``, ``webhook`` or ``apprise``."""
        if isinstance(self.transport, EmailTransport):
            return "email"
        if isinstance(self.transport, WebhookTransport):
            return "webhook"
        return "apprise"

    @property
    def targets(self) -> int:
        """How many independent delivery targets the channel has (apprise: one per URL)."""
        if isinstance(self.transport, AppriseTransport):
            return len(self.transport.urls)
        return 1


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """The whole ``[notify]`` table. No channel (the default) means no notifications."""

    channels: tuple[ChannelSettings, ...] = ()
    outbox_max_bytes: int = 64 * 1024 * 1024
    fsync: bool = False
    max_age_secs: float = 3 * 86400.0
    retry_initial_secs: float = 5.0
    retry_max_secs: float = 900.0
    sample_max_chars: int = 2000
    places: Mapping[tuple[str, str], tuple[str, int | None]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Where each channel's rule filters were set: ``(channel, key)`` to file and line, for
    the check of their rule ids once the rules are loaded."""

    @property
    def enabled(self) -> bool:
        """True when at least one channel is configured."""
        return bool(self.channels)

    def channel(self, name: str) -> ChannelSettings | None:
        """The channel called ``name``, or None."""
        return next((c for c in self.channels if c.name == name), None)
