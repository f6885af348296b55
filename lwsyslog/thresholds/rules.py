"""The threshold rules: which windows an observation counts toward, one small class each.

Each rule says, for one observation (event, triage class, findings), which keys it counts
toward (usually none); the engine (:mod:`lwsyslog.thresholds.engine`) keeps the windows. A
client's key is its address, or for IPv6 its /64 (:func:`client_key`): an attacker with a
/64 has 2**64 addresses, but one key.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import ClassVar, Final, NamedTuple

from mypy_extensions import mypyc_attr

from lwsyslog.bounded import FifoMap
from lwsyslog.categories import PAYLOAD_CATEGORIES
from lwsyslog.events import AccessEvent, ErrorEvent
from lwsyslog.findings import Finding
from lwsyslog.matching.linear import Regex, linear_search
from lwsyslog.observation import Observation
from lwsyslog.settings import ThresholdSettings
from lwsyslog.severity import Severity
from lwsyslog.shares import own_share
from lwsyslog.thresholds.echoes import RefererEchoes
from lwsyslog.thresholds.failures import LoginFailures
from lwsyslog.thresholds.keys import MAX_CLIENT_CHARS as _KEY_CHARS
from lwsyslog.thresholds.keys import client_key
from lwsyslog.thresholds.windows import OriginTable

__all__ = [
    "STATIC_NAMES",
    "STATIC_SUFFIXES",
    "AttackRepeat",
    "AuthBruteForce",
    "BruteForceSuccess",
    "EveryEventRule",
    "LoginPostBurst",
    "RequestFlood",
    "ThresholdRule",
    "UrgentBurst",
    "WindowKey",
    "is_challenge",
    "is_failed_login",
    "is_login_post",
    "is_static_asset",
]


#: Extensions of static assets: a page's images, media, styles, scripts and fonts, a map's
#: vector tiles, a stream's playlists and segments. A miss of one is a broken page, not a
#: probe; a burst of them is a page loading (or a map panned, a stream watched), not a flood.
#: Not ``.json``, ``.xml``, ``.txt``, ``.html`` or ``.pdf``: wordlists are full of those.
STATIC_SUFFIXES: Final = (
    ".ico", ".css", ".js", ".mjs", ".map", ".wasm", ".webmanifest",
    ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".heic", ".heif", ".bmp",
    ".tif", ".tiff",
    ".mp4", ".m4v", ".mov", ".webm", ".ogv", ".mp3", ".m4a", ".ogg", ".oga", ".opus",
    ".flac", ".wav", ".m3u8", ".m4s", ".mpd",
    ".woff", ".woff2", ".ttf", ".otf", ".eot",
    ".pbf", ".mvt",
)  # fmt: skip
#: Paths browsers and crawlers ask for on their own (``/favicon.ico`` and
#: ``/apple-touch-icon*.png`` are covered by their extensions).
STATIC_NAMES: Final = frozenset({"/robots.txt"})
_LONGEST_SUFFIX: Final = max(len(suffix) for suffix in STATIC_SUFFIXES)


def is_static_asset(path: str) -> bool:
    """True for a path (no query) naming a static asset: ``/a/site.css``, ``/favicon.ico``,
    ``/hls/live/seg00042.ts``.

    ``.ts`` is both an MPEG transport-stream segment and TypeScript source (``/src/app.ts``,
    which a scanner looks for): only a numbered name (``seg00042.ts``, ``1080p_7.ts``) is a
    segment."""
    slash = path.rfind("/")
    tail = path[max(slash + 1, len(path) - _LONGEST_SUFFIX) :].lower()
    if tail.endswith(STATIC_SUFFIXES):
        return True
    if tail.endswith(".ts") and len(tail) > 3 and tail[-4].isdigit():
        return True
    if tail.isdigit() and tail.isascii():
        return _map_tile(path)
    return len(path) <= 11 and path.lower() in STATIC_NAMES


def _map_tile(path: str) -> bool:
    """A map tile named by zoom and coordinates, no extension (``/MapServer/tile/12/1409/2104``)."""
    parts = path.rsplit("/", 4)
    return (
        len(parts) == 5
        and parts[1].lower() in ("tile", "tiles")
        and all(0 < len(part) <= 8 and part.isascii() and part.isdigit() for part in parts[2:])
    )


class WindowKey(NamedTuple):
    """Where an observation is counted: ``shown`` is the alert's key, ``detail`` splits it.

    ``client_ip`` is the client the window is about (the alert names it); empty for windows
    that are not per client (a web host's 5xx storm). A tuple: one is made per counted line.
    """

    shown: str
    detail: str = ""
    categories: tuple[str, ...] = ()
    # Count an observation only if this value is not among the window's recent ones
    # (distinct missing paths rather than one path hammered).
    distinct: str = ""
    # For self-counting rules: the figure the alert reports (a field: it hides tuple.count).
    count: int = 0  # type: ignore[assignment]
    client_ip: str = ""
    # Shown in the alert, not part of the key: a cooldown per client, whatever this holds.
    note: str = ""


# Compiled to C (lwsyslog.compiled); Sigma correlations subclass it in plain Python.
@mypyc_attr(allow_interpreted_subclasses=True)
class ThresholdRule(ABC):
    """One multi-event rule: which window keys an observation counts toward."""

    id: ClassVar[str]
    categories: ClassVar[tuple[str, ...]]
    description: ClassVar[str]
    # Standard (non-urgent, finding-free) access events with these statuses are also shown
    # to the rule; every other standard event skips the threshold stage entirely.
    standard_statuses: ClassVar[frozenset[int]] = frozenset()
    # ... and standard events with these request methods.
    standard_methods: ClassVar[frozenset[str]] = frozenset()
    # ... and standard access events that carry an authenticated user name.
    standard_with_user: ClassVar[bool] = False
    # The rule decides crossings itself (stateful sequences, baselines): each key it returns is
    # a crossing, subject only to the cooldown.
    self_counting: ClassVar[bool] = False
    # Its keys carry a ``distinct`` value: an event counts only if the value is new among the
    # window's recent ones (the engine keeps 64-bit digests of them, never the values).
    counts_distinct: ClassVar[bool] = False
    # A full window crosses only if :meth:`accepts` agrees.
    checks_crossing: ClassVar[bool] = False
    # Bytes per key the rule keeps itself besides the engine's window (its tallies).
    extra_record_bytes: ClassVar[int] = 0

    def bind(  # noqa: B027
        self, settings: ThresholdSettings, max_keys: int, origins: OriginTable
    ) -> None:
        """Receive the configured numbers; a rule that keeps state of its own sizes it here,
        for at most ``max_keys`` keys."""

    def own_record_bytes(self, settings: ThresholdSettings) -> int:
        """Bytes per key the rule keeps itself with ``settings``, besides the engine's window."""
        return self.extra_record_bytes

    def evicted_keys(self) -> int:
        """Keys the rule's own state forgot to stay within its bound (0: it keeps none)."""
        return 0

    @abstractmethod
    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        """The keys this observation counts toward (usually none)."""

    def accepts(self, key: WindowKey, first_time: float, now: float) -> bool:
        """Whether ``key``'s full window (oldest event at ``first_time``) may cross."""
        return True

    def message(self, key: WindowKey, count: int, window_secs: float) -> str:
        """The alert text for a crossing."""
        what = f" ({key.detail})" if key.detail else ""
        return f"{self.description}{what}: {count} events from {key.shown} within {window_secs:g}s"


# Categories whose evidence is the path asked for: a scanner's probes are different paths,
# while an administrator's bookmark redirected to the login page, or the staff behind one
# NAT opening it, are the same path again. Only a redirected read counts once per path: a bot
# posting to a missing login page 14 times a second counts every time.
_PATH_PROBES: Final = frozenset({"admin-probe"})
_READS: Final = frozenset({"GET", "HEAD"})


def _redirected_read(observation: Observation) -> str:
    """The path of a read redirected (a visit sent to the login page), else ``""``."""
    event = observation.event
    if isinstance(event, AccessEvent) and event.method in _READS and event.status is not None:
        return event.path if 300 <= event.status < 400 else ""
    return ""


class UrgentBurst(ThresholdRule):
    """Several serious findings from one client: of medium severity or above, or of a payload
    category (a probe for something exploitable).

    Bare error statuses and low findings are not counted: a browser's preconnects (408), a
    hotlink-protected gallery (403), an expired CSRF token, rate limits (429) or a WebDAV
    client's 405s and PROPFINDs are ordinary traffic, and the statuses that do mean something
    in numbers have rules of their own (``auth-brute-force``, the missing-page and 5xx rules).
    A Referer echo of a page already counted (a results page's assets) counts once
    (:mod:`lwsyslog.thresholds.echoes`), and a read redirected (to a login page) that is
    serious only as an admin probe once per path in the window (the staff behind one NAT
    opening their ``/admin/`` bookmark).
    """

    id = "urgent-burst"
    categories = ()
    description = "burst of urgent events"
    counts_distinct = True

    _echoes: RefererEchoes

    def own_record_bytes(self, settings: ThresholdSettings) -> int:
        return RefererEchoes.record_bytes()

    def bind(self, settings: ThresholdSettings, max_keys: int, origins: OriginTable) -> None:
        self._echoes = RefererEchoes(max_keys, settings.window_secs)

    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        client = observation.client_ip
        findings = observation.findings
        if not client or not any(map(_serious, findings)):
            return ()
        key = client_key(client)
        if not _counts(self._echoes, key, observation):
            return ()
        cats = tuple(sorted({c for f in findings for c in f.categories}))
        # A line that is serious only as an admin probe counts once per path (AttackRepeat).
        path = _redirected_read(observation) if _PATH_PROBES.issuperset(cats) else ""
        return (WindowKey(key, categories=cats, client_ip=client, distinct=path),)


def _counts(echoes: RefererEchoes, key: str, observation: Observation) -> bool:
    """Whether ``echoes`` lets the observation count (a Referer echo counts once)."""
    event = observation.event
    static = False
    if isinstance(event, AccessEvent):
        target = event.target
        cut = target.find("?")
        static = is_static_asset(target if cut < 0 else target[:cut])
    return echoes.counts(key, event, observation.findings, static)


def _serious(finding: Finding) -> bool:
    """A finding urgent-burst counts: medium or worse, or of a payload category, or a
    scanner's (a PHP scanner's missing scripts: "Primary script unknown" in the error log,
    which no missing-page rule of the access log sees)."""
    if finding.severity is not Severity.LOW:
        return True
    return any(
        category in PAYLOAD_CATEGORIES or category == "scanner" for category in finding.categories
    )


# Methods a client sends without credentials until the server asks for them (browsers, git,
# WebDAV and CalDAV clients): their 401 without a user name is that request, not a guess.
_CHALLENGED_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PROPFIND", "REPORT"})


def is_challenge(event: AccessEvent) -> bool:
    """A 401 that asked for credentials the client had not sent: no user name, a reading
    method. Basic and Digest log the user name of a wrong password, so a guess has one; a form
    or API login is a POST (or PUT, PATCH), counted with or without one."""
    return event.status == 401 and not event.user and event.method in _CHALLENGED_METHODS


def is_failed_login(observation: Observation) -> bool:
    """An authentication failure that is a guess: an ``auth-failure`` finding (a 401, an error
    log's AH01617/AH01618...) that is not a challenge (:func:`is_challenge`)."""
    if not any("auth-failure" in finding.categories for finding in observation.findings):
        return False
    event = observation.event
    return not (isinstance(event, AccessEvent) and is_challenge(event))


class AuthBruteForce(ThresholdRule):
    """Repeated failed logins from one client (401s with a user name or to a POST, AH01617,
    ...; not challenges, see :func:`is_challenge`), each log's counted apart
    (:mod:`lwsyslog.thresholds.failures`: a wrong Basic password is logged in both)."""

    id = "auth-brute-force"
    categories = ("brute-force",)
    description = "authentication brute force"
    self_counting = True

    _failures: LoginFailures

    def own_record_bytes(self, settings: ThresholdSettings) -> int:
        return LoginFailures.record_bytes(settings.count)

    def bind(self, settings: ThresholdSettings, max_keys: int, origins: OriginTable) -> None:
        self._failures = LoginFailures(settings.count, max_keys, origins, settings.window_secs)

    def evicted_keys(self) -> int:
        return self._failures.evictions

    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        event = observation.event
        client = event.client_ip
        if not client or event.time is None or not is_failed_login(observation):
            return ()
        failures = self._failures.add(client_key(client), event, event.time)
        if not failures:
            return ()
        return (WindowKey(client_key(client), count=failures, client_ip=client),)


class AttackRepeat(ThresholdRule):
    """The same attack category again and again from one client: a campaign, not noise.

    A line whose findings are all in its Referer, echoing a page the client already sent
    (the assets of a search results page), counts once (:mod:`lwsyslog.thresholds.echoes`).
    A redirected read that is an admin probe counts once per path (:data:`_PATH_PROBES`).
    """

    id = "attack-repeat"
    categories = ()
    description = "repeated attacks"
    counts_distinct = True

    _echoes: RefererEchoes

    def own_record_bytes(self, settings: ThresholdSettings) -> int:
        return RefererEchoes.record_bytes()

    def bind(self, settings: ThresholdSettings, max_keys: int, origins: OriginTable) -> None:
        self._echoes = RefererEchoes(max_keys, settings.window_secs)

    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        if not observation.client_ip or not observation.findings:
            return ()
        seen = {c for f in observation.findings for c in f.categories if c in PAYLOAD_CATEGORIES}
        if not seen:
            return ()
        client = observation.client_ip
        key = client_key(client)
        if not _counts(self._echoes, key, observation):
            return ()
        path = _redirected_read(observation)
        return [
            WindowKey(key, c, (c,), client_ip=client, distinct=path if c in _PATH_PROBES else "")
            for c in sorted(seen)
        ]


# RE2: ``re`` tries every branch at each position of the path, 300 us for an 8 KB one.
_LOGIN_PATH = linear_search(
    Regex(
        r"(?:wp-login\.php|xmlrpc\.php|/log-?in\b|/signin\b|/sign-in\b|/auth\b|/session\b"
        r"|/user/login|/admin/login|/administrator/index\.php|j_security_check|/account/login)",
        re.IGNORECASE,
    )
).search


# OpenID Connect token checks by services, no login (Keycloak before 17 serves all under /auth/).
_TOKEN_CHECK = linear_search(
    Regex(r"/protocol/openid-connect/(?:token/introspect|userinfo|certs)\b", re.IGNORECASE)
).search


def is_login_post(event: AccessEvent) -> bool:
    """A POST to a login form (wp-login.php, /login, xmlrpc.php, ...), not a service's token
    check (:data:`_TOKEN_CHECK`)."""
    if event.method != "POST" or not event.client_ip:
        return False
    path = event.path
    return _LOGIN_PATH(path) is not None and _TOKEN_CHECK(path) is None


class LoginPostBurst(ThresholdRule):
    """Repeated POSTs to a login form from one client: password guessing through the app."""

    id = "login-brute-force"
    categories = ("brute-force",)
    description = "repeated login form submissions"
    standard_methods = frozenset({"POST"})

    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        event = observation.event
        if isinstance(event, AccessEvent) and is_login_post(event):
            return (_client_key(event.client_ip),)
        return ()


class BruteForceSuccess(ThresholdRule):
    """A client that failed to authenticate many times, then got in: a likely compromise.

    ``count`` failed logins (:func:`is_failed_login`: challenges are none) within
    ``window_secs`` arm the client; a later authenticated success (an access line with a user
    name and a 2xx/3xx status) within the same window fires. The cooldown is the client's:
    many users behind one address logging in are one alert at most, not one per user.

    The failures of each log are counted apart (:mod:`lwsyslog.thresholds.failures`), so a
    user's three mistypes are three failures, not six, with both logs read. The default
    ``count`` (10, as ``auth-brute-force``) is above what a person who forgot a password
    types; Hydra and its kind send tens.
    """

    id = "brute-force-success"
    categories = ("brute-force",)
    description = "authentication succeeded after a brute force (likely compromise)"
    self_counting = True
    standard_with_user = True

    _failures: LoginFailures

    def own_record_bytes(self, settings: ThresholdSettings) -> int:
        return LoginFailures.record_bytes(settings.count)

    def bind(self, settings: ThresholdSettings, max_keys: int, origins: OriginTable) -> None:
        self._failures = LoginFailures(settings.count, max_keys, origins, settings.window_secs)

    def evicted_keys(self) -> int:
        return self._failures.evictions

    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        event = observation.event
        client = event.client_ip
        if not client or event.time is None:
            return ()
        key = client_key(client)
        if is_failed_login(observation):
            # Only recorded here: this rule decides its crossings itself.
            self._failures.add(key, event, event.time)
            return ()
        if not (
            isinstance(event, AccessEvent)
            and event.user
            and event.status is not None
            and 200 <= event.status < 400
        ):
            return ()
        failures = self._failures.armed(key, event.time)
        if not failures:
            return ()
        self._failures.clear(key)
        return (WindowKey(key, count=failures + 1, client_ip=client, note=event.user),)

    def message(self, key: WindowKey, count: int, window_secs: float) -> str:
        return (
            f"{self.description}: {key.shown} logged in as {key.note} "
            f"after {count - 1} failures within {window_secs:g}s"
        )


def _client_key(client_ip: str) -> WindowKey:
    return WindowKey(client_key(client_ip), client_ip=client_ip)


class EveryEventRule(ThresholdRule):
    """A rule that must see every event (a baseline of normal traffic), on the hot path.

    The engine calls :meth:`tick` with the bare event, building nothing per line.
    """

    self_counting = True

    @abstractmethod
    def tick(self, event: AccessEvent | ErrorEvent) -> WindowKey | None:
        """Account for one event; a key when this event crosses the rule."""

    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        key = self.tick(observation.event)
        return () if key is None else (key,)


# A sweep tallies counts up to this (or the floor or max_keys, when lower): a linear pass.
_MAX_SWEPT_COUNT = 4096


def _not_flood(event: AccessEvent) -> bool:
    """A request request-flood does not count: a static asset, or an authenticated success (a
    user name logged, or a Nextcloud user's own share, which answers only its signed-in owner)."""
    status = event.status
    if status is not None and 200 <= status < 300 and (event.user or own_share(event.path)):
        return True
    target = event.target
    cut = target.find("?")
    return is_static_asset(target if cut < 0 else target[:cut])


class RequestFlood(EveryEventRule):
    """One client far above its own request-rate baseline (and above an absolute floor).

    Requests are counted per ``window_secs`` bucket of log time. When a bucket ends, each
    client seen in it updates its baseline, an exponentially weighted mean of its per-bucket
    counts (buckets it was absent from decay it). A client whose count in the current bucket
    reaches both ``count`` and ``baseline_factor`` times its baseline fires once per bucket.
    Per line this is one dict update; the baseline is read only past the floor.

    Not counted (:func:`_not_flood`): static assets, which a page, a map or a gallery loads by
    the hundred, and answers 2xx to a user the server authenticated (a WebDAV or git client
    syncing thousands of files): a flood is many dynamic requests from anybody.

    At most ``max_keys`` clients are counted in a bucket. A new client past that sweeps away
    the half of the counted clients with the smallest counts (their counts are lost, and
    counted in :meth:`evicted_keys`), so a crowd of one-off clients cannot keep a flooder from
    being counted; a sweep costs one pass over the counts and frees half of them, O(1)
    amortised per client.
    """

    id = "request-flood"
    categories = ("dos",)
    description = "request flood far above the client's baseline"
    _SMOOTHING = 0.2

    def bind(self, settings: ThresholdSettings, max_keys: int, origins: OriginTable) -> None:
        self._floor = settings.count
        self._bucket_secs = max(settings.window_secs, 1.0)
        self._factor = settings.baseline_factor or 10.0
        self._max_keys = max_keys
        self._bucket = float("-inf")
        self._counts: dict[str, int] = {}
        self._fired: set[str] = set()
        # client -> (baseline requests per bucket, bucket it was last updated for)
        self._baselines: FifoMap[str, tuple[float, float]] = FifoMap(max_keys)
        self.swept = 0

    def evicted_keys(self) -> int:
        return self.swept + self._baselines.evictions

    def tick(self, event: AccessEvent | ErrorEvent) -> WindowKey | None:
        when = event.time
        if when is None or not isinstance(event, AccessEvent):
            return None
        client = event.client_ip
        if not client or _not_flood(event):
            return None
        bucket = when // self._bucket_secs
        if bucket > self._bucket:
            self._roll_over(bucket)
        # client_key() for an IPv4 address (most clients) is the address: no call for it.
        key = client_key(client) if ":" in client or len(client) > _KEY_CHARS else client
        counts = self._counts
        count = counts.get(key, 0) + 1
        if count == 1 and len(counts) >= self._max_keys:
            self._sweep()
            counts = self._counts
        counts[key] = count
        if count < self._floor or key in self._fired:
            return None
        baseline = self._baseline(key, self._bucket)
        if count < self._factor * baseline:
            return None
        self._fired.add(key)
        return WindowKey(key, detail=f"baseline {baseline:.0f}", count=count, client_ip=client)

    def _sweep(self) -> None:
        """Forget the clients with the smallest counts in this bucket, half of them at least:
        those at or below the smallest count that half reach. Counts from the floor (or from
        ``max_keys``, when lower) up are taken as one, so the pass is linear in the keys."""
        counts = self._counts
        top = max(1, min(self._floor, self._max_keys, _MAX_SWEPT_COUNT))
        tally = [0] * (top + 1)
        for count in counts.values():
            tally[min(count, top)] += 1
        half = (len(counts) + 1) // 2
        below = 0
        limit = top
        for value in range(1, top + 1):
            below += tally[value]
            if below >= half:
                limit = value
                break
        # Half reached only with the counts lumped at the top: all go. Rare (half the keys
        # that busy within one bucket), and whoever crossed is in its cooldown.
        kept = {key: count for key, count in counts.items() if count > limit} if limit < top else {}
        self.swept += len(counts) - len(kept)
        self._counts = kept
        self._fired = {key for key in self._fired if key in kept}

    def _baseline(self, client: str, bucket: float) -> float:
        stored = self._baselines.get(client)
        if stored is None:
            return 0.0
        mean, updated = stored
        decay: float = (1 - self._SMOOTHING) ** max(bucket - updated - 1, 0)
        return mean * decay

    def _roll_over(self, bucket: float) -> None:
        # A baseline below floor/factor can never matter (the floor decides), so only clients
        # busy enough to reach it are remembered: the long tail costs one comparison each.
        ended = self._bucket
        relevant = self._floor / self._factor
        baselines = self._baselines
        for client, count in self._counts.items():
            if count < relevant and baselines.get(client) is None:
                continue
            mean = self._SMOOTHING * count + (1 - self._SMOOTHING) * self._baseline(client, ended)
            if mean >= relevant:
                baselines.put(client, (mean, ended))
            else:
                baselines.discard(client)
        self._counts = {}
        self._fired = set()
        self._bucket = bucket

    def message(self, key: WindowKey, count: int, window_secs: float) -> str:
        return (
            f"{self.description}: {count} requests from {key.shown} within {window_secs:g}s "
            f"({key.detail} per {window_secs:g}s)"
        )
