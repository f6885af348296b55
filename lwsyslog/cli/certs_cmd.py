"""``lwsyslog certs``: make (or take over) the site CA and the RELP TLS certificates.

Example::

    lwsyslog certs --dir /etc/lwsyslog/tls --ca-name example.net \\
        --server logs.example.net --webhost www1.example.net --webhost www2.example.net

Files that already exist in ``--dir`` are kept (after checking that certificate and key belong
together) unless ``--force``; an existing CA made elsewhere is used with ``--ca-cert/--ca-key``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lwsyslog.deploy import certs
from lwsyslog.errors import CertError

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``certs`` subcommand; its handler is stored as ``func`` (returns the exit code)."""
    parser = subparsers.add_parser(
        "certs",
        help="make the site CA and TLS certificates for the RELP chain",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dir", type=Path, required=True, help="directory to write into")
    parser.add_argument("--ca-name", default="lwsyslog", help="label of the site CA")
    parser.add_argument("--ca-cert", type=Path, help="use this existing CA certificate")
    parser.add_argument("--ca-key", type=Path, help="the existing CA's private key")
    parser.add_argument(
        "--server", action="append", default=[], metavar="NAME",
        help="make a server certificate for the central rsyslog (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--webhost", action="append", default=[], metavar="NAME",
        help="make a client certificate for a web host (repeatable)",
    )  # fmt: skip
    parser.add_argument("--key-type", choices=["ec", "rsa"], default="ec", help="default: ec")
    parser.add_argument("--days", type=int, default=certs.CERT_DAYS, help="leaf validity")
    parser.add_argument("--force", action="store_true", help="replace files that exist")
    parser.set_defaults(func=run)


def _reuse(cert: Path, key: Path, name: str, force: bool) -> certs.CertFiles | None:
    if force or not (cert.exists() or key.exists()):
        return None
    return certs.existing(cert, key, name)


def run(args: argparse.Namespace) -> int:
    """Make what is missing and print each file with what happened to it."""
    directory: Path = args.dir
    try:
        if (args.ca_cert is None) != (args.ca_key is None):
            print("lwsyslog certs: --ca-cert and --ca-key go together", file=sys.stderr)
            return 2
        if args.ca_cert is not None:
            ca = certs.existing(args.ca_cert, args.ca_key, args.ca_name)
            print(f"using CA      {ca.cert}")
        else:
            ca_cert, ca_key = certs.ca_paths(directory, args.ca_name)
            found = _reuse(ca_cert, ca_key, args.ca_name, args.force)
            if found is None:
                ca = certs.make_ca(directory, args.ca_name, key_type=args.key_type)
                print(f"wrote CA      {ca.cert}\nwrote CA key  {ca.key} (keep it off the hosts)")
            else:
                ca = found
                print(f"kept CA       {ca.cert}")
        wanted: list[tuple[str, certs.Kind]] = [(n, "server") for n in args.server]
        wanted += [(n, "client") for n in args.webhost]
        for name, kind in wanted:
            cert, key = certs.cert_paths(directory, name)
            leaf = _reuse(cert, key, name, args.force)
            if leaf is None:
                leaf = certs.make_cert(
                    directory, ca, name, kind, key_type=args.key_type, days=args.days
                )
                print(f"wrote {kind:<7} {leaf.cert}\n      key     {leaf.key}")
            else:
                print(f"kept  {kind:<7} {leaf.cert}")
    except CertError as exc:
        print(f"lwsyslog certs: {exc}", file=sys.stderr)
        return 1
    print(
        "Copy the CA certificate to every host, each host's own .crt/.key to that host only "
        "(key mode 0600, readable by root)."
    )
    return 0
