"""``lwsyslog setup server|webhost``: install the rsyslog drop-in of this machine's role.

Examples::

    lwsyslog setup webhost --server-host logs.example.net \\
        --ca /etc/lwsyslog/tls/example.net-ca.crt \\
        --cert /etc/lwsyslog/tls/www1.example.net.crt --key /etc/lwsyslog/tls/www1.example.net.key

    lwsyslog setup server --peer '*.example.net' --ca ... --cert ... --key ... --dry-run

The drop-in is rendered, checked with ``rsyslogd -N1`` and only then written; ``--dry-run``
prints it instead.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lwsyslog.deploy import rsyslog_setup as rs
from lwsyslog.errors import SetupError

__all__ = ["register", "run"]


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ca", required=True, help="site CA certificate (PEM)")
    parser.add_argument("--cert", required=True, help="this host's certificate (PEM)")
    parser.add_argument("--key", required=True, help="this host's private key (PEM)")
    parser.add_argument(
        "--rsyslog-dir", type=Path, default=Path("/etc/rsyslog.d"),
        help="where to write the drop-in (default: /etc/rsyslog.d)",
    )  # fmt: skip
    parser.add_argument("--dry-run", action="store_true", help="print, do not write")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``setup`` subcommand; its handler is stored as ``func`` (returns the exit code)."""
    parser = subparsers.add_parser(
        "setup",
        help="install the rsyslog drop-in for a web host or the central server",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    roles = parser.add_subparsers(dest="role", required=True, metavar="ROLE")
    d_web = rs.WebhostSettings("", "", "", "")
    web = roles.add_parser("webhost", help="Apache host: imfile -> RELP/TLS to the server")
    _common(web)
    web.add_argument("--server-host", required=True, help="central server to connect to")
    web.add_argument("--server-port", type=int, default=d_web.server_port)
    web.add_argument(
        "--server-name", default="",
        help="name the server's certificate must carry (default: --server-host)",
    )  # fmt: skip
    web.add_argument("--access-log", default=d_web.access_log)
    web.add_argument("--error-log", default=d_web.error_log)
    web.add_argument("--window-size", type=int, default=d_web.window_size)
    web.add_argument("--queue-max-disk", default=d_web.queue_max_disk)
    web.set_defaults(func=run)

    d_srv = rs.ServerSettings("", "", "")
    srv = roles.add_parser("server", help="central server: RELP/TLS in -> lwsyslog omprog")
    _common(srv)
    srv.add_argument(
        "--peer", action="append", required=True, metavar="NAME",
        help="web-host certificate name to accept, '*.domain' allowed (repeatable)",
    )  # fmt: skip
    srv.add_argument("--port", type=int, default=d_srv.port)
    srv.add_argument("--address", default="", help="listen address (default: all)")
    srv.add_argument("--output-dir", default=d_srv.output_dir, help="raw lines per host")
    srv.add_argument("--omprog", default=d_srv.omprog_binary, help="the lwsyslog program")
    srv.add_argument("--omprog-output", default=d_srv.omprog_output, help="program's stderr")
    srv.add_argument("--queue-max-disk", default=d_srv.queue_max_disk)
    srv.add_argument(
        "--shards",
        type=int,
        default=d_srv.shards,
        help="programs in parallel, each owning the clients whose address hashes to it",
    )
    srv.add_argument(
        "--transactions",
        action=argparse.BooleanOptionalAction,
        default=d_srv.transactions,
        help="batches with COMMIT confirmation (default); --no-transactions confirms each "
        "line on its own (see omprog/README.md)",
    )
    srv.set_defaults(func=run)


def _absolute(path: str) -> str:
    # rsyslogd resolves relative paths against its own working directory, not ours.
    return str(Path(path).absolute())


def settings_from_args(args: argparse.Namespace) -> rs.WebhostSettings | rs.ServerSettings:
    """The drop-in settings the parsed command line asks for."""
    args.ca, args.cert, args.key = (_absolute(p) for p in (args.ca, args.cert, args.key))
    if args.role == "webhost":
        return rs.WebhostSettings(
            server_host=args.server_host,
            server_port=args.server_port,
            server_name=args.server_name,
            ca_cert=args.ca,
            cert=args.cert,
            key=args.key,
            access_log=args.access_log,
            error_log=args.error_log,
            window_size=args.window_size,
            batch_size=min(rs.WebhostSettings("", "", "", "").batch_size, args.window_size),
            queue_max_disk=args.queue_max_disk,
        )
    return rs.ServerSettings(
        ca_cert=args.ca,
        cert=args.cert,
        key=args.key,
        permitted_peers=tuple(args.peer),
        port=args.port,
        address=args.address,
        output_dir=args.output_dir,
        omprog_binary=args.omprog,
        omprog_output=args.omprog_output,
        queue_max_disk=args.queue_max_disk,
        shards=args.shards,
        transactions=args.transactions,
    )


def run(args: argparse.Namespace) -> int:
    """Render, validate, write (or print) the drop-in; 0 on success, 1 if rsyslogd refused it."""
    role: rs.Role = args.role
    try:
        target, text, result = rs.install(
            role, settings_from_args(args), args.rsyslog_dir, dry_run=args.dry_run
        )
    except SetupError as exc:
        print(f"lwsyslog setup: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"lwsyslog setup: {exc}", file=sys.stderr)
        return 1
    if not result.ok:
        print(f"lwsyslog setup: rsyslogd -N1 rejects {target}; nothing written:", file=sys.stderr)
        for line in result.messages:
            print(f"  {line}", file=sys.stderr)
        return 1
    if args.dry_run:
        print(f"# would write {target} (rsyslogd -N1: OK)")
        print(text, end="")
        return 0
    print(f"wrote {target} (rsyslogd -N1: OK)")
    if role == "server" and not Path(args.omprog).exists():
        print(f"  note: {args.omprog} does not exist yet; install the lwsyslog omprog program")
    for line in result.messages:
        print(f"  rsyslogd: {line}")
    print(rs.restart_hint(role))
    return 0
