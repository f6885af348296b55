"""Fresh TLS certificates for a local chain: a site CA, the central server, one web host."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lwsyslog.deploy import certs

__all__ = ["PERMITTED", "SERVER_NAME", "WEBHOST_NAME", "ChainPki", "make_chain_pki"]

SERVER_NAME = "central.lwsyslog.test"
"""The name in the central server's certificate (what the web host checks)."""
WEBHOST_NAME = "web1.web.lwsyslog.test"
"""The web host's certificate name, also its rsyslog ``localHostName``."""
PERMITTED = "*.web.lwsyslog.test"
"""The server's ``tls.permittedPeer``."""


@dataclass(frozen=True)
class ChainPki:
    """The site CA and the certificates of the chain's two ends."""

    ca: certs.CertFiles
    server: certs.CertFiles
    webhost: certs.CertFiles


def make_chain_pki(directory: Path, *, ca_name: str = "lwsyslog lab site") -> ChainPki:
    """Make the CA and both certificates in ``directory`` with :mod:`lwsyslog.deploy.certs`."""
    ca = certs.make_ca(directory, ca_name)
    return ChainPki(
        ca=ca,
        server=certs.make_cert(directory, ca, SERVER_NAME, "server"),
        webhost=certs.make_cert(directory, ca, WEBHOST_NAME, "client"),
    )
