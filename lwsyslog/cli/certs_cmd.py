"""``lwsyslog certs``: make (or take over) the site CA and the RELP TLS certificates."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lwsyslog.cli.argtypes import Once
from lwsyslog.cli.messages import say
from lwsyslog.deploy import cert_checks, certs
from lwsyslog.errors import CertError
from lwsyslog.sanitize import sanitize

__all__ = ["register", "run"]


def _checked(check: Callable[[str], object]) -> Callable[[str], str]:
    """An argparse type from a :mod:`~lwsyslog.deploy.certs` check: the value is refused
    while the command line is read, before anything is written."""

    def convert(text: str) -> str:
        try:
            check(text)
        except CertError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return text

    return convert


def _host_name(name: str) -> None:
    certs.check_name(name, common_name=True)


def _days(text: str) -> int:
    """A validity in days that a certificate made now can carry (up to 9999-12-31)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    try:
        certs.check_days(value)
    except CertError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


_DESCRIPTION = """\
Make the site CA and the TLS certificates the RELP chain authenticates with: one server
certificate (extended key usage serverAuth) for the central rsyslog, one client certificate
(clientAuth) per web host, each naming its host (subjectAltName), all signed by the site CA.

Every name and --days are checked before anything is written. Files are written into --dir
(made 0700; keys 0600, certificates 0644, whatever the umask), each to a temporary file
renamed into place once complete: a full disk leaves nothing half-written, and the
temporary files a killed run left (.NAME.*.tmp) are removed by the next. Files that
already exist there are kept, after checking that certificate and key belong together,
unless --force; a key without its certificate gets a new certificate, an empty file left by
a run that failed is replaced (an empty key beside its certificate is not), and a file
openssl cannot read is named with what to do.
An existing CA made elsewhere is used with --ca-cert and --ca-key.
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
        "--ca-name", type=_checked(certs.check_ca_name), default="lwsyslog", action=Once,
        metavar="LABEL",
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
        "--server", type=_checked(_host_name), action="append", default=[],
        metavar="NAME",
        help="make a server certificate for the central rsyslog named NAME (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--webhost", type=_checked(_host_name), action="append", default=[],
        metavar="NAME",
        help="make a client certificate for the web host named NAME (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--key-type", choices=["ec", "rsa"], default="ec", action=Once,
        help="ec: ECDSA P-256, small and fast; rsa: RSA 2048 (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--days", type=_days, default=certs.CERT_DAYS, action=Once, metavar="N",
        help="validity of each new host certificate in days, at most until the CA's end "
        f"(default: %(default)s; a new CA: {certs.CA_DAYS})",
    )  # fmt: skip
    parser.add_argument(
        "--force", action="store_true",
        help="replace certificates and keys that exist instead of keeping them",
    )  # fmt: skip
    parser.set_defaults(func=run)


def _private_dir(directory: Path) -> None:
    """Make ``directory`` 0700, or refuse one that other users can write to."""
    if not directory.exists():
        try:
            directory.mkdir(mode=0o700, parents=True)
            os.chmod(directory, 0o700)  # whatever the umask
        except OSError as exc:
            raise CertError(f"cannot make the directory {directory}: {_why(exc)}") from exc
        return
    if not directory.is_dir():
        raise CertError(f"{directory} is not a directory: give --dir a directory (made if missing)")
    mode = stat.S_IMODE(directory.stat().st_mode)
    if mode & 0o022:
        raise CertError(
            f"{directory} is writable by other users (mode {mode:04o}): anyone could replace "
            f"the certificates; chmod 0700 {directory}"
        )


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _path(path: Path) -> str:
    """``path`` as shown: escaped (a directory name is the user's text, not ours)."""
    return sanitize(str(path))


def _taken_ca(cert: Path, key: Path, name: str) -> certs.CertFiles:
    """The existing CA ``cert``/``key``, refused when others can read the key it signs with."""
    _refuse_exposed(key)
    return certs.existing(cert, key, name)


def _refuse_exposed(ca_key: Path) -> None:
    exposed = cert_checks.key_exposure(ca_key, "the CA's private key", "nothing signed with it")
    if exposed:
        raise CertError(exposed)


def _plan(cert: Path, key: Path, force: bool, *, ca: bool, name: str) -> certs.Plan:
    for leftover in certs.remove_leftovers(cert.parent, [key.name, cert.name]):
        print(f"note: removed {_path(leftover)}, left by a run that was stopped while writing")
    if force:
        return certs.Plan("make")
    found = certs.plan(cert, key, ca=ca, name=name)
    if found.note:
        print(f"note: {sanitize(found.note)}")
    return found


def _site_ca(args: argparse.Namespace, directory: Path) -> certs.CertFiles:
    """The CA to sign with: given, kept, made for the key already there, or made."""
    if args.ca_cert is not None:
        ca = _taken_ca(args.ca_cert, args.ca_key, args.ca_name)
        print(f"using CA      {_path(ca.cert)}")
        return ca
    cert, key = certs.ca_paths(directory, args.ca_name)
    plan = _plan(cert, key, args.force, ca=True, name=args.ca_name)
    if plan.action == "keep":
        ca = _taken_ca(cert, key, args.ca_name)
        print(f"kept CA       {_path(ca.cert)}")
        return ca
    if args.server or args.webhost:  # refused before the new CA is written, not after
        made_until = dt.datetime.now(dt.UTC) + dt.timedelta(days=certs.CA_DAYS)
        certs.check_within_ca(args.days, cert, made_until)
    if plan.action == "make-cert":
        _refuse_exposed(key)
        ca = certs.make_ca(directory, args.ca_name, key_type=args.key_type, keep_key=True)
        print(f"wrote CA      {_path(ca.cert)} (for the CA key already there)")
        print(f"kept CA key   {_path(ca.key)} (keep it off the hosts)")
    else:
        ca = certs.make_ca(directory, args.ca_name, key_type=args.key_type)
        print(f"wrote CA      {_path(ca.cert)}")
        print(f"wrote CA key  {_path(ca.key)} (keep it off the hosts)")
    return ca


def run(args: argparse.Namespace) -> int:
    """Make what is missing and print each file with what happened to it."""
    directory: Path = args.dir
    if (args.ca_cert is None) != (args.ca_key is None):
        say("--ca-cert and --ca-key go together", "lwsyslog certs")
        return 2
    try:
        _private_dir(directory)
        ca = _site_ca(args, directory)
        wanted: list[tuple[str, certs.Kind]] = [(n, "server") for n in args.server]
        wanted += [(n, "client") for n in args.webhost]
        for name, kind in wanted:
            cert, key = certs.cert_paths(directory, name)
            plan = _plan(cert, key, args.force, ca=False, name=name)
            if plan.action == "keep":
                leaf = certs.existing(cert, key, name)
                print(f"kept  {kind:<7} {_path(leaf.cert)}")
                continue
            keep_key = plan.action == "make-cert"
            leaf = certs.make_cert(
                directory, ca, name, kind, key_type=args.key_type, days=args.days,
                keep_key=keep_key,
            )  # fmt: skip
            print(f"wrote {kind:<7} {_path(leaf.cert)}")
            print(f"      key     {_path(leaf.key)}{' (kept, already there)' if keep_key else ''}")
    except CertError as exc:
        say(str(exc), "lwsyslog certs")
        return 1
    except OSError as exc:  # what the checks above did not foresee: no traceback
        say(f"{exc.filename or directory}: {_why(exc)}", "lwsyslog certs")
        return 1
    print(
        "Copy the CA certificate to every host, each host's own .crt/.key to that host only "
        "(key mode 0600, readable by root)."
    )
    return 0
