"""5xx windows: a backend failing is the site's problem, not an attack by whoever browsed then.

``backend-errors`` counts the *distinct clients* that got a 5xx from one web host: many at
once is an outage, reported once per window for the host and attributed to no client.
``server-error-storm`` is per client, and only for a client that got most of the host's 5xx
answers in the window (``dominant_share``): one client making the application fail (a fuzzer,
an exploit attempt) while everyone else is served. A load balancer's health check from the
local network is not such a client: during an outage it is the one client still asking the
failing backend (every two seconds), so it got "most" of the 5xx answers. Its 5xx count for
the host's total and for ``backend-errors``, never as a storm of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from lwsyslog.events import AccessEvent, ErrorEvent
from lwsyslog.formats.addresses import is_local_client
from lwsyslog.observation import Observation
from lwsyslog.settings import ThresholdSettings
from lwsyslog.thresholds.keys import client_key
from lwsyslog.thresholds.rules import ThresholdRule, WindowKey
from lwsyslog.thresholds.tallies import Tallies, tally_bytes
from lwsyslog.thresholds.windows import OriginTable

__all__ = ["BackendErrors", "ServerErrorStorm"]

_SERVER_ERRORS = frozenset(range(500, 600))
# User-Agent words of the health checks load balancers and orchestrators send (AWS ELB,
# Kubernetes, Google Cloud, Consul, Azure Application Gateway / Front Door, HAProxy, F5).
_HEALTH_CHECKERS = (
    "elb-healthchecker", "kube-probe", "googlehc", "consul health check", "azure",
    "haproxy", "f5-monitor", "health-check", "healthcheck",
)  # fmt: skip
_AGENT_CHARS = 256


def is_health_check(event: AccessEvent) -> bool:
    """A load balancer's or orchestrator's health check: its User-Agent names one, and it
    comes from the local network (an outsider can write the name, not the address)."""
    agent = event.user_agent[:_AGENT_CHARS].lower()
    return any(word in agent for word in _HEALTH_CHECKERS) and is_local_client(event.client_ip)


def _web_host(event: AccessEvent | ErrorEvent) -> str:
    return event.origin.host or getattr(event, "vhost", "") or event.origin.name


def _server_error(event: AccessEvent | ErrorEvent) -> bool:
    return isinstance(event, AccessEvent) and event.status is not None and event.status >= 500


class BackendErrors(ThresholdRule):
    """Many distinct clients got 5xx answers from one web host: the backend is failing."""

    id = "backend-errors"
    categories = ("server-error",)
    description = "backend errors: 5xx answers to many clients of one web host"
    standard_statuses = _SERVER_ERRORS
    counts_distinct = True

    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        event = observation.event
        if _server_error(event) and event.client_ip:
            return (WindowKey(_web_host(event), distinct=client_key(event.client_ip)),)
        return ()

    def message(self, key: WindowKey, count: int, window_secs: float) -> str:
        return (
            f"backend errors: {count} clients got 5xx answers from {key.shown} within "
            f"{window_secs:g}s (a server or backend failure, not attributed to any client)"
        )


class ServerErrorStorm(ThresholdRule):
    """Many 5xx answers to one client that got most of its web host's 5xx answers."""

    id = "server-error-storm"
    categories = ("server-error",)
    description = "storm of server errors caused by one client"
    standard_statuses = _SERVER_ERRORS
    checks_crossing = True
    extra_record_bytes: ClassVar[int] = 2 * tally_bytes(1)

    _hosts: Tallies
    _clients: Tallies
    _share: float
    _window_secs: float

    def bind(self, settings: ThresholdSettings, max_keys: int, origins: OriginTable) -> None:
        self._share = settings.dominant_share
        self._window_secs = settings.window_secs
        self._hosts = Tallies(settings.window_secs, max_keys, kinds=1)
        self._clients = Tallies(settings.window_secs, max_keys, kinds=1)

    def evicted_keys(self) -> int:
        return self._hosts.evictions + self._clients.evictions

    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        event = observation.event
        if not (_server_error(event) and event.client_ip):
            return ()
        client = event.client_ip
        host = _web_host(event)
        key = WindowKey(client_key(client), detail=host, client_ip=client)
        checked = isinstance(event, AccessEvent) and is_health_check(event)
        if event.time is not None:
            # Lines without a time are rare (access lines always carry one): not tallied, so
            # the share cannot refuse their window.
            self._hosts.open(host, event.time)
            self._hosts.add(host, event.time)
            if not checked:
                pair = f"{host}\0{key.shown}"
                self._clients.open(pair, event.time)
                self._clients.add(pair, event.time)
        return () if checked else (key,)

    def accepts(self, key: WindowKey, first_time: float, now: float) -> bool:
        if self._share <= 0:
            return True
        # Shares over the whole window, not just since the client's burst began: a browser
        # loading one page's twenty assets in a second during an outage holds every 5xx of
        # that second, but few of the minute's.
        start = now - self._window_secs
        (host_total,) = self._hosts.since(key.detail, start)
        (own,) = self._clients.since(f"{key.detail}\0{key.shown}", start)
        return host_total == 0 or own >= self._share * host_total
