"""``lwsyslog setup server|webhost``: install the rsyslog drop-in of this machine's role."""

from __future__ import annotations

import argparse
import grp
import os
import pwd
import stat
import sys
from pathlib import Path
from typing import Any

from lwsyslog.cli.argtypes import Once, absolute_path, port, positive_int, size_bytes, size_text
from lwsyslog.cli.messages import say
from lwsyslog.deploy import cert_checks
from lwsyslog.deploy import rsyslog_setup as rs
from lwsyslog.deploy.rsyslog_check import MAIN_CONF
from lwsyslog.errors import CertError, SetupError
from lwsyslog.sanitize import sanitize

__all__ = ["register", "run", "settings_from_args"]

PROGRAM_USER = "lwsyslog"
"""The user lwsyslog-omprog runs as (the Debian package creates it)."""

_DESCRIPTION = """\
Write the rsyslog drop-in of this machine's role into the rsyslog.d directory:
  webhost  an Apache host: rsyslog reads Apache's log files (imfile) and sends each line
           over RELP with mutual TLS to the central server;
  server   the central rsyslog: it accepts web hosts whose certificate chains to the site CA
           and names a permitted peer, keeps raw copies per host and runs lwsyslog-omprog.

First the certificates are checked: the key is readable by its owner alone and belongs to
the certificate, the certificate chains to the CA, is valid now and fits the role (serverAuth
for the server, clientAuth for a web host). Then the drop-in is rendered and checked with
rsyslogd -N1 inside the main rsyslog configuration, with the other drop-ins of the directory.
Only then is it written; --dry-run prints it instead. A drop-in already there that differs
(an older version, a hand edit) is kept as NAME.lwsyslog-old (rsyslog does not load it) and
the differences are printed. Restart rsyslog afterwards."""

_EXAMPLES = """\
examples:
  lwsyslog setup server --peer '*.example.net' --ca /etc/lwsyslog/tls/example.net-ca.crt \\
      --cert /etc/lwsyslog/tls/logs.example.net.crt --key /etc/lwsyslog/tls/logs.example.net.key
  lwsyslog setup webhost --server-host logs.example.net \\
      --ca /etc/lwsyslog/tls/example.net-ca.crt \\
      --cert /etc/lwsyslog/tls/www1.example.net.crt --key /etc/lwsyslog/tls/www1.example.net.key
  lwsyslog setup webhost --local      # on the central server itself, after setup server"""


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=30)


def _role_formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.HelpFormatter(prog, max_help_position=30)


def _common(parser: argparse.ArgumentParser, role: str) -> None:
    usage = "serverAuth" if role == "server" else "clientAuth"
    made_by = f"lwsyslog certs --{role} NAME"
    # A local web host (--local) needs no certificates: run() checks the combination.
    required = role == "server"
    parser.add_argument(
        "--ca", required=required, action=Once, type=absolute_path, metavar="FILE",
        help="the site CA certificate (PEM) every certificate of the chain is signed by",
    )  # fmt: skip
    parser.add_argument(
        "--cert", required=required, action=Once, type=absolute_path, metavar="FILE",
        help=f"this host's certificate (PEM), with extended key usage {usage} ({made_by})",
    )  # fmt: skip
    parser.add_argument(
        "--key", required=required, action=Once, type=absolute_path, metavar="FILE",
        help="the private key of --cert (PEM, mode 0600: refused when its group or other "
        "users can read it)",
    )  # fmt: skip
    parser.add_argument(
        "--max-message-size", action=Once, type=size_bytes, default=rs.MAX_MESSAGE_SIZE,
        metavar="BYTES",
        help="longest line rsyslog passes on whole; Apache logs up to about 122,000 bytes "
        "per access line at its default request limits (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--rsyslog-dir", action=Once, type=Path, default=Path("/etc/rsyslog.d"), metavar="DIR",
        help="where to write the drop-in (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--rsyslog-conf", action=Once, default=str(MAIN_CONF), metavar="FILE",
        help="the main rsyslog configuration the drop-in is checked in, with the other "
        "drop-ins of --rsyslog-dir; 'none' checks the drop-in alone (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--dry-run", action="store_true",
        help="check and print the drop-in, write nothing",
    )  # fmt: skip


def _webhost_parser(roles: argparse._SubParsersAction[Any]) -> None:
    d = rs.WebhostSettings("", "", "", "")
    web = roles.add_parser(
        "webhost",
        help="Apache host: imfile reads Apache's logs, RELP over TLS to the central server",
        description="Write 10-lwsyslog-webhost.conf: rsyslog follows Apache's access and error "
        "logs (imfile) and sends every line over RELP with mutual TLS to the central server. "
        "Only these inputs are forwarded: nothing written to /dev/log is, whatever its tag.",
        formatter_class=_role_formatter,
    )
    _common(web, "webhost")
    web.add_argument(
        "--server-host", action=Once, metavar="HOST",
        help="the central server's host name or address to connect to (required with "
        "--ca, --cert and --key unless --local)",
    )  # fmt: skip
    web.add_argument(
        "--local", action="store_true",
        help="this machine is the central server too: hand the lines to the server drop-in in "
        "the same rsyslogd (run `lwsyslog setup server` first), no RELP, no certificates",
    )  # fmt: skip
    web.add_argument(
        "--server-port", action=Once, type=port, default=d.server_port, metavar="PORT",
        help="the central server's RELP port (default: %(default)s)",
    )  # fmt: skip
    web.add_argument(
        "--server-name", action=Once, default="", metavar="NAME",
        help="the name the server's certificate must carry (default: --server-host)",
    )  # fmt: skip
    web.add_argument(
        "--access-log", action=Once, type=absolute_path, default=d.access_log, metavar="FILE",
        help="Apache's access log, in the combined format (default: %(default)s)",
    )  # fmt: skip
    web.add_argument(
        "--error-log", action=Once, type=absolute_path, default=d.error_log, metavar="FILE",
        help="Apache's error log (default: %(default)s)",
    )  # fmt: skip
    web.add_argument(
        "--window-size", action=Once, type=positive_int, default=d.window_size, metavar="N",
        help="RELP frames in flight: it, not the CPU, sets the throughput (default: "
        "%(default)s, about 55,000 lines/s with TLS)",
    )  # fmt: skip
    web.add_argument(
        "--queue-max-disk", action=Once, type=size_text, default=d.queue_max_disk,
        metavar="SIZE",
        help="disk space for lines queued while the server is unreachable (default: "
        "%(default)s)",
    )  # fmt: skip
    web.add_argument(
        "--test-socket", action=Once, type=absolute_path, metavar="PATH",
        help="also forward lines written to this Unix socket (`logger --socket PATH -t "
        "apache-access ...`, or Apache's piped loggers); its directory is made 0700 and must "
        "be root's alone, e.g. /var/spool/rsyslog/lwsyslog-test.sock (default: none)",
    )  # fmt: skip
    web.set_defaults(func=run)


def _server_parser(roles: argparse._SubParsersAction[Any]) -> None:
    d = rs.ServerSettings("", "", "")
    srv = roles.add_parser(
        "server",
        help="central server: RELP over TLS in, raw copies per host, lwsyslog-omprog",
        description="Write 20-lwsyslog-server.conf: rsyslog accepts web hosts over RELP with "
        "mutual TLS, keeps a raw copy of their Apache logs per host in --output-dir and "
        "pipes every line to lwsyslog-omprog, which runs as user lwsyslog.",
        formatter_class=_role_formatter,
    )
    _common(srv, "server")
    srv.add_argument(
        "--peer", action="append", required=True, metavar="NAME",
        help="a web-host certificate name to accept, '*.domain' allowed (repeatable)",
    )  # fmt: skip
    srv.add_argument(
        "--server-name", action=Once, default="", metavar="NAME",
        help="the name web hosts check (their --server-name): the certificate must carry "
        "it (default: not checked; the certificate's names are printed)",
    )  # fmt: skip
    srv.add_argument(
        "--port", action=Once, type=port, default=d.port, metavar="PORT",
        help="RELP port to listen on (default: %(default)s)",
    )  # fmt: skip
    srv.add_argument(
        "--address", action=Once, default="", metavar="ADDR",
        help="address to listen on (default: all addresses)",
    )  # fmt: skip
    srv.add_argument(
        "--output-dir", action=Once, type=absolute_path, default=d.output_dir, metavar="DIR",
        help="raw copies of the web hosts' logs, DIR/HOST/apache-access.log ... "
        "(default: %(default)s)",
    )  # fmt: skip
    srv.add_argument(
        "--omprog", action=Once, type=absolute_path, default=d.omprog_binary, metavar="FILE",
        help="the lwsyslog-omprog program rsyslog runs (default: %(default)s)",
    )  # fmt: skip
    srv.add_argument(
        "--config", action="append", type=absolute_path, default=[], metavar="FILE",
        help="passed on to lwsyslog-omprog: TOML files instead of the system configuration "
        "(repeatable; default: /etc/lwsyslog/lwsyslog.toml and lwsyslog.d/*.toml)",
    )  # fmt: skip
    srv.add_argument(
        "--state-dir", action=Once, type=absolute_path, default=d.state_dir, metavar="DIR",
        help="passed on to lwsyslog-omprog: its state (replay guard, spool, alert store), "
        "writable by user lwsyslog (default: %(default)s)",
    )  # fmt: skip
    srv.add_argument(
        "--messages-file", action=Once, type=absolute_path, metavar="FILE",
        help="passed on to lwsyslog-omprog: the alerts file (default: the configuration's "
        "[sinks.messages_file] path, /var/log/lwsyslog/messages)",
    )  # fmt: skip
    srv.add_argument(
        "--omprog-output", action=Once, type=absolute_path, default=d.omprog_output,
        metavar="FILE",
        help="where rsyslog writes the program's diagnostics (default: %(default)s)",
    )  # fmt: skip
    srv.add_argument(
        "--queue-max-disk", action=Once, type=size_text, default=d.queue_max_disk,
        metavar="SIZE",
        help="disk space for lines waiting for the program (default: %(default)s)",
    )  # fmt: skip
    srv.add_argument(
        "--shards", action=Once, type=positive_int, default=d.shards, metavar="N",
        help="programs in parallel, each owning the clients whose address hashes to it "
        "(default: %(default)s)",
    )  # fmt: skip
    srv.add_argument(
        "--transactions", action=argparse.BooleanOptionalAction, default=d.transactions,
        help="batches confirmed at their COMMIT (default); --no-transactions confirms each "
        "line on its own (see omprog/README.md)",
    )  # fmt: skip
    srv.set_defaults(func=run)


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``setup`` subcommand; its handler is stored as ``func`` (returns the exit code)."""
    parser = subparsers.add_parser(
        "setup",
        help="install the rsyslog drop-in for a web host or the central server",
        description=_DESCRIPTION,
        epilog=_EXAMPLES,
        formatter_class=_formatter,
    )
    roles = parser.add_subparsers(dest="role", required=True, metavar="ROLE")
    _webhost_parser(roles)
    _server_parser(roles)


def settings_from_args(args: argparse.Namespace) -> rs.WebhostSettings | rs.ServerSettings:
    """The drop-in settings the parsed command line asks for."""
    if args.role == "webhost":
        return rs.WebhostSettings(
            server_host=args.server_host or "",
            server_port=args.server_port,
            server_name=args.server_name,
            ca_cert=args.ca or "",
            cert=args.cert or "",
            key=args.key or "",
            local=args.local,
            access_log=args.access_log,
            error_log=args.error_log,
            window_size=args.window_size,
            batch_size=min(rs.WebhostSettings("", "", "", "").batch_size, args.window_size),
            queue_max_disk=args.queue_max_disk,
            max_message_size=args.max_message_size,
            test_socket=args.test_socket or "",
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
        omprog_config=tuple(args.config),
        state_dir=args.state_dir,
        messages_file=args.messages_file or "",
        omprog_output=args.omprog_output,
        queue_max_disk=args.queue_max_disk,
        shards=args.shards,
        transactions=args.transactions,
        max_message_size=args.max_message_size,
    )


def _webhost_options_problem(args: argparse.Namespace) -> str:
    """What is wrong with a web host's combination of options; empty when nothing is."""
    remote = ("--server-host", "--ca", "--cert", "--key")
    given = [opt for opt in remote if getattr(args, opt[2:].replace("-", "_"))]
    if args.local:
        return f"--local takes no {', '.join(given)}" if given else ""
    missing = [opt for opt in remote if opt not in given]
    return f"{', '.join(missing)} required (or --local)" if missing else ""


def _check_certificates(args: argparse.Namespace) -> list[str]:
    if args.role == "webhost" and args.local:
        return []
    # The key mode is the administrator's setting to fix (exit 2), so it is checked first.
    key = Path(args.key)
    exposed = cert_checks.key_exposure(key, "--key, this host's private key", "nothing written")
    if exposed:
        raise SetupError(exposed)
    name = args.server_name if args.role == "server" else ""
    return cert_checks.check_role(
        args.role, ca=Path(args.ca), cert=Path(args.cert), key=key, name=name
    )


def _owner(path: Path) -> str:
    info = path.stat()
    try:
        user = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        user = str(info.st_uid)
    try:
        group = grp.getgrgid(info.st_gid).gr_name
    except KeyError:
        group = str(info.st_gid)
    return f"{user}:{group} {stat.S_IMODE(info.st_mode):04o}"


def _server_notes(args: argparse.Namespace) -> list[str]:
    """What the server side expects of users and directories, and what is not so here."""
    notes = [
        f"lwsyslog-omprog runs as user {PROGRAM_USER}: it writes {args.state_dir} (expected "
        f"0750 {PROGRAM_USER}:{PROGRAM_USER}) and the messages file (expected 0640 "
        f"{PROGRAM_USER}:adm); rsyslog writes {args.output_dir}/HOST/*.log itself "
        "(directories 0750, files 0640, group adm)."
    ]
    try:
        pwd.getpwnam(PROGRAM_USER)
    except KeyError:
        notes.append(f"warning: there is no user {PROGRAM_USER} (the Debian package makes it)")
    state = Path(args.state_dir)
    if not state.is_dir():
        notes.append(f"warning: {state} does not exist yet")
    else:
        owner = _owner(state)
        if not owner.startswith(f"{PROGRAM_USER}:") or state.stat().st_mode & 0o007:
            notes.append(f"warning: {state} is {owner}")
    return notes


def _report_names(args: argparse.Namespace, names: list[str]) -> None:
    if not names:
        return
    shown = sanitize(", ".join(names))
    if args.role == "server":
        print(f"certificate names: {shown} (web hosts use one as --server-name)")
    else:
        print(f"certificate names: {shown} (the server must accept one with --peer)")


def _report_kept(kept: rs.Kept) -> None:
    print(
        f"  the file there before differs: kept as {sanitize(str(kept.path))} (rsyslog does "
        "not load it; carry over any hand edit you still need, then remove it). Changes:"
    )
    for line in kept.diff:
        print(f"    {line}")


def run(args: argparse.Namespace) -> int:
    """Check, render, validate, write (or print) the drop-in; 0 on success, 1 on a problem
    with the files or rsyslogd's check, 2 on bad settings."""
    role: rs.Role = args.role
    main_conf = None if args.rsyslog_conf == "none" else Path(args.rsyslog_conf)
    problem = _webhost_options_problem(args) if role == "webhost" else ""
    if problem:
        say(problem, "lwsyslog setup webhost")
        return 2
    try:
        names = _check_certificates(args)
        target, text, result, kept = rs.install(
            role,
            settings_from_args(args),
            args.rsyslog_dir,
            dry_run=args.dry_run,
            main_conf=main_conf,
        )
    except CertError as exc:
        say(f"{exc}; nothing written", "lwsyslog setup")
        return 1
    except SetupError as exc:
        say(str(exc), "lwsyslog setup")
        return 2
    except OSError as exc:
        say(str(exc), "lwsyslog setup")
        return 1
    if not result.ok:
        say(f"rsyslogd -N1 rejects {target}; nothing written:", "lwsyslog setup")
        for line in result.messages:
            print(f"  {sanitize(line)}", file=sys.stderr)
        return 1
    if args.dry_run:
        print(f"# would write {sanitize(str(target))} (rsyslogd -N1: OK)")
        if kept is not None:
            print(f"# the file there differs: it would be kept as {sanitize(str(kept.path))}")
        print(text, end="")
        return 0
    print(f"wrote {sanitize(str(target))} (rsyslogd -N1: OK)")
    if kept is not None:
        _report_kept(kept)
    _report_names(args, names)
    if role == "server":
        if not os.access(args.omprog, os.X_OK):
            print(f"  note: {sanitize(args.omprog)} is not installed; install the lwsyslog package")
        for note in _server_notes(args):
            print(f"  {sanitize(note)}")
    for line in result.messages:
        print(f"  rsyslogd: {sanitize(line)}")
    print(rs.restart_hint(role))
    return 0
