"""Render the central server's TLS syslog input (for Windows hosts sending IIS logs with NXLog).

RELP is what our web hosts use, but NXLog CE (the usual forwarder on Windows) speaks syslog over
TLS (``om_ssl``), not RELP. This drop-in adds an ``imtcp`` input with a TLS stream driver that
admits only clients whose certificate chains to the site CA and names a permitted peer
(``x509/name``), and routes the lines carrying the expected tags into the same ruleset the
RELP input feeds, so IIS lines reach the lwsyslog program like Apache's. The template is
``lwsyslog/data/rsyslog/server-tls-syslog-input.conf.in``; :func:`render` fills it and
:func:`lwsyslog.deploy.rsyslog_setup.validate` checks the result with ``rsyslogd -N1``.

The tags must start with ``apache-``: the server ruleset hands only those programs to the
lwsyslog program (any other tag would be copied raw and never analysed).

The stream driver defaults to GnuTLS (``gtls``, Debian package ``rsyslog-gnutls``): with rsyslog
8.2302's OpenSSL driver (``ossl``) the permitted-peer check is sometimes skipped (rsyslog issue
6350, fixed by pull request 6412; ``bench/tls_name_check.py`` on Debian 12: a site-CA certificate
with a name that is not permitted got a line in on 6 of 20 connections with ``ossl``, 0 of 20
with ``gtls``). Choose ``ossl`` only with an rsyslog that has the fix.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

from lwsyslog.errors import SetupError

__all__ = ["DRIVER_PACKAGES", "DROPIN_NAME", "EXAMPLE", "TlsSyslogInputSettings", "render"]

DRIVER_PACKAGES = {"gtls": "rsyslog-gnutls", "ossl": "rsyslog-openssl"}
"""The Debian package providing each stream driver."""

DROPIN_NAME = "21-lwsyslog-tls-syslog.conf"
"""The file name in the rsyslog.d directory: after the server drop-in (20-...), whose ruleset
it calls."""

TEMPLATE = "server-tls-syslog-input.conf.in"
_SAFE = re.compile(r"^[^\"\\\n\r\x00]*$")
_TAG = re.compile(r"^apache-[A-Za-z0-9_.-]{1,40}$")
_PEER = re.compile(r"^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9-]{1,63})*$")
_RULESET = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class _Template(string.Template):
    delimiter = "@"


@dataclass(frozen=True, slots=True)
class TlsSyslogInputSettings:
    """What the TLS syslog input needs to know."""

    ca_cert: str
    cert: str
    key: str
    permitted_peers: tuple[str, ...] = field(default=("*.win.example.net",))
    """Client certificate names accepted; ``*.domain`` wildcards are allowed."""
    port: int = 6514
    """6514 is the IANA port for syslog over TLS (RFC 5425)."""
    address: str = ""
    """Listen address; empty listens on all addresses."""
    tags: tuple[str, ...] = ("apache-iis",)
    """Syslog tags (program names) passed on; each must start with ``apache-``."""
    ruleset: str = "lwsyslog"
    """The ruleset the server drop-in defines (RELP input -> raw files -> lwsyslog program)."""
    max_sessions: int = 200
    driver: Literal["gtls", "ossl"] = "gtls"
    """The TLS stream driver (see the module docstring for why GnuTLS)."""


EXAMPLE = TlsSyslogInputSettings(
    ca_cert="/etc/lwsyslog/tls/ca.crt",
    cert="/etc/lwsyslog/tls/logs.example.net.crt",
    key="/etc/lwsyslog/tls/logs.example.net.key",
)
"""The settings docs/windows.md shows the drop-in rendered with."""


def _check(settings: TlsSyslogInputSettings) -> None:
    for name in ("ca_cert", "cert", "key", "address"):
        value = getattr(settings, name)
        # A quote or newline would end the rsyslog string and let a value inject config.
        if not _SAFE.match(value):
            raise SetupError(f"setting {name!r} contains a quote, backslash or newline: {value!r}")
    for name in ("ca_cert", "cert", "key"):
        if not getattr(settings, name):
            raise SetupError(f"setting {name!r} is empty")
    if not 0 < settings.port < 65536:
        raise SetupError(f"setting 'port' must be 1-65535, got {settings.port}")
    if settings.max_sessions <= 0:
        raise SetupError(f"setting 'max_sessions' must be positive, got {settings.max_sessions}")
    if not settings.permitted_peers:
        raise SetupError("at least one permitted sender name is needed")
    for peer in settings.permitted_peers:
        if not _PEER.match(peer):
            raise SetupError(f"permitted peer {peer!r} is not a DNS name or *.domain")
    if not settings.tags:
        raise SetupError("at least one tag is needed")
    for tag in settings.tags:
        if not _TAG.match(tag):
            raise SetupError(
                f"tag {tag!r} must be 'apache-' and letters, digits, '_', '.', '-': the server "
                "ruleset passes only apache-* programs to lwsyslog"
            )
    if settings.driver not in DRIVER_PACKAGES:
        raise SetupError(f"driver must be 'gtls' or 'ossl', not {settings.driver!r}")
    if not _RULESET.match(settings.ruleset):
        raise SetupError(f"ruleset {settings.ruleset!r} is not a ruleset name")


def render(settings: TlsSyslogInputSettings = EXAMPLE) -> str:
    """The drop-in text for ``settings``; :class:`~lwsyslog.errors.SetupError` names a bad one."""
    _check(settings)
    text = resources.files("lwsyslog").joinpath("data", "rsyslog", TEMPLATE).read_text("utf-8")
    return _Template(text).substitute(
        port=settings.port,
        address_param=f'address="{settings.address}" ' if settings.address else "",
        permitted_peers=", ".join(f'"{p}"' for p in settings.permitted_peers),
        ca_cert=settings.ca_cert,
        cert=settings.cert,
        key=settings.key,
        max_sessions=settings.max_sessions,
        tags=", ".join(f'"{t}"' for t in settings.tags),
        tags_text=", ".join(settings.tags),
        ruleset=settings.ruleset,
        driver=settings.driver,
        driver_package=DRIVER_PACKAGES[settings.driver],
    )
