"""A small HTTP client for lab traffic: urllib with a chosen loopback source address.

All of 127.0.0.0/8 is the loopback interface on Linux, so a request sent from 127.0.0.23
shows in Apache's access log as client 127.0.0.23: each scripted "attacker" gets an address of
its own without leaving the machine.
"""

from __future__ import annotations

import base64
import http.client
import urllib.error
import urllib.request
from collections.abc import Mapping

__all__ = ["fetch"]


class _FromAddress(urllib.request.HTTPHandler):
    """Opens each connection from ``source`` (any port)."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self._source = source

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(http.client.HTTPConnection, req, source_address=(self._source, 0))


def fetch(
    url: str,
    *,
    source: str = "127.0.0.1",
    headers: Mapping[str, str] | None = None,
    basic_auth: tuple[str, str] | None = None,
    timeout: float = 10.0,
) -> int:
    """GET ``url`` from ``source`` and return the HTTP status (4xx/5xx are statuses too)."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    if basic_auth is not None:
        token = base64.b64encode(":".join(basic_auth).encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    opener = urllib.request.build_opener(_FromAddress(source))
    try:
        with opener.open(request, timeout=timeout) as response:
            response.read()
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code
