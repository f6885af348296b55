"""The missing-page windows: forced browsing is many *distinct* missing pages, mostly not static
assets, from a client whose answers are mostly errors.

A browser re-requesting a missing favicon or stylesheet, or many users behind one address
(NAT, a corporate proxy) each hitting a broken link now and then, is not a scanner. So a 404
for a static asset (:func:`is_static_asset`) is not a probe; a path the window already holds
is not counted again (the engine keeps a 64-bit digest of each, at most ``count`` per client);
and a full window crosses only when at least ``min_error_ratio`` of the client's answers in
it were errors (status >= 400). Answers are tallied (:class:`~.tallies.Tallies`, a few
hundred bytes per client) only for clients that already sent a probe, so a site's ordinary
traffic costs one dictionary look-up a line.

Two kinds of clients ask for many distinct missing pages without probing:

- a page's own objects addressed by id (a media library's posters
  ``/Items/<32 hex>/Images/Primary``, avatars ``/avatar/<md5>``): a path segment of 16 or more
  hex digits (a hash, a UUID) is counted as one value, so a library view's 40 missing posters
  are one missing path, while a wordlist's names stay distinct (:func:`probed_path`);
- a search engine's crawler after a site moved, revisiting hundreds of old URLs: a 404 to a
  client whose User-Agent claims a known crawler (:func:`claims_crawler`) is not counted when
  ``[crawlers]`` verification has already found the claim genuine (forward-confirmed reverse
  DNS or published ranges: :attr:`MissingPaths.verified`, a cached verdict, never a wait) and
  the 404 carries no finding. Anyone can write ``Googlebot`` in a User-Agent, so with
  verification off, or before the verdict arrives, or when it is not "verified", the 404
  counts like any other: a real crawler's old URLs may then raise ``scan-distinct-404``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Final

from lwsyslog.events import AccessEvent
from lwsyslog.findings import Finding
from lwsyslog.matching.linear import Regex, linear_search
from lwsyslog.observation import Observation
from lwsyslog.settings import ThresholdSettings
from lwsyslog.shares import owner_syncing
from lwsyslog.thresholds.keys import MAX_CLIENT_CHARS, client_key
from lwsyslog.thresholds.rules import (
    STATIC_NAMES,
    STATIC_SUFFIXES,
    ThresholdRule,
    WindowKey,
    is_static_asset,
)
from lwsyslog.thresholds.tallies import Tallies, ring_size, tally_bytes
from lwsyslog.thresholds.windows import OriginTable

__all__ = [
    "STATIC_NAMES",
    "STATIC_SUFFIXES",
    "CrawlerCheck",
    "MissingPaths",
    "ProbeAnswers",
    "Scan404Burst",
    "ScanDistinct404",
    "claims_crawler",
    "is_static_asset",
    "probed_path",
]

_SUCCESS: Final = 0
_ERROR: Final = 1
_tuple_new: Final = tuple.__new__

#: A segment of at least this many hex digits (hyphens aside) is an object's id.
_ID_DIGITS: Final = 16
_ID_CHARS: Final = frozenset("0123456789abcdefABCDEF-")
#: Crawlers that revisit a site's old links by the hundred: search engines and SEO crawlers.
_CRAWLER: Final = linear_search(
    Regex(
        r"googlebot|google-inspectiontool|googleother|storebot-google|adsbot-google|bingbot"
        r"|msnbot|bingpreview|applebot|yandex[a-z]*bot|baiduspider|duckduckbot|yahoo! slurp"
        r"|seznambot|petalbot|amazonbot|ahrefsbot|ahrefssiteaudit|semrushbot|siteauditbot"
        r"|mj12bot|dotbot|rogerbot|blexbot|barkrowler|dataforseobot|serpstatbot|mojeekbot"
        r"|qwantbot|coccocbot|sogou web spider|yisouspider|ccbot|gptbot|claudebot|bytespider",
        re.IGNORECASE,
    )
).search


def probed_path(path: str) -> str:
    """``path`` with each segment that is an object id (16 or more hex digits, hyphens aside:
    a hash, a UUID) written ``*``: the value the missing-page windows count distinct."""
    if len(path) <= _ID_DIGITS:
        return path
    segments = path.split("/")
    for index, segment in enumerate(segments):
        if (
            len(segment) >= _ID_DIGITS
            and _ID_CHARS.issuperset(segment)
            and len(segment) - segment.count("-") >= _ID_DIGITS
        ):
            segments[index] = "*"
    return "/".join(segments)


def claims_crawler(user_agent: str) -> bool:
    """Whether ``user_agent`` names a search engine's or SEO crawler (not verified here)."""
    return _CRAWLER(user_agent) is not None


#: Whether an event's client is verified as the crawler its User-Agent claims (a cached
#: verdict of the crawler verification; never waits).
CrawlerCheck = Callable[[AccessEvent], bool]


def _is_probe(
    event: AccessEvent, findings: Sequence[Finding], verified: CrawlerCheck | None
) -> bool:
    """A 404 the missing-page windows count: not a static asset, not a signed-in WebDAV
    client looking through its own folders (:func:`~lwsyslog.shares.owner_syncing`: Finder
    asks for ``.DS_Store`` and ``._name`` in each), and not from a crawler verified as the
    one it claims to be unless it carries a finding (module doc)."""
    if event.status != 404 or is_static_asset(event.path) or owner_syncing(event):
        return False
    if findings or verified is None:
        return True
    return not (claims_crawler(event.user_agent) and verified(event))


class ProbeAnswers:
    """The answers (success or error) of clients that sent a probe, tallied for every
    missing-page rule at once: one call a line, whatever the number of such rules.

    A probe (a 404 for a path that is not a static asset) opens the client for the longest
    window of those rules; answers after that are not counted, so a client that probed once,
    long ago, costs nothing per line.
    """

    def __init__(self, windows: Sequence[float], capacity: int) -> None:
        self.open_secs = max(windows)
        self.tallies = Tallies(min(windows), capacity, kinds=2, longest_secs=self.open_secs)
        self._held = self.tallies.held
        #: The last probe :meth:`see` tallied and the window key it counts toward: each
        #: missing-page rule asks for the same key of the same line (a fifth of the lines of a
        #: site with many broken links), so it is made once.
        self.probe: AccessEvent | None = None
        self.probe_keys: tuple[WindowKey, ...] = ()
        #: The crawler verification's verdict (None: off, every claim counts).
        self.verified: CrawlerCheck | None = None

    @staticmethod
    def record_bytes(windows: Sequence[float]) -> int:
        """Bytes one client costs in the tallies of rules with these windows."""
        return tally_bytes(2, ring_size(min(windows), max(windows)))

    def see(self, event: AccessEvent, now: float, findings: Sequence[Finding] = ()) -> None:
        """Tally one access event's answer (opening its client on a probe; ``findings``: the
        rules' findings on it)."""
        client = event.client_ip
        status = event.status
        if not client or status is None:
            return
        # client_key() of an IPv4 address (most clients) is the address itself.
        key = client_key(client) if ":" in client or len(client) > MAX_CLIENT_CHARS else client
        tallies = self.tallies
        if status == 404 and _is_probe(event, findings, self.verified):
            tallies.open_and_add(key, now, now + self.open_secs, _ERROR)
            self.probe = event
            # WindowKey(key, distinct=path, client_ip=client), made as a plain tuple is (a
            # NamedTuple's own constructor is a Python function).
            path = probed_path(event.path)
            self.probe_keys = (_tuple_new(WindowKey, (key, "", (), path, 0, client, "")),)
            return
        if hash(key) not in self._held:
            return  # the usual line: a client that sent no probe
        tallies.add(key, now, _ERROR if status >= 400 else _SUCCESS)

    def errors_and_total(self, key: str, start: float) -> tuple[int, int]:
        """The errors and all answers of ``key`` since ``start``."""
        successes, errors = self.tallies.since(key, start)
        return errors, successes + errors


class MissingPaths(ThresholdRule):
    """Distinct missing non-asset paths from one client, with a share of errors."""

    categories = ("scanner",)
    standard_statuses = frozenset({404})
    counts_distinct = True
    checks_crossing = True

    answers: ProbeAnswers | None = None
    #: The crawler verification's verdict (None: off, every claim counts).
    verified: CrawlerCheck | None = None
    _ratio: float

    def bind(self, settings: ThresholdSettings, max_keys: int, origins: OriginTable) -> None:
        self._ratio = settings.min_error_ratio

    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        event = observation.event
        answers = self.answers
        if answers is not None and answers.probe is event:
            return answers.probe_keys  # the key below, made once for every such rule
        if (
            isinstance(event, AccessEvent)
            and event.client_ip
            and _is_probe(event, observation.findings, self.verified)
        ):
            client = event.client_ip
            path = probed_path(event.path)
            return (WindowKey(client_key(client), distinct=path, client_ip=client),)
        return ()

    def accepts(self, key: WindowKey, first_time: float, now: float) -> bool:
        if self._ratio <= 0 or self.answers is None:
            return True
        errors, total = self.answers.errors_and_total(key.shown, first_time)
        return total == 0 or errors >= self._ratio * total


class Scan404Burst(MissingPaths):
    """Many distinct missing pages (not static assets) from one client within a minute,
    most of its requests failing: forced browsing or a scanner."""

    id = "scan-404-burst"
    description = "burst of 404 Not Found (forced browsing)"


class ScanDistinct404(MissingPaths):
    """The same evidence over a longer window by default: a slower wordlist run."""

    id = "scan-distinct-404"
    description = "many distinct missing paths (forced browsing)"
