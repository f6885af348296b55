"""The client behind a trusted reverse proxy, from ``X-Forwarded-For``, and from no one else.

Behind a load balancer or CDN every request comes from the proxy: the access log's client is the
proxy, and the browser's address is only in the ``X-Forwarded-For`` header the proxy appends to.
Anyone can send that header, so it is read only when the direct peer (the client as logged) is
one of the configured proxies. Then the standard walk applies (as nginx's ``real_ip_recursive``
and Apache's ``mod_remoteip`` do): from the right, skip the addresses that are themselves trusted
proxies; the first one that is not is the client. An entry that is not an IP address stops the
walk and the logged peer stays the client (so does a header longer than :data:`MAX_HOPS` trusted
hops). When every entry is a trusted proxy the left-most one is the client. The proxy's own
address is kept in ``extra["peer"]``. An IPv4-mapped entry (``::ffff:1.2.3.4``) is the IPv4
client it carries.

A format that logs the header but no peer address takes the header's right-most entry as the
client (:func:`~lwsyslog.formats.addresses.last_hop`), and so does a JSON client key holding a
list (kept in ``extra["client_raw"]``). That entry then stands for the peer: when it is a
trusted proxy, the same walk goes on to its left.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from lwsyslog.errors import FormatError
from lwsyslog.events import AccessEvent
from lwsyslog.formats.addresses import address as _address
from lwsyslog.formats.addresses import address_text
from lwsyslog.formats.json_access import CLIENT_LIST_KEY, XFF_KEY

__all__ = ["MAX_HOPS", "PEER_KEY", "XFF_KEY", "TrustedProxies"]

MAX_HOPS = 32
"""The most ``X-Forwarded-For`` entries read from the right."""

PEER_KEY = "peer"
"""The ``extra`` key holding the proxy's address when ``client_ip`` came from the header."""

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_CACHE_LIMIT = 4096


class TrustedProxies:
    """The configured reverse proxies and the X-Forwarded-For walk behind them.

    ``networks`` are addresses or CIDR networks (``"10.0.0.0/8"``, ``"2001:db8::/32"``,
    ``"203.0.113.7"``). Raises :class:`~lwsyslog.errors.FormatError` naming an invalid one.
    """

    __slots__ = ("_cache", "_networks")

    def __init__(self, networks: Sequence[str]) -> None:
        if isinstance(networks, str):
            networks = (networks,)
        parsed: list[_Network] = []
        for text in networks:
            try:
                parsed.append(ipaddress.ip_network(text.strip(), strict=False))
            except ValueError as exc:
                raise FormatError(f"trusted proxy {text!r} is not an address or network") from exc
        self._networks = tuple(parsed)
        self._cache: dict[str, bool] = {}

    def __bool__(self) -> bool:
        return bool(self._networks)

    def trusts(self, address: str) -> bool:
        """True when ``address`` (as logged) is in one of the trusted networks."""
        hit = self._cache.get(address)
        if hit is not None:
            return hit
        parsed = _address(address)
        result = parsed is not None and self._contains(parsed)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[address] = result
        return result

    def _contains(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # ::ffff:10.0.0.1, a dual-stack socket's IPv4 peer
        return any(address in net for net in self._networks)

    def client(self, xff: str) -> str | None:
        """The client named by an ``X-Forwarded-For`` value (sent to a trusted proxy), or
        ``None`` when the header does not name one usably."""
        entries = xff.rsplit(",", MAX_HOPS)
        leftmost: str | None = None
        for position, entry in enumerate(reversed(entries)):
            if position >= MAX_HOPS:
                return None
            parsed = _address(entry)
            if parsed is None:
                return None
            text = address_text(parsed)
            if not self._contains(parsed):
                return text
            leftmost = text
        return leftmost

    def apply(self, event: AccessEvent) -> None:
        """Replace ``event.client_ip`` by the forwarded client when the peer is trusted."""
        # A JSON client key holding a list (nginx's $proxy_add_x_forwarded_for) is the header
        # with the peer appended: the client is its last entry, and the walk reads it whole.
        xff = event.extra.get(CLIENT_LIST_KEY) or event.extra.get(XFF_KEY)
        if not xff or not self.trusts(event.client_ip):
            return
        client = self.client(xff)
        if client is not None and client != event.client_ip:
            event.extra[PEER_KEY] = event.client_ip
            event.client_ip = client
