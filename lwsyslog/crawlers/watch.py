"""Crawler claims in, ``bad-bot-fake-crawler`` alerts out, without waiting on DNS.

The pipeline hands every access event to :meth:`CrawlerWatch.observe`. For a User-Agent that
claims no crawler that is one dict lookup. A claim is kept under its client's key, as the
thresholds count clients (:func:`lwsyslog.thresholds.keys.client_key`): an IPv4 address is its
own key, an IPv6 address's key is its /64. For a claim:

- the key's verdict is cached: judged at once (a fake is reported once per lookup);
- its check is pending: the line is counted towards that check;
- otherwise the key is remembered with its first line (the alert's sample; at most
  ``max_pending`` keys wait) and that line's address is handed to the background
  :class:`LookupWorker`.

So a /64 has at most one check pending, and the verdict on the address checked stands for the
whole /64 until it expires, a fake one as a verified one. That is sound because a /64 is one
site's subnet (one link: RFC 4291 fixes the host part at 64 bits, and sites are assigned /48
to /56): the crawlers that publish IPv6 ranges publish whole /64s or wider, so no address of a
real crawler's /64 is an attacker's. Per address, one /64 could fill the pending table with
2**64 addresses and starve every other client's check (and raise an alert per address).

An IPv4-mapped address (``::ffff:66.249.66.1``) and one of the NAT64 prefix ``64:ff9b::/96``
(which embeds any IPv4 address in one /64) are the IPv4 address they carry: checked as it
(reverse name under in-addr.arpa, forward A record) and kept under it. The local-use NAT64
prefix ``64:ff9b:1::/48`` and scoped addresses stay their own keys (and host names).

Between lines the owner calls :meth:`CrawlerWatch.collect` (the omprog program at each tick,
the scan after each chunk and, bounded by ``scan_wait_secs``, at the end): the outcomes that
arrived go into the cache and a fake claim becomes an alert, which the pipeline delivers
like any other (storm control, replay guard, sinks).
"""

from __future__ import annotations

import ipaddress
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lwsyslog.alerts import Alert
from lwsyslog.crawlers import DESCRIPTION, FAKE_CRAWLER
from lwsyslog.crawlers.cache import CacheEntry, ResolutionCache
from lwsyslog.crawlers.catalog import UNSEEN, Address, Catalog, Crawler, checked_address
from lwsyslog.crawlers.verdict import Lookup, Outcome, Verdict, judge
from lwsyslog.events import AccessEvent, Origin
from lwsyslog.sanitize import truncate
from lwsyslog.settings import AllowList, CrawlerSettings
from lwsyslog.thresholds.keys import IPV6_PREFIX_LEN, client_key

if TYPE_CHECKING:
    from lwsyslog.crawlers.lookups import Results

__all__ = ["SAMPLE_CHARS", "CrawlerWatch", "crawler_watch", "verdict_key"]

#: The first line of a pending address is kept up to this many characters.
SAMPLE_CHARS = 2048
_CATEGORIES = ("bad-bot",)
_SETTLE_POLL_SECS = 0.02
_PREFIX_SUFFIX = f"/{IPV6_PREFIX_LEN}"
#: The NAT64 well-known prefixes (64:ff9b::/96, 64:ff9b:1::/48): one /64 holds every IPv4
#: address translated, so it is no one site.
_NAT64_START = "64:ff9b:"


def crawler_watch(settings: CrawlerSettings, allow: AllowList | None = None) -> CrawlerWatch | None:
    """The watch ``settings`` ask for (its lookup thread started), or None when off."""
    if not settings.active:
        return None
    return CrawlerWatch(settings, allow)


@dataclass(slots=True)
class _Pending:
    """A key whose check is running: what its first line claimed, from which client and
    address (the one checked), that line, and where the last line that claimed meanwhile
    was."""

    crawler: Crawler
    client: str
    address: Address
    origin: Origin
    time: float | None
    sample: str
    lines: int = 1
    last: Origin | None = None
    last_time: float | None = None


class CrawlerWatch:
    """Crawler verification per client key for one pipeline (see the module docstring)."""

    def __init__(
        self,
        settings: CrawlerSettings,
        allow: AllowList | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.catalog = Catalog(settings.catalog)
        self.cache = ResolutionCache(settings.max_cache_entries, settings.max_cache_bytes)
        self._allow = allow if allow else None
        self._clock = clock
        self._pending: dict[str, _Pending] = {}
        self._results: Results = deque()
        self._alerts: list[Alert] = []
        self._memory_get = self.catalog.memory_get
        self._claimed = self.catalog.claimed
        self.claims = 0
        self.verified = 0
        self.fake = 0
        self.unresolved = 0
        #: Why the last check without an answer got none (timeout, SERVFAIL...).
        self.last_unresolved = ""
        self.dropped = 0
        self.skipped = 0
        self.allowed = 0
        self.raised = 0
        # dnspython and asyncio (~40 ms to import) load only where verification is on.
        from lwsyslog.crawlers.lookups import LookupWorker, make_resolver  # noqa: PLC0415

        self._worker = LookupWorker(
            make_resolver(settings.resolver, settings.timeout_secs),
            self.catalog.wanted,
            self._results,
            max_lookups_per_sec=settings.max_lookups_per_sec,
            max_in_flight=settings.max_in_flight,
        )

    # --- per line ---------------------------------------------------------------------------

    def observe(self, event: AccessEvent) -> None:
        """Note one access event (the per-line call: a dict lookup unless it claims a
        crawler)."""
        crawler = self._memory_get(event.user_agent, UNSEEN)
        if crawler is None:
            return
        if crawler is UNSEEN:
            crawler = self._claimed(event.user_agent)
            if crawler is None:
                return
        self._claim(crawler, event)  # type: ignore[arg-type]

    def is_verified(self, event: AccessEvent) -> bool:
        """Whether ``event``'s client is the crawler its User-Agent claims, by a verdict
        already cached (never waits, never starts a check: :meth:`observe` does that). A
        claim not judged yet, undetermined or fake is not verified."""
        crawler = self._claimed(event.user_agent)  # remembered: one dict lookup
        if crawler is None:
            return False
        entry = self.cache.get(verdict_key(event.client_ip), self._clock())
        return entry is not None and entry.judged.get(crawler.name) is Verdict.VERIFIED

    def _claim(self, crawler: Crawler, event: AccessEvent) -> None:
        self.claims += 1
        client = event.client_ip
        if self._allow is not None and self._allow.allows(client, event.path, event.user_agent):
            self.allowed += 1
            return
        key = verdict_key(client)
        now = self._clock()
        entry = self.cache.get(key, now)
        if entry is not None:
            if crawler.name in entry.judged:
                return  # judged (and a fake reported) already: the common case
            if entry.lookup.outcome is not Outcome.NOT_ASKED or not crawler.domains:
                self._judge(crawler, key, entry, event)
                return
        pending = self._pending.get(key)
        if pending is not None:
            pending.lines += 1
            pending.last = event.origin
            pending.last_time = event.time
            return
        self._start(crawler, key, event, now)

    def _start(self, crawler: Crawler, key: str, event: AccessEvent, now: float) -> None:
        """Judge a key with no verdict and no check pending: at once when its address is not
        to be checked or the published ranges decide, else by a check (room permitting)."""
        settings = self.settings
        full = len(self._pending) >= settings.max_pending
        if full and not crawler.networks:
            self.dropped += 1  # before parsing: a flood of new addresses stays cheap
            return
        address = _address(event.client_ip)
        if address is None or not (settings.verify_private or address.is_global):
            self.skipped += 1
            self.cache.put(key, address, Lookup(Outcome.SKIPPED), now + settings.cache_ttl_secs)
            return
        if crawler.disguised or not crawler.domains or crawler.owns_address(address):
            # Decided by the claim or the published ranges alone: no DNS.
            entry = self.cache.put(
                key, address, Lookup(Outcome.NOT_ASKED), now + settings.negative_ttl_secs
            )
            self._count(self._judge(crawler, key, entry, event))
            return
        if full:
            self.dropped += 1
            return
        self._pending[key] = _Pending(
            crawler,
            event.client_ip,
            address,
            event.origin,
            event.time,
            truncate(event.raw, SAMPLE_CHARS),
        )
        self._worker.submit(key, address)

    def _judge(self, crawler: Crawler, key: str, entry: CacheEntry, event: AccessEvent) -> Verdict:
        verdict, reason = judge(crawler, entry.address, entry.lookup)
        entry.judged[crawler.name] = verdict
        if verdict is Verdict.FAKE:
            sample = truncate(event.raw, SAMPLE_CHARS)
            self._raise(
                crawler,
                key,
                event.client_ip,
                reason,
                origin=event.origin,
                when=event.time,
                sample=sample,
                lines=1,
            )
        return verdict

    # --- between lines ----------------------------------------------------------------------

    def collect(self) -> list[Alert]:
        """The alerts of the verdicts that arrived since the last call (never waits)."""
        results = self._results
        if results:
            now = self._clock()
            while results:
                key, lookup = results.popleft()
                pending = self._pending.pop(key, None)
                if pending is not None:
                    self._arrived(key, pending, lookup, now)
        if not self._alerts:
            return []
        alerts, self._alerts = self._alerts, []
        return alerts

    def _arrived(self, key: str, pending: _Pending, lookup: Lookup, now: float) -> None:
        """Cache the check of ``key`` that came back, and judge the claim that asked for it."""
        settings = self.settings
        if lookup.outcome is Outcome.UNRESOLVED:
            ttl = settings.retry_secs
            self.last_unresolved = lookup.detail
        elif lookup.confirmed:
            ttl = settings.cache_ttl_secs
        else:
            ttl = settings.negative_ttl_secs
        entry = self.cache.put(key, pending.address, lookup, now + ttl)
        crawler = pending.crawler
        verdict, reason = judge(crawler, pending.address, lookup)
        entry.judged[crawler.name] = verdict
        self._count(verdict)
        if verdict is Verdict.FAKE:
            self._raise(
                crawler,
                key,
                pending.client,
                reason,
                origin=pending.origin,
                when=pending.time,
                sample=pending.sample,
                lines=pending.lines,
                last=pending.last,
                last_time=pending.last_time,
            )

    def settle(self, wait_secs: float) -> list[Alert]:
        """:meth:`collect`, waiting up to ``wait_secs`` (real time) for the pending checks
        (the end of a scan). Checks still pending then are left undone."""
        alerts = self.collect()
        deadline = time.monotonic() + wait_secs
        while self._pending and time.monotonic() < deadline:
            time.sleep(_SETTLE_POLL_SECS)
            alerts.extend(self.collect())
        return alerts

    @property
    def pending(self) -> int:
        """Keys (IPv4 addresses, IPv6 /64s) whose check has not come back yet."""
        return len(self._pending)

    def close(self) -> None:
        """Stop the lookups without waiting for DNS (pending checks are dropped)."""
        self._worker.close()

    def stats_fields(self) -> dict[str, int]:
        """Counters since start, by the names the stats line shows them under."""
        cache = self.cache
        return {
            "crawler_claims": self.claims,
            "crawler_lookups": self._worker.started,
            "crawler_verified": self.verified,
            "crawler_fake": self.fake,
            "crawler_unresolved": self.unresolved,
            "crawler_pending": len(self._pending),
            "crawler_dropped": self.dropped,
            "crawler_skipped": self.skipped,
            "crawler_alerts": self.raised,
            "crawler_cache_entries": len(cache),
            "crawler_cache_bytes": cache.bytes,
            "crawler_cache_evictions": cache.evictions,
        }

    # --- alerts -----------------------------------------------------------------------------

    def _count(self, verdict: Verdict) -> None:
        if verdict is Verdict.VERIFIED:
            self.verified += 1
        elif verdict is Verdict.FAKE:
            self.fake += 1
        else:
            self.unresolved += 1

    def _raise(
        self,
        crawler: Crawler,
        key: str,
        client: str,
        reason: str,
        *,
        origin: Origin,
        when: float | None,
        sample: str,
        lines: int,
        last: Origin | None = None,
        last_time: float | None = None,
    ) -> None:
        self.raised += 1
        more = f" ({lines} lines while it was checked)" if lines > 1 else ""
        self._alerts.append(
            Alert(
                rule=FAKE_CRAWLER,
                key=key,
                client_ip=client,
                categories=_CATEGORIES,
                severity=self.settings.severity,
                count=lines,
                window_secs=0.0,
                first=origin,
                last=last or origin,
                first_time=when,
                last_time=when if last is None else last_time,
                message=f"{DESCRIPTION}: {key} claims to be {crawler.name}, but {reason}{more}",
                sample=sample,
                log="access",
                rules=(FAKE_CRAWLER,),
            )
        )


def verdict_key(client: str) -> str:
    """The key ``client``'s verdict and check are kept under: the /64 of an IPv6 address (as
    :func:`~lwsyslog.thresholds.keys.client_key` counts it), the IPv4 address an IPv4-mapped
    or ``64:ff9b::/96`` address carries, else ``client`` as written (an IPv4 address, a host
    name, an IPv6 address with a scope, one of ``64:ff9b:1::/48``)."""
    if ":" not in client or "%" in client:
        return client
    key = client_key(client)
    if ":" not in key:
        return key  # IPv4-mapped: client_key gave the IPv4 address
    if not key.startswith(_NAT64_START):
        return key if key.endswith(_PREFIX_SUFFIX) else client
    address = _address(client)
    return client if address is None or address.version == 6 else str(address)


def _address(text: str) -> Address | None:
    """The address to check for the client ``text`` (an IPv4-mapped or NAT64 one: the IPv4
    address it carries), or None for a name or an IPv6 address with a scope (``%zone``: free
    text after the ``%``, and no reverse zone to ask)."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None:
        return None
    return checked_address(address)
