"""The crawlers a User-Agent may claim to be, and which addresses and names are theirs.

Built from ``[crawlers.catalog.ID]`` (the shipped ``data/crawlers.toml`` plus the user's
tables). :meth:`Catalog.claimed` is on the per-line path: one dict lookup for a User-Agent
seen before; for a new one, one combined search (RE2: linear in its length whatever the
patterns), and only when it finds a claim the crawlers' own searches in catalog order; the
answer is remembered in a bounded table. Everything else here runs once per verdict.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from lwsyslog.matching.linear import linear_search
from lwsyslog.settings import CrawlerSpec

__all__ = ["UNSEEN", "Address", "Catalog", "Crawler", "checked_address", "under"]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: User-Agents remembered with their claim; the oldest remembered goes first when full.
_UA_MEMORY = 4096
#: Longer User-Agents are matched every time instead of remembered (bounds the memory).
_UA_MEMORY_MAX_CHARS = 512
#: What :attr:`Catalog.memory_get` gives for a User-Agent not seen yet.
UNSEEN = object()
#: NAT64's well-known prefix (RFC 6052): its addresses carry an IPv4 address in their last
#: 32 bits. (The local-use 64:ff9b:1::/48 may embed it elsewhere: those are not decoded.)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True, slots=True)
class Crawler:
    """One catalog crawler, ready to judge addresses."""

    name: str
    domains: tuple[str, ...]
    networks: tuple[Network, ...]

    def owns_name(self, name: str) -> bool:
        """True when the DNS ``name`` is one of the crawler's domains or under one."""
        return under(name, self.domains)

    def owns_address(self, address: Address) -> bool:
        """True when ``address`` is in one of the crawler's published ranges."""
        return any(address in network for network in self.networks)


def checked_address(address: Address) -> Address:
    """The address whose reverse DNS tells who sent: the IPv4 address an IPv4-mapped
    (``::ffff:66.249.66.1``) or NAT64 (``64:ff9b::4231:4201``) address carries, else
    ``address``. The carried address's PTR is under in-addr.arpa and its name's forward
    record an A record: asked as IPv6 (ip6.arpa, AAAA), a real crawler would look forged."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def under(name: str, domains: Iterable[str]) -> bool:
    """True when ``name`` (lower case, no final dot) is a domain of ``domains`` or below one,
    on a label boundary: ``crawl-1.googlebot.com`` is under ``googlebot.com``,
    ``evilgooglebot.com`` is not."""
    return any(name == domain or name.endswith("." + domain) for domain in domains)


class Catalog:
    """The enabled crawlers and the User-Agent searches that find their claims."""

    def __init__(self, specs: Sequence[CrawlerSpec]) -> None:
        self.crawlers = tuple(
            Crawler(
                spec.name,
                spec.domains,
                tuple(ipaddress.ip_network(net, strict=False) for net in spec.networks),
            )
            for spec in specs
        )
        self.domains = tuple(dict.fromkeys(d for c in self.crawlers for d in c.domains))
        # Linear in the User-Agent whatever a user's pattern (RE2; re only for a pattern RE2
        # cannot compile): the User-Agent is the attacker's, up to a whole line long.
        self._searches = [
            linear_search(re.compile(spec.user_agent, re.IGNORECASE)).search for spec in specs
        ]
        try:
            # One search says whether any crawler is claimed (most User-Agents: none).
            self._any: Callable[[str], str | None] | None = linear_search(
                re.compile("|".join(f"(?:{spec.user_agent})" for spec in specs), re.IGNORECASE)
            ).search
        except re.error:  # user patterns that reuse a group name: search them in turn
            self._any = None
        self._memory: dict[str, Crawler | None] = {}
        #: ``memory_get(user_agent, default)``: the claim of a User-Agent seen before (the
        #: per-line path calls it directly: one dict lookup).
        self.memory_get = self._memory.get

    def claimed(self, user_agent: str) -> Crawler | None:
        """The crawler ``user_agent`` claims to be, or None."""
        found = self._memory.get(user_agent, UNSEEN)
        if found is not UNSEEN:
            return found  # type: ignore[return-value]
        crawler = self._search(user_agent)
        if len(user_agent) <= _UA_MEMORY_MAX_CHARS:
            memory = self._memory
            if len(memory) >= _UA_MEMORY:
                del memory[next(iter(memory))]
            memory[user_agent] = crawler
        return crawler

    def _search(self, user_agent: str) -> Crawler | None:
        if self._any is not None and self._any(user_agent) is None:
            return None
        for crawler, search in zip(self.crawlers, self._searches, strict=True):
            if search(user_agent) is not None:
                return crawler
        return None

    def wanted(self, name: str) -> bool:
        """True when a reverse DNS ``name`` is under some crawler's domain: only those are
        worth a forward lookup."""
        return under(name, self.domains)
