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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from lwsyslog.events import AccessEvent
from lwsyslog.observation import Observation
from lwsyslog.settings import ThresholdSettings
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
    "MissingPaths",
    "ProbeAnswers",
    "Scan404Burst",
    "ScanDistinct404",
    "is_static_asset",
]

_SUCCESS: Final = 0
_ERROR: Final = 1
_tuple_new: Final = tuple.__new__


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

    @staticmethod
    def record_bytes(windows: Sequence[float]) -> int:
        """Bytes one client costs in the tallies of rules with these windows."""
        return tally_bytes(2, ring_size(min(windows), max(windows)))

    def see(self, event: AccessEvent, now: float) -> None:
        """Tally one access event's answer (opening its client on a probe)."""
        client = event.client_ip
        status = event.status
        if not client or status is None:
            return
        # client_key() of an IPv4 address (most clients) is the address itself.
        key = client_key(client) if ":" in client or len(client) > MAX_CLIENT_CHARS else client
        tallies = self.tallies
        path = event.path if status == 404 else ""
        if status == 404 and not is_static_asset(path):
            tallies.open_and_add(key, now, now + self.open_secs, _ERROR)
            self.probe = event
            # WindowKey(key, distinct=path, client_ip=client), made as a plain tuple is (a
            # NamedTuple's own constructor is a Python function).
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
            and event.status == 404
            and event.client_ip
            and not is_static_asset(event.path)
        ):
            client = event.client_ip
            return (WindowKey(client_key(client), distinct=event.path, client_ip=client),)
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
