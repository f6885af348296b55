"""The validated configuration: plain, immutable types every stage is built from.

:mod:`lwsyslog.config` reads TOML files into these; nothing here reads files or knows which
rules exist, so any module may import it without pulling in the loader or the rules.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lwsyslog.matching.linear import Regex, Search, linear_search
from lwsyslog.notify.settings import NotifySettings
from lwsyslog.severity import Severity

__all__ = [
    "AllowList",
    "Config",
    "CrawlerSettings",
    "CrawlerSpec",
    "DatabaseCacheSettings",
    "HostSettings",
    "Location",
    "MetricsSettings",
    "RuleSettings",
    "StoreSettings",
    "ThresholdSettings",
]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Location:
    """Where a setting was written: the file and, when known, the line."""

    file: str = "<built-in defaults>"
    line: int | None = None


@dataclass(frozen=True, slots=True)
class AllowList:
    """Findings from these clients, paths or User-Agents are dropped.

    ``paths`` and ``user_agents`` are regular expressions, searched in RE2 (linear in the text
    a client wrote; ``re`` where the wheel is missing). Two lists are equal when their texts
    are, so a reload that changes nothing keeps the running pipeline.
    """

    clients: tuple[Network, ...] = ()
    paths: tuple[str, ...] = ()
    user_agents: tuple[str, ...] = ()
    _path_searches: tuple[Search, ...] = field(init=False, repr=False, compare=False)
    _agent_searches: tuple[Search, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_path_searches", _searches(self.paths))
        object.__setattr__(self, "_agent_searches", _searches(self.user_agents))

    def __bool__(self) -> bool:
        return bool(self.clients or self.paths or self.user_agents)

    def allows(self, client_ip: str, path: str, user_agent: str) -> bool:
        """True when any entry covers this client, path or User-Agent."""
        if self.clients and client_ip:
            try:
                address = ipaddress.ip_address(client_ip)
            except ValueError:
                address = None
            if address is not None and any(address in net for net in self.clients):
                return True
        if path and any(search(path) is not None for search in self._path_searches):
            return True
        return bool(user_agent) and any(
            search(user_agent) is not None for search in self._agent_searches
        )


def _searches(patterns: tuple[str, ...]) -> tuple[Search, ...]:
    return tuple(linear_search(Regex(pattern)).search for pattern in patterns)


@dataclass(frozen=True, slots=True)
class ThresholdSettings:
    """Numbers for one multi-event threshold rule."""

    enabled: bool
    count: int
    window_secs: float
    cooldown_secs: float
    severity: Severity
    baseline_factor: float = 0.0
    #: Missing-page windows: the least share of error answers (status >= 400) among the
    #: client's requests in the window (0: no condition).
    min_error_ratio: float = 0.0
    #: Per-client 5xx window: the least share of the web host's 5xx answers in the window
    #: that the client got (0: no condition).
    dominant_share: float = 0.0


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """Per-rule settings from ``[rules.ID]``: switch off, change severity, allow-list, options.

    ``options`` holds the keys only some rules take (``watched-path``'s ``paths``); the rule's
    source checks them once every rule is loaded, with ``where`` and ``lines`` to say where a
    bad one was written.
    """

    enabled: bool = True
    severity: Severity | None = None
    allow: AllowList = field(default_factory=AllowList)
    options: Mapping[str, Any] = field(default_factory=dict)
    where: Location = field(default_factory=Location, compare=False)
    lines: Mapping[str, int | None] = field(default_factory=dict, compare=False)

    def categories_or(self, own: Sequence[str]) -> tuple[str, ...]:
        """``[rules.ID] categories`` when set (pack and Sigma rules take it), else ``own``."""
        chosen = self.options.get("categories")
        return tuple(chosen) if chosen else tuple(own)


_DEFAULT_RULE_SETTINGS = RuleSettings()


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """The alert store of ``[store]`` (SQLite, queried by ``lwsyslog alerts`` and ``report``)."""

    enabled: bool = True
    path: str = ""  # empty: alerts.db in the omprog program's state directory
    retention_days: float = 90.0
    max_rows: int = 5_000_000
    max_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class HostSettings:
    """The silent-host alert of ``[hosts]``: a web host that sent nothing for
    ``silent_after_secs`` raises ``host-silent``, and ``host-back`` when it sends again."""

    silent_after_secs: float = 900.0
    max_hosts: int = 10_000
    severity: Severity = Severity.HIGH
    #: Per-host limits (0: never silent) over ``silent_after_secs``.
    silent_after_secs_per_host: Mapping[str, float] = field(default_factory=dict)

    def limit_for(self, host: str) -> float:
        """Seconds of silence after which ``host`` is silent (0: never)."""
        return self.silent_after_secs_per_host.get(host, self.silent_after_secs)


@dataclass(frozen=True, slots=True)
class DatabaseCacheSettings:
    """Where the matching databases are kept between runs (``[detection] cache``...)."""

    enabled: bool = True
    #: Empty: the command's own place (:mod:`lwsyslog.matching.dbcache`).
    directory: str = ""
    max_bytes: int = 32 << 20


@dataclass(frozen=True, slots=True)
class MetricsSettings:
    """What the omprog program exports, from ``[metrics]``: its status file (always), a
    node-exporter textfile and an HTTP endpoint for Prometheus (each when set)."""

    interval_secs: float = 10.0
    textfile: str = ""
    listen: str = ""


@dataclass(frozen=True, slots=True)
class CrawlerSpec:
    """One crawler of ``[crawlers.catalog.ID]``: what its User-Agent says and how to verify it.

    ``user_agent`` is a regular expression searched (case-insensitively) in the User-Agent
    without its invisible characters; an address is the crawler's when its forward-confirmed
    reverse DNS name is one of ``domains`` or under one, or when it is in one of ``networks``
    (the operator's published address ranges). ``must_match`` and ``must_not_match`` are
    User-Agents this crawler must be, and must not be, the one claimed by.
    """

    name: str
    user_agent: str
    domains: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    must_match: tuple[str, ...] = ()
    must_not_match: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CrawlerSettings:
    """Crawler verification of ``[crawlers]`` (off unless ``verify`` and a ``resolver``).

    A User-Agent claiming a catalog crawler from an address that is not the crawler's raises
    ``bad-bot-fake-crawler``; the DNS lookups run in a background thread, rate-limited and
    cached (:mod:`lwsyslog.crawlers`).
    """

    verify: bool = False
    #: "system" (/etc/resolv.conf) or "ADDRESS[:PORT]" ("[::1]:53" for IPv6); "" is none.
    resolver: str = ""
    timeout_secs: float = 2.0
    cache_ttl_secs: float = 86400.0
    negative_ttl_secs: float = 3600.0
    retry_secs: float = 300.0
    max_lookups_per_sec: float = 10.0
    max_in_flight: int = 16
    max_pending: int = 1000
    max_cache_entries: int = 50_000
    max_cache_bytes: int = 16 << 20
    scan_wait_secs: float = 10.0
    verify_private: bool = False
    severity: Severity = Severity.MEDIUM
    catalog: tuple[CrawlerSpec, ...] = ()

    @property
    def active(self) -> bool:
        """True when lines are to be checked: verification on, a resolver, a crawler."""
        return self.verify and bool(self.resolver) and bool(self.catalog)


@dataclass(frozen=True, slots=True)
class Config:
    """The validated, merged configuration every stage is built from.

    ``sources`` holds the tables of the optional rule sources (``[sigma]``...), each already
    checked against the schema its source declares. ``places`` says where each table and key
    was last set (see :meth:`location`).
    """

    log: str
    access_formats: tuple[str, ...]
    max_line_bytes: int
    trusted_proxies: tuple[str, ...]
    iis_fields: tuple[str, ...]
    json_keys: Mapping[str, tuple[str, ...]]
    urgent_statuses: frozenset[int]
    urgent_levels: tuple[str, ...]
    single_event_min_severity: Severity
    cooldown_secs: float
    max_keys: int
    memory_budget_bytes: int
    storm_max_alerts: int
    storm_window_secs: float
    thresholds: Mapping[str, ThresholdSettings]
    allow: AllowList
    rules: Mapping[str, RuleSettings]
    messages_file_enabled: bool
    messages_file_path: str
    messages_file_fsync: bool
    #: How long lines wait for a messages file that refuses alerts before detection goes on
    #: without it (its alerts then wait in its backlog).
    messages_file_hold_secs: float
    journald_enabled: bool
    store: StoreSettings
    notify: NotifySettings
    detection_engine: str
    sources: Mapping[str, Mapping[str, Any]]
    files: tuple[str, ...]
    hosts: HostSettings = field(default_factory=HostSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    crawlers: CrawlerSettings = field(default_factory=CrawlerSettings)
    database_cache: DatabaseCacheSettings = field(default_factory=DatabaseCacheSettings)
    places: Mapping[tuple[str, ...], Location] = field(
        default_factory=dict, compare=False, repr=False
    )

    def location(self, *path: str) -> Location:
        """Where the key ``path`` (``"sigma", "rule_dirs"``) was last set: the file and line,
        else those of the nearest table around it, else the last file read, for errors
        found after loading."""
        for size in range(len(path), 0, -1):
            place = self.places.get(path[:size])
            if place is not None:
                return place
        return Location(self.files[-1]) if self.files else Location()

    def rule_settings(self, rule_id: str) -> RuleSettings:
        """The settings for ``rule_id`` (defaults when the rule has no table)."""
        return self.rules.get(rule_id, _DEFAULT_RULE_SETTINGS)

    def source_table(self, name: str) -> Mapping[str, Any]:
        """The validated table of rule source ``name`` (empty when not configured)."""
        return self.sources.get(name, {})
