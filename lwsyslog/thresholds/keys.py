"""The key a client is counted under: its address, or for IPv6 the /64 it belongs to.

One IPv6 host routinely holds a whole /64 (privacy addresses, or an attacker rotating through
2**64 of them); counted per address, such a client would never reach a threshold and would
make a new key with every request. Counted per /64 it is one key, as one IPv4 address is.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

__all__ = ["IPV6_PREFIX_LEN", "client_key"]

IPV6_PREFIX_LEN = 64
_MAX_CLIENT_CHARS = 64


@lru_cache(maxsize=4096)
def _ipv6_network(text: str) -> str | None:
    try:
        address = ipaddress.IPv6Address(text.split("%", 1)[0])
    except ValueError:
        return None
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    network = ipaddress.IPv6Network((int(address), IPV6_PREFIX_LEN), strict=False)
    return str(network)


def client_key(client_ip: str) -> str:
    """``client_ip`` itself (IPv4, a host name), its /64 for IPv6, bounded in length."""
    if ":" in client_ip:
        network = _ipv6_network(client_ip)
        if network is not None:
            return network
    return client_ip[:_MAX_CLIENT_CHARS]
