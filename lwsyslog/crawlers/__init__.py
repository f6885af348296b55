"""Crawler verification: a User-Agent claiming Googlebot, Bingbot... from an address that is
not the crawler's raises ``bad-bot-fake-crawler`` (docs/crawlers.md).

- :mod:`.catalog`: the crawlers (``[crawlers.catalog.ID]``) and which User-Agents claim them;
- :mod:`.verdict`: what a lookup says about a claim;
- :mod:`.lookups`: forward-confirmed reverse DNS in a background thread (dnspython);
- :mod:`.cache`: lookups remembered per address, bounded in entries and bytes;
- :mod:`.watch`: the per-line entry point and the alerts;
- :mod:`.settings_parse`: the ``[crawlers]`` table into :class:`~lwsyslog.settings.CrawlerSettings`.

Importing this package is cheap: dnspython is loaded only when verification is on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lwsyslog.settings import AllowList, CrawlerSettings

if TYPE_CHECKING:
    from lwsyslog.crawlers.watch import CrawlerWatch

__all__ = ["DESCRIPTION", "FAKE_CRAWLER", "crawler_watch"]

#: The rule id of the alert (category bad-bot).
FAKE_CRAWLER = "bad-bot-fake-crawler"
#: What the alert's message starts with.
DESCRIPTION = "crawler User-Agent from an address that is not the crawler's"


def crawler_watch(settings: CrawlerSettings, allow: AllowList | None = None) -> CrawlerWatch | None:
    """The watch ``settings`` ask for (its lookup thread started), or None when off."""
    if not settings.active:
        return None
    from lwsyslog.crawlers.watch import CrawlerWatch  # noqa: PLC0415  (loads dnspython)

    return CrawlerWatch(settings, allow)
