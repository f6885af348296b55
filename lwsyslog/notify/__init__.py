"""Notifications: alerts to people by e-mail, webhooks and apprise, through a durable outbox.

The program builds a :class:`Notifier` from :class:`NotifySettings` (parsed from the
``[notify]`` table by :func:`parse_notify_settings`) and calls :meth:`Notifier.submit` with
each batch of alerts, which appends them to the program's inbox file; a sender process the
notifier starts groups, delivers and retries. The daily report goes out through
:func:`send_report`. See docs/notifications.md.
"""

from lwsyslog.notify.email_send import send_report
from lwsyslog.notify.notifier import Notifier
from lwsyslog.notify.outbox import OutboxError, outbox_path
from lwsyslog.notify.reporter import Reporter, StderrReporter
from lwsyslog.notify.settings import ChannelSettings, NotifySettings
from lwsyslog.notify.settings_parse import check_notify_table, parse_notify_settings
from lwsyslog.notify.stats import NotifyStats
from lwsyslog.notify.webhook import verify_signature

__all__ = [
    "ChannelSettings",
    "Notifier",
    "NotifySettings",
    "NotifyStats",
    "OutboxError",
    "Reporter",
    "StderrReporter",
    "check_notify_table",
    "outbox_path",
    "parse_notify_settings",
    "send_report",
    "verify_signature",
]
