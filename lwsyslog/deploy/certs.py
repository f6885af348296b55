"""A small site CA and the TLS certificates the RELP chain needs, made with the ``openssl`` CLI.

The chain authenticates both ends by name (``tls.authMode="name"``): the central server presents
a certificate whose SAN names it, each web host presents a client certificate whose SAN names the
web host, and both are signed by one site CA. This module makes those files; it never needs a
Python crypto library because the ``openssl`` binary is already on every host running rsyslog.

Private keys are written with mode 0600; certificates with 0644.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lwsyslog.errors import CertError

__all__ = [
    "CA_DAYS",
    "CERT_DAYS",
    "CertFiles",
    "KeyType",
    "Kind",
    "ca_paths",
    "cert_names",
    "cert_paths",
    "existing",
    "make_ca",
    "make_cert",
]

KeyType = Literal["ec", "rsa"]
"""``ec`` is ECDSA on P-256 (small and fast); ``rsa`` is RSA 2048 for old peers."""

Kind = Literal["server", "client"]
"""A ``server`` certificate is for the central rsyslog (imrelp); ``client`` for a web host."""

CA_DAYS = 3650
"""Validity of the site CA: ten years, it only signs our own certificates."""

CERT_DAYS = 825
"""Validity of a leaf certificate: the longest that common TLS clients still accept."""

_NAME_RE = re.compile(r"^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9-]{1,63})*$")


@dataclass(frozen=True, slots=True)
class CertFiles:
    """A certificate and its private key on disk, and the name it was made for."""

    name: str
    cert: Path
    key: Path


def _openssl(args: Sequence[str], step: str) -> str:
    exe = shutil.which("openssl")
    if exe is None:
        raise CertError("the 'openssl' command is not installed")
    proc = subprocess.run([exe, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CertError(f"openssl failed to {step}: {proc.stderr.strip()}")
    return proc.stdout


def _check_name(name: str) -> None:
    if not _NAME_RE.match(name) or len(name) > 253:
        raise CertError(f"not a valid DNS name for a certificate: {name!r}")


def ca_paths(directory: Path, name: str) -> tuple[Path, Path]:
    """Where :func:`make_ca` puts the certificate and key of the CA called ``name``."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "lwsyslog"
    return directory / f"{stem}-ca.crt", directory / f"{stem}-ca.key"


def cert_paths(directory: Path, name: str) -> tuple[Path, Path]:
    """Where :func:`make_cert` puts the certificate and key made for ``name``."""
    stem = name.replace("*", "wildcard")
    return directory / f"{stem}.crt", directory / f"{stem}.key"


def _new_key(path: Path, key_type: KeyType) -> None:
    if key_type == "ec":
        algo = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
    else:
        algo = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
    # Create the file 0600 before openssl writes into it, so the key is never world-readable.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
    _openssl(["genpkey", *algo, "-out", str(path)], f"make the key {path}")


def make_ca(
    directory: Path, name: str, *, key_type: KeyType = "ec", days: int = CA_DAYS
) -> CertFiles:
    """Make a self-signed site CA ``<name>-ca.crt`` / ``<name>-ca.key`` in ``directory``.

    ``name`` is a label used as the CA's common name (for example ``lwsyslog example.net``).
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # 0700 whatever the umask
    cert, key = ca_paths(directory, name)
    _new_key(key, key_type)
    _openssl(
        [
            "req", "-new", "-x509", "-key", str(key), "-out", str(cert), "-days", str(days),
            "-subj", f"/CN={_subject_escape(name)}",
            "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-addext", "subjectKeyIdentifier=hash",
        ],
        f"make the CA certificate {cert}",
    )  # fmt: skip
    cert.chmod(0o644)
    return CertFiles(name=name, cert=cert, key=key)


def make_cert(
    directory: Path,
    ca: CertFiles,
    name: str,
    kind: Kind = "server",
    *,
    alt_names: Sequence[str] = (),
    key_type: KeyType = "ec",
    days: int = CERT_DAYS,
) -> CertFiles:
    """Make ``<name>.crt`` / ``<name>.key`` in ``directory``, signed by ``ca``.

    The certificate names ``name`` (and every ``alt_names`` entry) as SAN DNS names, which is
    what ``tls.permittedPeer`` is matched against; ``kind`` sets the extended key usage.
    """
    for each in (name, *alt_names):
        _check_name(each)
    if kind not in ("server", "client"):
        raise CertError(f"unknown certificate kind {kind!r} (server or client)")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # 0700 whatever the umask
    cert, key = cert_paths(directory, name)
    _new_key(key, key_type)
    sans = ",".join(f"DNS:{n}" for n in dict.fromkeys((name, *alt_names)))
    usage = "serverAuth" if kind == "server" else "clientAuth"
    with tempfile.TemporaryDirectory() as tmp:
        csr = Path(tmp) / "req.csr"
        ext = Path(tmp) / "ext.cnf"
        ext.write_text(
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\n"
            f"extendedKeyUsage={usage}\n"
            f"subjectAltName={sans}\n"
            "subjectKeyIdentifier=hash\n"
            "authorityKeyIdentifier=keyid\n",
            encoding="ascii",
        )
        _openssl(
            ["req", "-new", "-key", str(key), "-out", str(csr), "-subj", f"/CN={name}"],
            f"make the request for {name}",
        )
        _openssl(
            [
                "x509", "-req", "-in", str(csr), "-CA", str(ca.cert), "-CAkey", str(ca.key),
                "-CAcreateserial", "-CAserial", str(Path(tmp) / "ca.srl"),
                "-out", str(cert), "-days", str(days), "-sha256", "-extfile", str(ext),
            ],
            f"sign the certificate for {name}",
        )  # fmt: skip
    cert.chmod(0o644)
    return CertFiles(name=name, cert=cert, key=key)


def existing(cert: Path, key: Path, name: str = "") -> CertFiles:
    """Accept a certificate and key made elsewhere, after checking that they belong together."""
    for path in (cert, key):
        if not path.is_file():
            raise CertError(f"{path}: no such file")
    cert_pub = _openssl(["x509", "-in", str(cert), "-noout", "-pubkey"], f"read {cert}")
    key_pub = _openssl(["pkey", "-in", str(key), "-pubout"], f"read {key}")
    if cert_pub.strip() != key_pub.strip():
        raise CertError(f"{key} is not the private key of {cert}")
    if not name:
        names = cert_names(cert)
        name = names[0] if names else cert.stem
    return CertFiles(name=name, cert=cert, key=key)


def cert_names(cert: Path) -> list[str]:
    """The SAN DNS names of a certificate (what ``tls.permittedPeer`` is matched against)."""
    text = _openssl(["x509", "-in", str(cert), "-noout", "-ext", "subjectAltName"], f"read {cert}")
    return re.findall(r"DNS:([^,\s]+)", text)


def _subject_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("/", "\\/").replace("=", "\\=")
