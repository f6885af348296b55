"""Everything else through apprise: Telegram, ntfy, Pushover, Signal, SMS gateways, ...

apprise knows 100+ services; lwsyslog gives it a title and a plain-text body (log content
already sanitized, links defanged and mentions broken, see :mod:`lwsyslog.notify.escape`)
with ``body_format=text`` so apprise escapes it for services that read HTML or Markdown.
Each URL is its own target, sent alone, so a failing one is retried without sending the
others a duplicate. apprise keeps nothing on disk here (memory store) and its log goes to the
``apprise`` logger, not to the program's stderr.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from lwsyslog.notify.delivery import DeliveryError
from lwsyslog.notify.digest import Digest
from lwsyslog.notify.render import body_text, title
from lwsyslog.notify.settings import AppriseTransport

__all__ = ["AppriseTransporter", "import_apprise"]

_TYPES = {"critical": "failure", "high": "warning", "medium": "warning"}


def import_apprise() -> Any:
    """The apprise module, imported on first use (it is heavy: only with an apprise channel).

    Its plugins (loaded on first use, forced here) import the deprecated ``imghdr`` module,
    which warns on Python 3.11/3.12; the warning is apprise's to fix, and would otherwise turn
    into an error under ``-W error``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import apprise  # noqa: PLC0415

        apprise.Apprise.instantiate("json://localhost")

    logging.getLogger("apprise").addHandler(logging.NullHandler())
    logging.getLogger("apprise").propagate = False
    return apprise


class AppriseTransporter:
    """Sends the digests of one apprise channel, one URL per target."""

    def __init__(self, transport: AppriseTransport) -> None:
        apprise = import_apprise()
        self.transport = transport
        asset = apprise.AppriseAsset(storage_mode="memory")
        self._targets: list[Any] = []
        for url in transport.urls:
            target = apprise.Apprise(asset=asset)
            target.add(url)
            self._targets.append(target)
        self._text = apprise.NotifyFormat.TEXT

    def send(self, digest: Digest, target: int) -> str | None:
        """Notify the ``target``-th URL; success only when apprise reports success."""
        if not 0 <= target < len(self._targets):
            raise DeliveryError(f"no apprise URL number {target + 1} (the channel changed)")
        result = self._targets[target].notify(
            body=body_text(digest),
            title="lwsyslog: " + title(digest),
            notify_type=_TYPES.get(digest["severity"], "info"),
            body_format=self._text,
            timeout=self.transport.timeout_secs,
        )
        if not result:
            status = getattr(getattr(result, "status", None), "name", "FAILURE")
            raise DeliveryError(f"apprise URL {target + 1} reported {status.lower()}")
        return None
