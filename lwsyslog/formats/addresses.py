"""A client address as logged, turned into the one spelling every consumer sees.

Logs spell one client several ways: with the port of the connection (``198.51.100.23:40001``,
``[2001:db8::1]:40001``), as the IPv4-mapped IPv6 address a dual-stack socket reports
(``::ffff:66.249.66.1``), or as a comma list (``X-Forwarded-For``, nginx's
``$proxy_add_x_forwarded_for``). Thresholds count per client text and the allow list compares
networks, so each spelling would be another client. The formats call :func:`client_text` on
their client field and :func:`last_hop` on a list, once per line, at parse time.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

__all__ = ["address", "address_text", "client_text", "is_local_client", "last_hop"]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_LONGEST = 64
"""Longer text is no address (``[`` + IPv6 + ``]:65535`` is 54): it is refused before the
cache, which must not hold a client's megabyte."""


def address(text: str) -> Address | None:
    """The IP address in one entry (``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80``, ``::1``).

    An IPv6 zone (``fe80::1%eth0``) is dropped: it names an interface of the host that wrote
    it and means nothing to anyone else, and Python keeps whatever text follows the ``%``
    (spaces, ``key=value`` pairs) in the address's string, which would become the alert's
    client. A trusted proxy on a link-local address is still trusted.
    """
    text = text.strip()
    if not text or len(text) > _LONGEST:
        return None
    if "%" in text:
        text, _, zone = text.partition("%")
        if text.startswith("[") and "]" in zone:
            text += zone[zone.index("]") :]  # [fe80::1%eth0]:80
        if not text:
            return None
    if text[0] == "[":
        end = text.find("]")
        if end < 0 or (end + 1 < len(text) and text[end + 1] != ":"):
            return None
        text = text[1:end]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def address_text(parsed: Address) -> str:
    """``parsed`` as text, an IPv4-mapped IPv6 address as the IPv4 address it carries
    (``::ffff:66.249.66.1``, which ``str`` renders ``::ffff:42f9:4201``, is ``66.249.66.1``)."""
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(parsed)


def client_text(text: str) -> str:
    """The client a logged client field names: an IP address (with or without its port or
    brackets) as :func:`address_text` writes it; anything else (a host name, an address with a
    zone id) unchanged. Callers may skip the call for text without ``:`` or ``[``: it is
    returned as it is."""
    if (":" not in text and "[" not in text) or len(text) > _LONGEST:
        return text
    return _plain(text) or text


def last_hop(text: str) -> str:
    """The client a comma list of addresses names when no peer address is known: its right-most
    entry (the one the nearest proxy appended; the entries to its left are whatever the sender
    claimed), as :func:`address_text` writes it; "" when that entry is not an IP address."""
    entry = text.rpartition(",")[2].strip()
    return "" if len(entry) > _LONGEST else _plain(entry)


@lru_cache(maxsize=4096)
def _plain(entry: str) -> str:
    """:func:`address_text` of the address in ``entry``, "" when it holds none. Cached: a
    client sends many lines, and parsing an address costs microseconds."""
    parsed = address(entry)
    return "" if parsed is None else address_text(parsed)


# RFC 1918, CGNAT (RFC 6598), loopback, link-local, unique-local (RFC 4193).
_LOCAL_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
        "169.254.0.0/16", "::1/128", "fe80::/10", "fc00::/7",
    )
)  # fmt: skip


def is_local_client(client: str) -> bool:
    """True for an address of the local network: private, CGNAT, loopback, link-local or
    unique-local (an IPv4-mapped IPv6 address as its IPv4). A host name is not one."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in _LOCAL_NETWORKS)
