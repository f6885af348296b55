"""``lwsyslog certs``: make (or take over) the site CA and the RELP TLS certificates."""

from __future__ import annotations

import argparse
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lwsyslog.cli.argtypes import Once, positive_int
from lwsyslog.cli.messages import say
from lwsyslog.deploy import cert_checks, certs
from lwsyslog.errors import CertError
from lwsyslog.sanitize import sanitize

__all__ = ["register", "run"]

_Take = Callable[[Path, Path, str], certs.CertFiles]
"""Takes over an existing certificate and key (checks them first)."""


_DESCRIPTION = """\
Make the site CA and the TLS certificates the RELP chain authenticates with: one server
certificate (extended key usage serverAuth) for the central rsyslog, one client certificate
(clientAuth) per web host, each naming its host (subjectAltName), all signed by the site CA.

Files are written into --dir (made 0700; keys 0600, certificates 0644, whatever the umask).
Files that already exist there are kept, after checking that certificate and key belong
together, unless --force. An existing CA made elsewhere is used with --ca-cert and --ca-key.
A CA key that its group or other users can read is refused: chmod 600 it first.
Keep the CA's key off the hosts: copy the CA certificate to every host, and each host's own
certificate and key to that host only."""

_EXAMPLES = """\
example:
  lwsyslog certs --dir /etc/lwsyslog/tls --ca-name example.net \\
      --server logs.example.net --webhost www1.example.net --webhost www2.example.net"""


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``certs`` subcommand; its handler is stored as ``func`` (returns the exit code)."""
    parser = subparsers.add_parser(
        "certs",
        help="make the site CA and TLS certificates for the RELP chain",
        description=_DESCRIPTION,
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--dir", type=Path, required=True, action=Once, metavar="DIR",
        help="directory to write into, made 0700 if missing; it must not be writable by "
        "other users",
    )  # fmt: skip
    parser.add_argument(
        "--ca-name", default="lwsyslog", action=Once, metavar="LABEL",
        help="the site CA's name, also the stem of its files LABEL-ca.crt and LABEL-ca.key "
        "(default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--ca-cert", type=Path, action=Once, metavar="FILE",
        help="use this existing CA certificate instead of making one (with --ca-key)",
    )  # fmt: skip
    parser.add_argument(
        "--ca-key", type=Path, action=Once, metavar="FILE",
        help="the existing CA's private key (with --ca-cert)",
    )  # fmt: skip
    parser.add_argument(
        "--server", action="append", default=[], metavar="NAME",
        help="make a server certificate for the central rsyslog named NAME (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--webhost", action="append", default=[], metavar="NAME",
        help="make a client certificate for the web host named NAME (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--key-type", choices=["ec", "rsa"], default="ec", action=Once,
        help="ec: ECDSA P-256, small and fast; rsa: RSA 2048 (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--days", type=positive_int, default=certs.CERT_DAYS, action=Once, metavar="N",
        help="validity of each new host certificate in days (default: %(default)s; the CA: "
        f"{certs.CA_DAYS})",
    )  # fmt: skip
    parser.add_argument(
        "--force", action="store_true",
        help="replace certificates and keys that exist instead of keeping them",
    )  # fmt: skip
    parser.set_defaults(func=run)


def _private_dir(directory: Path) -> None:
    """Make ``directory`` 0700, or refuse one that other users can write to."""
    if not directory.exists():
        directory.mkdir(mode=0o700, parents=True)
        os.chmod(directory, 0o700)  # whatever the umask
        return
    mode = stat.S_IMODE(directory.stat().st_mode)
    if mode & 0o022:
        raise CertError(
            f"{directory} is writable by other users (mode {mode:04o}): anyone could replace "
            f"the certificates; chmod 0700 {directory}"
        )


def _path(path: Path) -> str:
    """``path`` as shown: escaped (a directory name is the user's text, not ours)."""
    return sanitize(str(path))


def _taken_ca(cert: Path, key: Path, name: str) -> certs.CertFiles:
    """The existing CA ``cert``/``key``, refused when others can read the key it signs with."""
    exposed = cert_checks.key_exposure(key, "the CA's private key", "nothing signed with it")
    if exposed:
        raise CertError(exposed)
    return certs.existing(cert, key, name)


def _reuse(
    cert: Path, key: Path, name: str, force: bool, take: _Take = certs.existing
) -> certs.CertFiles | None:
    if force or not (cert.exists() or key.exists()):
        return None
    return take(cert, key, name)


def run(args: argparse.Namespace) -> int:
    """Make what is missing and print each file with what happened to it."""
    directory: Path = args.dir
    try:
        _private_dir(directory)
        if (args.ca_cert is None) != (args.ca_key is None):
            say("--ca-cert and --ca-key go together", "lwsyslog certs")
            return 2
        if args.ca_cert is not None:
            ca = _taken_ca(args.ca_cert, args.ca_key, args.ca_name)
            print(f"using CA      {_path(ca.cert)}")
        else:
            ca_cert, ca_key = certs.ca_paths(directory, args.ca_name)
            found = _reuse(ca_cert, ca_key, args.ca_name, args.force, _taken_ca)
            if found is None:
                ca = certs.make_ca(directory, args.ca_name, key_type=args.key_type)
                print(f"wrote CA      {_path(ca.cert)}")
                print(f"wrote CA key  {_path(ca.key)} (keep it off the hosts)")
            else:
                ca = found
                print(f"kept CA       {_path(ca.cert)}")
        wanted: list[tuple[str, certs.Kind]] = [(n, "server") for n in args.server]
        wanted += [(n, "client") for n in args.webhost]
        for name, kind in wanted:
            cert, key = certs.cert_paths(directory, name)
            leaf = _reuse(cert, key, name, args.force)
            if leaf is None:
                leaf = certs.make_cert(
                    directory, ca, name, kind, key_type=args.key_type, days=args.days
                )
                print(f"wrote {kind:<7} {_path(leaf.cert)}\n      key     {_path(leaf.key)}")
            else:
                print(f"kept  {kind:<7} {_path(leaf.cert)}")
    except CertError as exc:
        say(str(exc), "lwsyslog certs")
        return 1
    print(
        "Copy the CA certificate to every host, each host's own .crt/.key to that host only "
        "(key mode 0600, readable by root)."
    )
    return 0
