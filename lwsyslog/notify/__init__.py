"""Notifications: alerts to people by e-mail, webhooks and apprise, through a durable outbox.

The program builds a :class:`Notifier` from :class:`NotifySettings` (parsed from the
``[notify]`` table by :func:`parse_notify_settings`) and calls :meth:`Notifier.submit` with
each batch of alerts, which appends them to the program's inbox file; a sender process the
notifier starts groups, delivers and retries. The daily report goes out through
:func:`send_report`. See docs/notifications.md.


Modules: :mod:`.notifier` (``Notifier``), :mod:`.settings` and :mod:`.settings_parse` (the
table), :mod:`.email_send` (``send_report``), :mod:`.outbox` (``outbox_path``). The package
imports nothing itself: the settings types are read by the configuration, which the rest of
the package depends on.
"""
