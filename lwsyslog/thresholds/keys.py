"""The key a client is counted under: its address, or for IPv6 the /64 it belongs to.

One IPv6 host routinely holds a whole /64 (privacy addresses, or an attacker rotating through
2**64 of them); counted per address, such a client would never reach a threshold and would
make a new key with every request. Counted per /64 it is one key, as one IPv4 address is.

An IPv6 address that carries an IPv4 client is counted as that IPv4 address: IPv4-mapped
(``::ffff:192.0.2.1``, a dual-stack socket) and the well-known NAT64 prefix
(``64:ff9b::192.0.2.1``, RFC 6052), where every IPv4 client of the translator shares one /64.
"""

from __future__ import annotations

import ipaddress
import socket
from functools import lru_cache
from typing import Final

__all__ = ["IPV6_PREFIX_LEN", "MAX_CLIENT_CHARS", "SITE_PREFIX_LEN", "client_key", "ipv6_site"]

IPV6_PREFIX_LEN: Final = 64
#: The prefix a site (or one customer of an ISP) is usually given.
SITE_PREFIX_LEN: Final = 48
#: Longest key a client name (not an IPv6 address) is cut to.
MAX_CLIENT_CHARS: Final = 64
_MAPPED_PREFIX = bytes(10) + b"\xff\xff"
_NAT64_PREFIX = b"\x00\x64\xff\x9b" + bytes(8)
_NAT64_NETWORK = ipaddress.IPv6Network("64:ff9b::/96")


def _parsed_network(text: str, prefix_len: int) -> str | None:
    """The reference computation (``ipaddress``), for what the C parser refuses."""
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        return None
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    if address in _NAT64_NETWORK:
        return str(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    network = ipaddress.IPv6Network((int(address), prefix_len), strict=False)
    return str(network)


def _network(text: str, prefix_len: int) -> str | None:
    """The /``prefix_len`` of an IPv6 address (one carrying an IPv4 client: that address)."""
    address = text.split("%", 1)[0]
    # The C parser and printer (RFC 5952 text, as ipaddress writes it) cost a microsecond
    # where ipaddress costs ten: a flood of new addresses is mostly cache misses.
    try:
        packed = socket.inet_pton(socket.AF_INET6, address)
    except (OSError, ValueError):
        return _parsed_network(address, prefix_len)
    if packed[:12] == _MAPPED_PREFIX or packed[:12] == _NAT64_PREFIX:
        return socket.inet_ntop(socket.AF_INET, packed[12:])
    kept = prefix_len // 8
    prefix = socket.inet_ntop(socket.AF_INET6, packed[:kept] + bytes(16 - kept))
    return f"{prefix}/{prefix_len}"


@lru_cache(maxsize=4096)
def _ipv6_network(text: str) -> str | None:
    return _network(text, IPV6_PREFIX_LEN)


@lru_cache(maxsize=4096)
def ipv6_site(client_ip: str) -> str | None:
    """The /48 of an IPv6 address, in RFC 5952 text (None: not IPv6, or carrying IPv4)."""
    network = _network(client_ip, SITE_PREFIX_LEN)
    return network if network is not None and ":" in network else None


def client_key(client_ip: str) -> str:
    """``client_ip`` itself (IPv4, a host name), its /64 for IPv6, bounded in length."""
    if ":" in client_ip:
        network = _ipv6_network(client_ip)
        if network is not None:
            return network
    return client_ip[:MAX_CLIENT_CHARS]
