"""The crawlers a User-Agent may claim to be, and which addresses and names are theirs.

Built from ``[crawlers.catalog.ID]`` (the shipped ``data/crawlers.toml`` plus the user's
tables). :meth:`Catalog.claimed` is on the per-line path: one dict lookup for a User-Agent
seen before; for a new one, one combined search (RE2: linear in its length whatever the
patterns), and only when it finds a claim the crawlers' own searches in catalog order; the
answer is remembered in a bounded table. Everything else here runs once per verdict.

A claim is read in the User-Agent without its invisible characters (:func:`visible`):
``Google\u200bbot`` shows as, and to a filter that drops format characters is, ``Googlebot``.
The combined search also looks for those characters, so a User-Agent without them (every
ASCII one) costs that one search still; only one that holds some is copied without them.

A claim in look-alike letters (``\uff27\uff4f\uff4f\uff47\uff4c\uff45bot``, mathematical
letters, a Cyrillic ``\u043e`` in ``G\u043e\u043eglebot``) reads as the crawler to a human and
to no exact-match filter: a User-Agent not in ASCII is also read :func:`folded`, and a claim
found only there is a :attr:`Crawler.disguised` one, fake without a lookup (no crawler writes
its own name in other letters: such a User-Agent is made to mislead whoever reads it).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache

from lwsyslog.bounded import drop_oldest
from lwsyslog.matching.linear import Search, linear_search
from lwsyslog.settings import CrawlerSpec

__all__ = [
    "INVISIBLE",
    "UNSEEN",
    "Address",
    "Catalog",
    "Crawler",
    "checked_address",
    "folded",
    "under",
    "visible",
]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: User-Agents remembered with their claim; the oldest remembered goes first when full.
_UA_MEMORY = 4096
#: Longer User-Agents are matched every time instead of remembered (bounds the memory).
_UA_MEMORY_MAX_CHARS = 512
#: What :attr:`Catalog.memory_get` gives for a User-Agent not seen yet.
UNSEEN = object()
#: The characters a claim is read without: every format character (Unicode category Cf:
#: soft hyphen, zero-width space and joiners, word joiner, byte-order mark, bidirectional
#: controls, tags...) and the other default-ignorable code points (combining grapheme joiner,
#: Hangul fillers, variation selectors...), which show as nothing.
#: tests/unit/test_crawlers_claims.py checks every Cf character of the running Python.
_INVISIBLE_BMP = (
    "\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160"
    "\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164"
    "\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb"
)
_INVISIBLE_ASTRAL = (
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
INVISIBLE = f"[{_INVISIBLE_BMP}{_INVISIBLE_ASTRAL}]"
#: Runs of invisible characters removed one by one, at most (see :func:`visible`).
_MAX_INVISIBLE_RUNS = 64
#: Characters of a User-Agent read by :func:`folded` (NFKC copies; a claim in look-alike
#: letters further in is not read).
_FOLDED_CHARS = 2048
# Cyrillic and Greek letters drawn as Latin ones (Unicode's confusables for the letters of
# crawler tokens), which NFKC leaves as they are; and the Latin script g and dotless i.
_LOOKALIKES = str.maketrans(
    "\u0430\u0441\u0435\u043e\u0440\u0445\u0443\u0456\u0458\u0455\u0501\u04bb\u051b\u051d\u04cf"
    "\u0410\u0412\u0421\u0415\u041d\u0406\u0408\u041a\u041c\u041e\u0420\u0405\u0422\u0425\u0423\u04ae"
    "\u03bf\u03b1\u03bd\u03b9\u03ba\u03c1\u03c4\u03c5"
    "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7"
    "\u0261\u0131",
    # The Latin letters of those five lines, in order.
    "aceopxyijsdhqwl" + "ABCEHIJKMOPSTXYY" + "oavikptu" + "ABEZHIKMNOPTYX" + "gi",
)
#: NAT64's well-known prefix (RFC 6052): its addresses carry an IPv4 address in their last
#: 32 bits. (The local-use 64:ff9b:1::/48 may embed it elsewhere: those are not decoded.)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True, slots=True)
class Crawler:
    """One catalog crawler, ready to judge addresses."""

    name: str
    domains: tuple[str, ...]
    networks: tuple[Network, ...]
    #: Claimed in look-alike letters only (:func:`folded`): fake wherever it comes from.
    disguised: bool = False

    def owns_name(self, name: str) -> bool:
        """True when the DNS ``name`` is one of the crawler's domains or under one."""
        return under(name, self.domains)

    def owns_address(self, address: Address) -> bool:
        """True when ``address`` is in one of the crawler's published ranges."""
        return any(address in network for network in self.networks)


def visible(text: str, *, found: str = "") -> str:
    """``text`` without its :data:`INVISIBLE` characters (``text`` itself when it has none).

    Linear: one RE2 search, and for text that has some, one pass of ``re`` over a character
    class (no backtracking) that stops at the 64th run of them: text with that many is read
    without any non-ASCII character. ``found``: what a search of ``text`` that looks for them
    too found first; when that is one of them, the RE2 search is not needed."""
    if text.isascii():
        return text
    search, one, bmp_runs, astral_runs = _invisible()
    if (len(found) != 1 or one.match(found) is None) and search(text) is None:
        return text
    shown, removed = bmp_runs.subn("", text, count=_MAX_INVISIBLE_RUNS)
    if removed < _MAX_INVISIBLE_RUNS and _has_astral(shown):
        shown, more = astral_runs.subn("", shown, count=_MAX_INVISIBLE_RUNS - removed)
        removed += more
    if removed < _MAX_INVISIBLE_RUNS:
        return shown
    # No browser sends this many; removing each run costs ``re`` a restart, so read it
    # without any non-ASCII character (a superset, removed at C speed) instead.
    return text.encode("ascii", "ignore").decode("ascii")


def folded(text: str) -> str:
    """``text`` (its first 2,048 characters) as a human reads it: NFKC (fullwidth and
    mathematical letters, ligatures) and Cyrillic and Greek letters drawn as Latin ones
    as those. Linear: one normalisation and one translation."""
    return unicodedata.normalize("NFKC", text[:_FOLDED_CHARS]).translate(_LOOKALIKES)


def _has_astral(text: str) -> bool:
    # A character past U+FFFF takes two UTF-16 units: this encoding is a copy at C speed.
    return len(text.encode("utf-16-le", "surrogatepass")) > 2 * len(text)


@cache
def _invisible() -> tuple[Search, re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    # Compiled at the first use, not at import: every command imports this module. ``re``
    # tests a class of BMP characters against one bitmap, but one with astral ranges range by
    # range (twice as slow): the astral ones are removed apart, from text that has any.
    return (
        linear_search(re.compile(INVISIBLE)).search,
        re.compile(INVISIBLE),
        re.compile(f"[{_INVISIBLE_BMP}]+"),
        re.compile(f"[{_INVISIBLE_ASTRAL}]+"),
    )


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
        #: Each crawler as claimed in look-alike letters only (same order).
        self.disguised = tuple(replace(crawler, disguised=True) for crawler in self.crawlers)
        self.domains = tuple(dict.fromkeys(d for c in self.crawlers for d in c.domains))
        # Linear in the User-Agent whatever a user's pattern (RE2; re only for a pattern RE2
        # cannot compile): the User-Agent is the attacker's, up to a whole line long.
        self._searches = [
            linear_search(re.compile(spec.user_agent, re.IGNORECASE)).search for spec in specs
        ]
        try:
            # One search says whether any crawler may be claimed (most User-Agents: none): it
            # finds a claim, or an invisible character that could hide one.
            either = [f"(?:{spec.user_agent})" for spec in specs] + [INVISIBLE]
            self._any: Callable[[str], str | None] | None = linear_search(
                re.compile("|".join(either), re.IGNORECASE)
            ).search
        except re.error:  # user patterns that reuse a group name: search them in turn
            self._any = None
        self._memory: OrderedDict[str, Crawler | None] = OrderedDict()
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
            drop_oldest(memory, _UA_MEMORY - 1)  # room for this one
            memory[user_agent] = crawler
        return crawler

    def _search(self, user_agent: str) -> Crawler | None:
        find = self._any
        found = "" if find is None else find(user_agent)
        if found is None and user_agent.isascii():
            return None  # most User-Agents: one search
        shown = visible(user_agent, found=found or "")
        if shown is user_agent:
            candidate = found is not None
        else:
            candidate = find is None or find(shown) is not None
        if candidate:
            index = self._first(shown)
            if index is not None:
                return self.crawlers[index]
        if shown.isascii():
            return None
        lookalike = folded(shown)
        if find is not None and find(lookalike) is None:
            return None
        index = self._first(lookalike)
        return None if index is None else self.disguised[index]

    def _first(self, user_agent: str) -> int | None:
        """The place of the first crawler ``user_agent`` claims, if any."""
        for index, search in enumerate(self._searches):
            if search(user_agent) is not None:
                return index
        return None

    def wanted(self, name: str) -> bool:
        """True when a reverse DNS ``name`` is under some crawler's domain: only those are
        worth a forward lookup."""
        return under(name, self.domains)
