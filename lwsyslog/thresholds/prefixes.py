"""Password guessing spread over many IPv6 /64s of one /48.

Every other rule counts an IPv6 client per /64, as one IPv4 address: a site's /48 holds 65,536
of them, so an attacker who sends each guess from another /64 never reaches a per-client
threshold (measured: 200 failed logins and a success from one /48, one /64 each, raised
nothing). This rule counts, per /48, the distinct /64s that failed to log in: a few users of
one network failing now and then stay far below it; a rotation reaches it.
"""

from __future__ import annotations

from collections.abc import Iterable

from lwsyslog.events import AccessEvent
from lwsyslog.observation import Observation
from lwsyslog.thresholds.keys import client_key, ipv6_site
from lwsyslog.thresholds.rules import ThresholdRule, WindowKey, is_failed_login

__all__ = ["PrefixBruteForce"]


def _failed_attempt(observation: Observation) -> bool:
    """A failed login (:func:`~.rules.is_failed_login`: a 401 that is not a challenge, an
    error log's failed login), or WordPress's shape of one: a POST to ``wp-login.php``
    answered 200 (a right password is answered 302).

    Other login forms and APIs answer a right password 200 too (``/api/login`` with JSON,
    ``xmlrpc.php``): counted here, a carrier's many users logging in would be a brute force."""
    if is_failed_login(observation):
        return True
    event = observation.event
    return (
        isinstance(event, AccessEvent)
        and event.method == "POST"
        and event.status == 200
        and event.path.endswith("/wp-login.php")
    )


class PrefixBruteForce(ThresholdRule):
    """Failed logins from many distinct /64s of one IPv6 /48."""

    id = "auth-brute-force-ipv6-prefix"
    categories = ("brute-force",)
    description = "authentication brute force spread over one IPv6 /48"
    standard_methods = frozenset({"POST"})
    counts_distinct = True

    def keys(self, observation: Observation) -> Iterable[WindowKey]:
        client = observation.client_ip
        if ":" not in client or not _failed_attempt(observation):
            return ()
        prefix = ipv6_site(client)
        if prefix is None:
            return ()
        return (WindowKey(prefix, distinct=client_key(client)),)

    def message(self, key: WindowKey, count: int, window_secs: float) -> str:
        return (
            f"{self.description}: failed logins from {count} different /64s of {key.shown} "
            f"within {window_secs:g}s (likely one client rotating its addresses)"
        )
