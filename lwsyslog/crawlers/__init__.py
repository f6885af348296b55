"""Crawler verification: a User-Agent claiming Googlebot, Bingbot... from an address that is
not the crawler's raises ``bad-bot-fake-crawler`` (docs/crawlers.md).

- :mod:`.catalog`: the crawlers (``[crawlers.catalog.ID]``) and which User-Agents claim them;
- :mod:`.verdict`: what a lookup says about a claim;
- :mod:`.lookups`: forward-confirmed reverse DNS in a background thread (dnspython);
- :mod:`.cache`: lookups remembered per address (IPv6: per /64), bounded in entries and bytes;
- :mod:`.watch`: the per-line entry point and the alerts;
- :mod:`.settings_parse`: the ``[crawlers]`` table into :class:`~lwsyslog.settings.CrawlerSettings`.

The pipeline builds its watch with :func:`lwsyslog.crawlers.watch.crawler_watch` (None when
verification is off: no thread, no lookup).
"""

from __future__ import annotations

from lwsyslog.detection.interface import RuleInfo
from lwsyslog.settings import CrawlerSettings

__all__ = ["DESCRIPTION", "FAKE_CRAWLER", "crawler_rule_info"]

#: The rule id of the alert (category bad-bot).
FAKE_CRAWLER = "bad-bot-fake-crawler"
#: What the alert's message starts with.
DESCRIPTION = "crawler User-Agent from an address that is not the crawler's"


def crawler_rule_info(settings: CrawlerSettings) -> RuleInfo:
    """``bad-bot-fake-crawler`` as ``lwsyslog rules`` lists it (enabled when ``[crawlers]``
    verifies; its severity is ``[crawlers] severity``)."""
    state = f"resolver {settings.resolver}" if settings.active else "[crawlers] verify is off"
    return RuleInfo(
        id=FAKE_CRAWLER,
        kind="event",
        severity=settings.severity,
        categories=("bad-bot",),
        description=f"{DESCRIPTION} (forward-confirmed reverse DNS; {state})",
        logs=frozenset({"access"}),
        enabled=settings.active,
    )
