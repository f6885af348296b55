"""Does a certificate fit its role in the RELP chain? Checked before a drop-in is written.

rsyslog's own check (``rsyslogd -N1``) only sees that the files exist: a client certificate
given as the server's, a key of another certificate or a certificate from another CA pass it
and fail later, at the first connection, with a line in rsyslogd's log. These checks use the
``openssl`` command, like :mod:`lwsyslog.deploy.certs`.
"""

from __future__ import annotations

import re
import shlex
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Literal

from lwsyslog.deploy import certs
from lwsyslog.errors import CertError

__all__ = ["ROLE_PURPOSE", "check_role", "key_exposure", "name_matches"]

ROLE_PURPOSE: dict[str, tuple[str, str]] = {
    "server": ("sslserver", "serverAuth"),
    "webhost": ("sslclient", "clientAuth"),
}
"""For each role: openssl's ``-purpose`` and the extended key usage the certificate needs."""

_VERIFY_ERROR = re.compile(r"error \d+ at \d+ depth lookup: (.+)")


def _verify(ca: Path, cert: Path, purpose: str | None) -> str | None:
    """openssl's reason why ``cert`` does not verify against ``ca`` (None: it does)."""
    exe = shutil.which("openssl")
    if exe is None:
        raise CertError("the 'openssl' command is not installed")
    argv = [exe, "verify", "-CAfile", str(ca)]
    if purpose:
        argv += ["-purpose", purpose]
    proc = subprocess.run([*argv, str(cert)], capture_output=True, text=True, check=False)
    if proc.returncode == 0:
        return None
    output = proc.stdout + proc.stderr
    reasons = _VERIFY_ERROR.findall(output)
    return "; ".join(dict.fromkeys(reasons)) or output.strip().splitlines()[-1]


def key_exposure(key: Path, what: str, outcome: str) -> str:
    """Why the private key ``key`` (``what`` it is, in words) is not its owner's alone
    (readable by its group or by every user), the ``outcome`` and the fix; empty when it is,
    or when there is no such file (reported elsewhere)."""
    try:
        mode = stat.S_IMODE(key.stat().st_mode)
    except OSError:
        return ""
    if mode & stat.S_IROTH:
        who = "every user"
    elif mode & stat.S_IRGRP:
        who = "its group"
    else:
        return ""
    return (
        f"{key} ({what}) is readable by {who} (mode {mode:04o}); {outcome}: a private key "
        f"must be its owner's alone, chmod 600 {shlex.quote(str(key))}"
    )


def name_matches(pattern: str, name: str) -> bool:
    """True if the certificate name ``pattern`` (``*.domain`` allowed) covers ``name``."""
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = name.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == name


def check_role(
    role: Literal["server", "webhost"], *, ca: Path, cert: Path, key: Path, name: str = ""
) -> list[str]:
    """Check that ``cert`` and ``key`` can serve as ``role``'s TLS identity; its DNS names.

    ``key`` must be the private key of ``cert``; ``cert`` must chain to ``ca``, be valid
    now and carry the extended key usage of the role (``serverAuth`` for the central
    server, ``clientAuth`` for a web host); with ``name``, one of its DNS names must cover
    it. :class:`~lwsyslog.errors.CertError` names the file and what is wrong.
    """
    for path in (ca, cert, key):
        if not path.is_file():
            raise CertError(f"{path}: no such file")
    certs.existing(cert, key)  # "KEY is not the private key of CERT"
    reason = _verify(ca, cert, None)
    if reason is not None:
        raise CertError(f"{cert} does not verify against the CA {ca}: {reason}")
    purpose, usage = ROLE_PURPOSE[role]
    reason = _verify(ca, cert, purpose)
    if reason is not None:
        what = "the central server" if role == "server" else "a web host"
        raise CertError(
            f"{cert} cannot identify {what}: its extended key usage must include {usage} "
            f"({reason}); make one with `lwsyslog certs --{role} NAME`"
        )
    names = certs.cert_names(cert)
    if not names:
        raise CertError(f"{cert} has no DNS name (subjectAltName): rsyslog checks peers by name")
    if name and not any(name_matches(each, name) for each in names):
        raise CertError(f"{cert} does not carry the name {name!r} (it names {', '.join(names)})")
    return names
